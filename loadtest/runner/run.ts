/**
 * One experiment run: select and deploy the variant, wait for the cluster to
 * settle, then per trial set up the flowsheet, load the API with the
 * generated plan while sampling replicas, HPAs and pod/client usage, and tear
 * the flowsheet down. Every side effect goes through `RunnerDeps`, so the
 * dry-run plan and the tests see exactly what a real run does.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Experiment } from "../../config/schema";
import { renderK6Script } from "../k6";
import { buildPlan, LoadPlan, plannedDurationS, plannedRequests } from "../plan";
import { LoadTable } from "../profiles";
import { RunArgs } from "./args";
import { ClientMonitor, ClientSample, clientInvalidReasons } from "./client";
import { FlowsheetClient, FlowsheetScript, setUpFlowsheet, tearDownFlowsheet, Vars } from "./flowsheet";
import { ClusterState, KubeClient, sampleRows, unsettledReasons } from "./kube";
import { NetemCommands, addLatency } from "./netem";
import { driveUsage } from "./usage";

export interface RunContext {
    args: RunArgs;
    table: LoadTable;
    experiment: Experiment;
    flowsheet: FlowsheetScript;
    baseUrl: string;
    /** Cluster access; null for --target local. */
    kube: KubeClient | null;
    netem: NetemCommands | null;
    /** Request headers from LOADTEST_HEADERS (secret values). */
    headers: Record<string, string>;
    loadgen: { binary: string; version: string };
    gitCommit: string;
    /** How often to poll while settling, and how many settled polls in a row count. @default 5000 ms, 3 */
    settle?: { pollMs: number; stablePolls: number };
    now?: () => Date;
    log?: (line: string) => void;
}

export interface RunnerDeps {
    /** Select the experiment in the stack and `pulumi up`. */
    deploy(stack: string, experiment: string): Promise<void>;
}

/** What a run will do, in order: printed by --dry-run, logged by a real run. */
export function describeRun(ctx: Pick<RunContext, "args" | "baseUrl" | "netem" | "kube" | "table">): string[] {
    const { args } = ctx;
    const plan = buildPlan(ctx.table, { endpoint: args.endpoint, profile: args.profile, baseUrl: ctx.baseUrl, flowsheetId: "{flowsheetId}", timeScale: args.timeScale });
    const lines: string[] = [];
    if (args.target === "cluster") {
        lines.push(`select experiment ${args.experiment} in stack ${args.stack} and run pulumi up`);
        lines.push(`wait up to ${args.settleTimeoutS} s for Deployments and HPAs in namespace ${ctx.kube?.namespace ?? "?"} to settle`);
    } else {
        lines.push(`target local: the Docker Compose baseline at ${ctx.baseUrl} (no deploy, no cluster sampling)`);
    }
    const stages = plan.stages.map((s) => `${s.durationS}s->${s.target}/s`).join(", ");
    if (args.usage === "simulated") {
        const costs = Object.entries(ctx.table.simulatedUsage.cpuMsPerRequest[args.endpoint]).map(([app, ms]) => `${app} ${ms} ms`);
        for (let t = 1; t <= args.trials; t++) {
            lines.push(`trial ${t}/${args.trials}:`);
            if (t > 1) lines.push(`  wait for Deployments and HPAs to settle`);
            lines.push(`  play ${args.endpoint} at ${stages} as pod CPU (each request: ${costs.join(", ")} of CPU; idle ${ctx.table.simulatedUsage.idleMillicores}m a pod), no request sent`);
            lines.push(`  sample replicas, HPAs, pod CPU/memory every ${plan.sampleIntervalS} s`);
            lines.push(`  put every pod back on idle CPU (also on failure or Ctrl-C)`);
        }
        lines.push(`results: ${path.join(args.resultsDir, resultsName(args), "<timestamp>")}/`);
        return lines;
    }
    for (let t = 1; t <= args.trials; t++) {
        lines.push(`trial ${t}/${args.trials}:`);
        if (t > 1 && args.target === "cluster") lines.push(`  wait for Deployments and HPAs to settle`);
        lines.push(`  set up the pre-trial flowsheet (${ctx.args.flowsheetFile ?? "loadtest/flowsheet.yaml"})`);
        if (ctx.netem) lines.push(`  ${ctx.netem.add.join(" ")}`);
        lines.push(
            `  load ${plan.method} ${plan.url}: ramping arrival rate ${stages}, graceful stop ${plan.gracefulStopS}s` +
                (plan.abortWhenVUsExceed === null ? "" : `, abort above ${plan.abortWhenVUsExceed} VUs`) +
                ` (~${Math.round(plannedRequests(plan))} requests over ${plannedDurationS(plan)} s)`,
        );
        lines.push(`  sample ${args.target === "cluster" ? "replicas, HPAs, pod CPU/memory and " : ""}client CPU/memory every ${plan.sampleIntervalS} s`);
        if (ctx.netem) lines.push(`  ${ctx.netem.remove.join(" ")} (also on failure or Ctrl-C)`);
        lines.push(`  tear the flowsheet down`);
    }
    lines.push(`results: ${path.join(args.resultsDir, resultsName(args), "<timestamp>")}/`);
    return lines;
}

export function resultsName(args: Pick<RunArgs, "experiment" | "profile" | "target">): string {
    return path.join(args.target === "local" ? "local" : args.experiment, args.profile);
}

/** A filesystem-safe UTC timestamp: 2026-11-24T16-05-09Z. */
export function timestampName(d: Date): string {
    return d.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
}

export interface TrialRecord {
    trial: number;
    dir: string;
    valid: boolean;
    invalidReasons: string[];
    aborted: boolean;
    abortReason: string | null;
    flowsheetId: string | number | null;
    startedAt: string;
    finishedAt: string;
    requests: number;
    failed: number;
}

export interface RunSummary {
    experiment: string;
    endpoint: string;
    profile: string;
    target: string;
    /** http, or simulated: the rate was played as pod CPU and no request was sent. */
    usage: string;
    stack: string | null;
    gitCommit: string;
    experimentValues: Experiment | null;
    loadgenVersion: string;
    timeScale: number;
    latencyMs: number | null;
    baseUrl: string;
    /** Names of the extra request headers (never their values). */
    headerNames: string[];
    startedAt: string;
    finishedAt: string | null;
    status: "running" | "completed" | "failed" | "interrupted";
    error: string | null;
    trials: TrialRecord[];
}

/** Thrown when the run was interrupted (Ctrl-C); cleanup has already run. */
export class Interrupted extends Error {}

class Cancel {
    private reason: string | null = null;
    private readonly listeners = new Set<() => void>();
    get cancelled(): boolean {
        return this.reason !== null;
    }
    cancel(reason: string) {
        if (this.reason !== null) return;
        this.reason = reason;
        for (const l of this.listeners) l();
    }
    onCancel(l: () => void): () => void {
        this.listeners.add(l);
        return () => this.listeners.delete(l);
    }
    check() {
        if (this.reason !== null) throw new Interrupted(this.reason);
    }
    sleep(ms: number): Promise<void> {
        return new Promise((resolve) => {
            const off = this.onCancel(() => {
                clearTimeout(t);
                resolve();
            });
            const t = setTimeout(() => {
                off();
                resolve();
            }, ms);
        });
    }
}

async function waitSettled(kube: KubeClient, timeoutS: number, cancel: Cancel, log: (l: string) => void, pollMs = 5000, stablePolls = 3): Promise<ClusterState> {
    const deadline = Date.now() + timeoutS * 1000;
    let stable = 0;
    let last: string[] = [];
    for (;;) {
        cancel.check();
        const state = await kube.state();
        const reasons = unsettledReasons(state);
        stable = reasons.length === 0 ? stable + 1 : 0;
        if (stable >= stablePolls) return state;
        if (reasons.join() !== last.join() && reasons.length) log(`settling: ${reasons.join("; ")}`);
        last = reasons;
        if (Date.now() > deadline) throw new Error(`the cluster did not settle within ${timeoutS} s: ${reasons.join("; ") || "still changing"}`);
        await cancel.sleep(pollMs);
    }
}

/** Sample cluster state and client usage into samples.csv until stopped. */
function startSampler(file: string, intervalS: number, kube: KubeClient | null, monitor: ClientMonitor, clientSamples: ClientSample[]): () => Promise<void> {
    const out = fs.createWriteStream(file);
    out.write("t_s,kind,name,field,value\n");
    const start = Date.now();
    let busy: Promise<void> = Promise.resolve();
    const tick = async (): Promise<void> => {
        const tS = (Date.now() - start) / 1000;
        const c = monitor.sample();
        clientSamples.push({ ...c, tS });
        const rows = [`${tS.toFixed(3)},client,loadgen,cpuPercent,${c.cpuPercent.toFixed(1)}`, `${tS.toFixed(3)},client,loadgen,memPercent,${c.memPercent.toFixed(1)}`];
        if (kube) {
            try {
                const [state, pods] = await Promise.all([kube.state(), kube.podUsage()]);
                rows.push(...sampleRows(tS, state, pods));
            } catch {
                // A missed sample is a gap in the plot, not a failed trial.
            }
        }
        out.write(rows.join("\n") + "\n");
    };
    // A slow API answer delays the next sample rather than queueing ticks behind it.
    let inFlight = false;
    const timer = setInterval(() => {
        if (inFlight) return;
        inFlight = true;
        busy = tick().finally(() => {
            inFlight = false;
        });
    }, intervalS * 1000);
    return async () => {
        clearInterval(timer);
        await busy;
        await tick();
        await new Promise<void>((resolve) => out.end(resolve));
    };
}

function runLoadgen(ctx: RunContext, planFile: string, outDir: string, cancel: Cancel): Promise<void> {
    return new Promise((resolve, reject) => {
        const child: ChildProcess = spawn(ctx.loadgen.binary, ["run", "--plan", planFile, "--out", outDir], {
            stdio: ["ignore", "inherit", "pipe"],
            env: { ...process.env, LOADGEN_HEADERS: JSON.stringify(ctx.headers) },
        });
        let stderr = "";
        child.stderr?.on("data", (d: Buffer) => {
            stderr = (stderr + d.toString()).slice(-4000);
        });
        const off = cancel.onCancel(() => child.kill("SIGINT"));
        child.on("error", (e) => {
            off();
            reject(new Error(`${ctx.loadgen.binary}: ${e.message}`));
        });
        child.on("close", (code, signal) => {
            off();
            if (code === 0 || (cancel.cancelled && code === 130)) resolve();
            else reject(new Error(`loadgen exited with ${code ?? signal}: ${stderr.trim()}`));
        });
    });
}

function writeJson(file: string, value: unknown) {
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2) + "\n");
    fs.renameSync(`${file}.tmp`, file);
}

/**
 * A trial of --usage simulated: the plan's rate played as pod CPU while the
 * sampler records what the controllers do. No flowsheet, no request. The
 * machine's own CPU is sampled but not judged: the control plane runs here too,
 * and there is no load generator whose accuracy it would put in doubt.
 */
async function runSimulatedTrial(ctx: RunContext, n: number, runDir: string, cancel: Cancel, log: (l: string) => void, now: () => Date): Promise<TrialRecord> {
    const { args } = ctx;
    const dir = `trial-${n}`;
    const trialDir = path.join(runDir, dir);
    fs.mkdirSync(trialDir, { recursive: true });
    const startedAt = now().toISOString();
    const plan = buildPlan(ctx.table, { endpoint: args.endpoint, profile: args.profile, baseUrl: ctx.baseUrl, flowsheetId: "simulated", timeScale: args.timeScale });
    writeJson(path.join(trialDir, "plan.json"), plan);
    const stopSampler = startSampler(path.join(trialDir, "samples.csv"), plan.sampleIntervalS, ctx.kube, new ClientMonitor(), []);
    log(`trial ${n}: playing ${plan.name} as pod CPU for ${plannedDurationS(plan)} s`);
    try {
        await driveUsage({
            kube: ctx.kube!,
            model: ctx.table.simulatedUsage,
            endpoint: args.endpoint,
            plan,
            file: path.join(trialDir, "usage.csv"),
            // As often as the sampler: once a second at full scale.
            tickMs: plan.sampleIntervalS * 1000,
            sleep: (ms) => cancel.sleep(ms),
            cancelled: () => cancel.cancelled,
        });
    } finally {
        await stopSampler().catch((e: Error) => log(`cleanup problems: sampler: ${e.message}`));
    }
    cancel.check();
    return { trial: n, dir, valid: true, invalidReasons: [], aborted: false, abortReason: null, flowsheetId: null, startedAt, finishedAt: now().toISOString(), requests: 0, failed: 0 };
}

async function runTrial(ctx: RunContext, n: number, runDir: string, cancel: Cancel, log: (l: string) => void, now: () => Date): Promise<TrialRecord> {
    const { args } = ctx;
    if (args.usage === "simulated") return runSimulatedTrial(ctx, n, runDir, cancel, log, now);
    const dir = `trial-${n}`;
    const trialDir = path.join(runDir, dir);
    fs.mkdirSync(trialDir, { recursive: true });
    const startedAt = now().toISOString();
    const client: FlowsheetClient = { baseUrl: ctx.baseUrl, headers: ctx.headers, insecure: ctx.table.options.insecureSkipTLSVerify, log };
    let vars: Vars | null = null;
    let removeLatency: (() => Promise<void>) | null = null;
    let stopSampler: (() => Promise<void>) | null = null;
    let latencyLeft: string | null = null;
    const clientSamples: ClientSample[] = [];
    try {
        vars = await setUpFlowsheet(ctx.flowsheet, client, `${path.basename(runDir)}-${n}`);
        cancel.check();
        const plan: LoadPlan = buildPlan(ctx.table, { endpoint: args.endpoint, profile: args.profile, baseUrl: ctx.baseUrl, flowsheetId: vars.flowsheetId, timeScale: args.timeScale });
        const planFile = path.join(trialDir, "plan.json");
        writeJson(planFile, plan);
        fs.writeFileSync(path.join(trialDir, "script.k6.js"), renderK6Script(plan));
        if (ctx.netem) {
            removeLatency = await addLatency(ctx.netem);
            log(`latency: ${ctx.netem.add.join(" ")}`);
        }
        stopSampler = startSampler(path.join(trialDir, "samples.csv"), plan.sampleIntervalS, ctx.kube, new ClientMonitor(), clientSamples);
        log(`trial ${n}: loading ${plan.method} ${plan.url} for ${plannedDurationS(plan)} s`);
        await runLoadgen(ctx, planFile, trialDir, cancel);
    } finally {
        // Every way out: latency off first (it affects everything else), then
        // the sampler, then the flowsheet.
        const problems: string[] = [];
        if (removeLatency) {
            await removeLatency().then(
                () => log(`latency removed: ${ctx.netem!.remove.join(" ")}`),
                (e: Error & { stderr?: string }) => {
                    const why = (e.stderr?.trim() || e.message.trim()).split("\n")[0];
                    latencyLeft = `could not remove the added latency (${why}); remove it with: ${ctx.netem!.remove.join(" ")}`;
                    problems.push(latencyLeft);
                },
            );
        }
        if (stopSampler) await stopSampler().catch((e: Error) => problems.push(`sampler: ${e.message}`));
        if (vars) await tearDownFlowsheet(ctx.flowsheet, client, vars).catch((e: Error) => problems.push(e.message));
        if (problems.length) log(`cleanup problems: ${problems.join("; ")}`);
    }
    cancel.check();
    // Latency still on would skew every later trial: stop the run here.
    if (latencyLeft) throw new Error(latencyLeft);
    const summary = JSON.parse(fs.readFileSync(path.join(trialDir, "summary.json"), "utf8")) as { requests: number; failed: number; aborted: boolean; abortReason: string | null };
    fs.renameSync(path.join(trialDir, "summary.json"), path.join(trialDir, "loadgen-summary.json"));
    const invalidReasons = clientInvalidReasons(clientSamples, { cpuPercent: args.clientCpuLimit, memPercent: args.clientMemLimit });
    if (summary.requests === 0) invalidReasons.push("no request was sent");
    return {
        trial: n,
        dir,
        valid: invalidReasons.length === 0,
        invalidReasons,
        aborted: summary.aborted,
        abortReason: summary.abortReason,
        flowsheetId: vars?.flowsheetId ?? null,
        startedAt,
        finishedAt: now().toISOString(),
        requests: summary.requests,
        failed: summary.failed,
    };
}

/**
 * Run every trial; returns the run directory. Ctrl-C (SIGINT/SIGTERM) stops
 * the load, removes the latency and tears the flowsheet down before the run
 * ends with Interrupted.
 */
export async function runExperiment(ctx: RunContext, deps: RunnerDeps): Promise<string> {
    const { args } = ctx;
    const now = ctx.now ?? (() => new Date());
    const log = ctx.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    const startedAt = now();
    const runDir = path.join(args.resultsDir, resultsName(args), timestampName(startedAt));
    fs.mkdirSync(runDir, { recursive: true });
    const summary: RunSummary = {
        experiment: args.target === "local" ? "local" : args.experiment,
        endpoint: args.endpoint,
        profile: args.profile,
        target: args.target,
        usage: args.usage,
        stack: args.target === "cluster" ? args.stack : null,
        gitCommit: ctx.gitCommit,
        experimentValues: args.target === "cluster" ? ctx.experiment : null,
        loadgenVersion: ctx.loadgen.version,
        timeScale: args.timeScale,
        latencyMs: args.latencyMs,
        baseUrl: ctx.baseUrl,
        headerNames: Object.keys(ctx.headers),
        startedAt: startedAt.toISOString(),
        finishedAt: null,
        status: "running",
        error: null,
        trials: [],
    };
    const save = () => writeJson(path.join(runDir, "summary.json"), summary);
    save();

    const cancel = new Cancel();
    const onSignal = (sig: NodeJS.Signals) => {
        log(`${sig}: stopping the load and cleaning up (press again to leave at once)`);
        cancel.cancel(sig);
        process.once(sig, () => process.exit(130));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
        if (args.target === "cluster") {
            log(`deploy: experiment ${args.experiment} on stack ${args.stack}`);
            await deps.deploy(args.stack, args.experiment);
        }
        for (let n = 1; n <= args.trials; n++) {
            cancel.check();
            if (ctx.kube) await waitSettled(ctx.kube, args.settleTimeoutS, cancel, log, ctx.settle?.pollMs, ctx.settle?.stablePolls);
            const trial = await runTrial(ctx, n, runDir, cancel, log, now);
            summary.trials.push(trial);
            save();
            if (args.usage === "simulated") log(`trial ${n}: done (simulated usage)`);
            else log(`trial ${n}: ${trial.requests} requests, ${trial.failed} failed${trial.aborted ? `, aborted (${trial.abortReason})` : ""}${trial.valid ? "" : `; INVALID: ${trial.invalidReasons.join("; ")}`}`);
        }
        summary.status = "completed";
        return runDir;
    } catch (e) {
        summary.status = e instanceof Interrupted ? "interrupted" : "failed";
        summary.error = (e as Error).message;
        throw e;
    } finally {
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
        summary.finishedAt = now().toISOString();
        save();
    }
}
