/**
 * Runs the provisioning the program registers, for real, over SSH.
 *
 * Until the real Pulumi engine is in the loop, this stands in for it: it takes
 * the exact `remote.Command` create strings and connections the program
 * registers (under mocks) and runs them in dependency order, steps of one node
 * in sequence and nodes in parallel, the way the engine would. Host keys are
 * pinned from the registered connection, and non-ingress nodes are reached
 * through the registered jump host, as the provider does.
 */
import * as fs from "fs";
import * as path from "path";
import { spawn } from "child_process";
import { dependencyNames } from "../helpers/graph";
import { ProgramRun, Registered } from "../helpers/program";
import { scratchDir } from "../helpers/tmp";

export interface StepResult {
    readonly name: string;
    /** The node component the step belongs to. */
    readonly node: string;
    readonly status: "ok" | "failed" | "skipped";
    readonly error?: string;
    readonly stdout: string;
    readonly stderr: string;
    readonly startedAt: number;
    readonly endedAt: number;
}

export interface ProvisionReport {
    readonly steps: readonly StepResult[];
    readonly wallMs: number;
    /** First start to last end, per node. */
    readonly perNodeMs: Readonly<Record<string, number>>;
    readonly failed: readonly StepResult[];
}

export interface ProvisionOptions {
    /** Which registered steps to run. @default all */
    readonly only?: (step: Registered) => boolean;
    /** Bound on one step. @default 10 minutes */
    readonly stepTimeoutMs?: number;
}

interface Conn {
    host: string;
    port?: number;
    user?: string;
    hostKey?: string;
    privateKey?: string;
    perDialTimeout?: number;
    dialErrorLimit?: number;
    proxy?: Conn;
}

/** ssh arguments that reproduce a registered connection (pinned keys, jump host, dial bounds). */
export function sshArgs(conn: Conn, dir: string): string[] {
    const keyFile = path.join(dir, "id");
    fs.writeFileSync(keyFile, `${(conn.privateKey ?? "").trim()}\n`, { mode: 0o600 });
    const knownHosts = path.join(dir, "known_hosts");
    const entries = [conn, conn.proxy].filter((c): c is Conn => c !== undefined && c.hostKey !== undefined);
    fs.writeFileSync(knownHosts, entries.map((c) => `${c.port && c.port !== 22 ? `[${c.host}]:${c.port}` : c.host} ${c.hostKey}`).join("\n") + "\n");
    const common = (c: Conn) => [
        "-i", keyFile,
        "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", `UserKnownHostsFile=${knownHosts}`,
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", `ConnectTimeout=${c.perDialTimeout ?? 10}`,
        "-o", `ConnectionAttempts=${c.dialErrorLimit ?? 1}`,
        "-o", "LogLevel=ERROR",
        "-p", String(c.port ?? 22),
    ];
    const args = common(conn);
    if (conn.proxy) {
        const p = conn.proxy;
        const inner = ["ssh", ...common(p), "-W", "%h:%p", `${p.user ?? "root"}@${p.host}`].map((a) => (/[\s"]/.test(a) ? `"${a}"` : a)).join(" ");
        args.push("-o", `ProxyCommand=${inner}`);
    }
    args.push(`${conn.user ?? "root"}@${conn.host}`);
    return args;
}

/** One ssh attempt. */
function attempt(args: string[], timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn("ssh", args, { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr });
        });
    });
}

/**
 * Run a step like the provider: dial up to `dialErrorLimit` times (ssh exits
 * 255 on its own errors: refused, reset, jump-host forwarding failed), which is
 * what carries a step over a node's reboot; then the command once.
 */
async function runOne(step: Registered, timeoutMs: number): Promise<Omit<StepResult, "name" | "node" | "startedAt">> {
    const conn = step.inputs.connection as Conn;
    const args = [...sshArgs(conn, scratchDir("ssh")), "--", step.inputs.create as string];
    const limit = Math.max(1, conn.dialErrorLimit ?? 10);
    const deadline = Date.now() + timeoutMs;
    let last = await attempt(args, timeoutMs);
    for (let i = 1; i < limit && last.code === 255 && Date.now() < deadline; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        last = await attempt(args, Math.max(1, deadline - Date.now()));
    }
    const ok = last.code === 0;
    const why = last.signal ? `timed out after ${timeoutMs} ms` : last.code === 255 ? `could not reach ${conn.host} (${limit} dials)` : `exit ${last.code}`;
    return {
        status: ok ? "ok" : "failed",
        error: ok ? undefined : `${why}: ${last.stderr.trim().split("\n").slice(-3).join(" | ")}`,
        stdout: last.stdout,
        stderr: last.stderr,
        endedAt: Date.now(),
    };
}

/** Run the registered steps; resolves when every step has run, failed or been skipped. */
export async function provision(run: ProgramRun, options: ProvisionOptions = {}): Promise<ProvisionReport> {
    const steps = run.ofType("command:remote:Command").filter(options.only ?? (() => true));
    const byName = new Map(steps.map((s) => [s.name, s]));
    const deps = new Map(steps.map((s) => [s.name, dependencyNames(s).filter((d) => byName.has(d))]));
    const results = new Map<string, StepResult>();
    const started = new Set<string>();
    const t0 = Date.now();

    await new Promise<void>((done) => {
        const pump = () => {
            for (const step of steps) {
                if (started.has(step.name)) continue;
                const before = deps.get(step.name)!;
                if (!before.every((d) => results.has(d))) continue;
                started.add(step.name);
                const failedDep = before.find((d) => results.get(d)!.status !== "ok");
                const node = step.parent ?? "?";
                if (failedDep) {
                    const now = Date.now();
                    results.set(step.name, { name: step.name, node, status: "skipped", error: `not run: ${failedDep} did not succeed`, stdout: "", stderr: "", startedAt: now, endedAt: now });
                    continue;
                }
                const startedAt = Date.now();
                void runOne(step, options.stepTimeoutMs ?? 600_000).then((r) => {
                    results.set(step.name, { ...r, name: step.name, node, startedAt });
                    pump();
                });
            }
            if (results.size === steps.length) done();
        };
        pump();
    });

    const all = steps.map((s) => results.get(s.name)!);
    const perNodeMs: Record<string, number> = {};
    for (const node of new Set(all.map((r) => r.node))) {
        const mine = all.filter((r) => r.node === node && r.status !== "skipped");
        if (mine.length > 0) perNodeMs[node] = Math.max(...mine.map((r) => r.endedAt)) - Math.min(...mine.map((r) => r.startedAt));
    }
    return { steps: all, wallMs: Date.now() - t0, perNodeMs, failed: all.filter((r) => r.status === "failed") };
}

/** Write every step's output to a log file (stdout of steps that read secrets is left out). */
export function writeLog(report: ProvisionReport, run: ProgramRun, file: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = report.steps
        .map((s) => {
            const secret = run.byName(s.name).inputs.logging === "none";
            return [`== ${s.name} [${s.status}] ${((s.endedAt - s.startedAt) / 1000).toFixed(1)} s${s.error ? ` ${s.error}` : ""}`, secret ? "(stdout not logged: secret)" : s.stdout, s.stderr].join("\n");
        })
        .join("\n");
    fs.writeFileSync(file, text, { mode: 0o600 });
}
