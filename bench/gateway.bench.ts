/**
 * sudo npm run bench:gateway [-- --seconds S] [--rates 15,80] [--warmup S]
 *
 * Issue #14's figure: the latency the gateway (Traefik and forwardAuth to OAuth2
 * Proxy) adds to a UOR request, at the UOR rates of the experiments (15 req/s in
 * the average profile, 80 at the spike's peak). On a stack and cluster of its own
 * (`bench-gateway`, harness/gatewayStack.ts: a fresh control plane, `pulumi up` of
 * the dev stack on fresh simulated nodes, the real gateway in a network namespace;
 * everything removed at the end, also on failure or Ctrl-C), it signs in as the
 * allowed email through the mock provider and then, for each rate, runs the
 * project's load generator inside the namespace at a constant arrival rate:
 * - direct: at the Django stand-in's pod address and port, over HTTP;
 * - gateway: at the API host over HTTPS (it resolves to Traefik inside the
 *   namespace), with the session cookie, so every request passes the API's
 *   middleware chain (CORS, then forwardAuth to OAuth2 Proxy) before the stand-in;
 * - gateway, kept alive: the same with connections reused, which leaves out the
 *   TCP and TLS handshakes the experiments pay on every request.
 * The method, path and base options are the experiments' (loadtest/profiles.yaml):
 * a new connection per request, no redirect followed. Traefik serves its own
 * self-signed default certificate inside the cluster (Cloudflare presents the
 * public one), so the plan skips TLS verification, as the experiments' k6 options do.
 * Every request must answer 200: a 401 or a redirect means the session cookie did
 * not work, and the run fails. Prints a Markdown table; each run's figures also go
 * to .cache/bench/gateway.jsonl.
 *
 * The stand-ins answer at once and everything runs on this machine, so the figures
 * are the chain's own cost; Django's time and the hardware's network hops come on top.
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { StackSettings } from "../config/schema";
import { Gateway, GATEWAY_APPS, GATEWAY_NET, CookieJar, inGatewayNetns, signIn } from "../harness/gateway";
import { GatewayStack } from "../harness/gatewayStack";
import { loadgenBinary, quantile, readLoadOutputs, RequestRow } from "../harness/loadgen";
import { simDown } from "../harness/sim";
import { ROOT } from "../harness/engine";
import { DEV_PLACEHOLDER_SECRETS } from "../harness/stacks";
import { buildPlan, LoadPlan } from "../loadtest/plan";
import { loadLoadTable } from "../loadtest/profiles";

const run = promisify(execFile);

// ---- pure: arguments, plans, figures ----------------------------------------------

export interface BenchArgs {
    /** Seconds of constant arrival rate per way and rate. */
    readonly seconds: number;
    readonly rates: readonly number[];
    /** Seconds of a warm-up run per way before the first measured one (0: none). */
    readonly warmupS: number;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
    let seconds = 20;
    let rates = [15, 80];
    let warmupS = 3;
    for (let i = 0; i < argv.length; i++) {
        const value = argv[i + 1];
        if (argv[i] === "--seconds") seconds = Number(value);
        else if (argv[i] === "--rates") rates = (value ?? "").split(",").map(Number);
        else if (argv[i] === "--warmup") warmupS = Number(value);
        else throw new Error(`unknown argument ${JSON.stringify(argv[i])} (expected --seconds S, --rates R1,R2, --warmup S)`);
        i++;
    }
    if (!(Number.isFinite(seconds) && seconds >= 1 && seconds <= 3600)) throw new Error(`--seconds: expected a number from 1 to 3600, got ${seconds}`);
    if (rates.length === 0 || !rates.every((r) => Number.isFinite(r) && r > 0 && r <= 1000)) throw new Error(`--rates: expected rates in (0, 1000] separated by commas, got ${rates.join(",")}`);
    if (!(Number.isFinite(warmupS) && warmupS >= 0 && warmupS <= 600)) throw new Error(`--warmup: expected a number from 0 to 600, got ${warmupS}`);
    return { seconds, rates, warmupS };
}

/** The ways a UOR request is sent, in the order they run at each rate. */
export const WAYS = ["direct", "gateway", "gateway, kept alive"] as const;
export type Way = (typeof WAYS)[number];

/**
 * The load generator's plan for one way at one rate: the UOR request of the
 * experiments (method, path, base options) at `rate` from the first moment for
 * `seconds` (not the profiles' ramps: a constant rate, for stable quantiles).
 */
export function benchPlan(base: LoadPlan, way: Way, rate: number, seconds: number): LoadPlan {
    const slug = way.replace(/[^a-z]+/g, "-");
    return {
        ...base,
        name: `gateway-bench-${slug}-${rate}`,
        startRate: rate,
        timeUnitS: 1,
        stages: [{ durationS: seconds, target: rate }],
        abortWhenVUsExceed: null,
        noConnectionReuse: way === "gateway, kept alive" ? false : base.noConnectionReuse,
        sampleIntervalS: 1,
    };
}

export interface LatencySummary {
    readonly requests: number;
    /** Requests started per second of the planned duration. */
    readonly achievedRps: number;
    /** Answers other than 200, by status (`error: …` for no answer at all). */
    readonly notOk: Readonly<Record<string, number>>;
    readonly dropped: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
}

/** Latency quantiles (ms) of every request of a run, and what did not answer 200. */
export function summarise(rows: readonly RequestRow[], seconds: number, dropped: number): LatencySummary {
    const latencies = rows.map((r) => r.latencyMs).sort((a, b) => a - b);
    const notOk: Record<string, number> = {};
    for (const r of rows) {
        if (r.status === 200) continue;
        const key = r.status === 0 ? `error: ${r.error || "unknown"}` : String(r.status);
        notOk[key] = (notOk[key] ?? 0) + 1;
    }
    return { requests: rows.length, achievedRps: rows.length / seconds, notOk, dropped, p50: quantile(latencies, 0.5), p90: quantile(latencies, 0.9), p99: quantile(latencies, 0.99) };
}

/** Why a run does not count (undefined: every request answered 200 and none was dropped). */
export function runProblem(way: Way, rate: number, s: LatencySummary): string | undefined {
    const bad = Object.entries(s.notOk);
    if (bad.length === 0 && s.dropped === 0 && s.requests > 0) return undefined;
    const counts = bad.map(([k, n]) => `${n} × ${k}`).join(", ");
    const hint = bad.some(([k]) => k === "401" || k === "403" || /^30\d$/.test(k)) ? " (401, 403 or a redirect: the session cookie did not work)" : "";
    const what = [counts, s.dropped > 0 ? `${s.dropped} dropped` : "", s.requests === 0 ? "no request at all" : ""].filter(Boolean).join(", ");
    return `${way} at ${rate} req/s: ${what} of ${s.requests} requests not answered 200${hint}`;
}

/** Shares of all CPUs' time between two readings of /proc/stat: busy (user, system, interrupts) and stolen by the hypervisor. */
export function cpuShares(before: string, after: string): { busy: number; steal: number } {
    const ticks = (stat: string) => {
        const line = stat.split("\n").find((l) => l.startsWith("cpu "));
        if (line === undefined) throw new Error("/proc/stat: no aggregate cpu line");
        // user nice system idle iowait irq softirq steal (guest time is inside user)
        const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
        return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
    };
    const [a, b] = [ticks(before), ticks(after)];
    const total = b.busy - a.busy + (b.idle - a.idle) + (b.steal - a.steal);
    if (!(total > 0)) throw new Error("/proc/stat: no CPU time passed between the readings");
    return { busy: (b.busy - a.busy) / total, steal: (b.steal - a.steal) / total };
}

export interface RateResult {
    readonly rate: number;
    readonly ways: Readonly<Record<Way, LatencySummary>>;
}

const ms = (x: number) => x.toFixed(2);
const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}`;

/** The Markdown table: each way's quantiles, then what the gateway adds (gateway minus direct, quantile by quantile). */
export function benchTable(results: readonly RateResult[]): string {
    const lines = ["| rate (req/s) | way | requests | achieved (req/s) | not 200 | p50 (ms) | p90 (ms) | p99 (ms) |", "|---|---|---|---|---|---|---|---|"];
    for (const { rate, ways } of results) {
        for (const way of WAYS) {
            const s = ways[way];
            const notOk = Object.values(s.notOk).reduce((a, b) => a + b, 0) + s.dropped;
            lines.push(`| ${rate} | ${way} | ${s.requests} | ${s.achievedRps.toFixed(1)} | ${notOk} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} |`);
        }
        const [d, g, k] = [ways.direct, ways.gateway, ways["gateway, kept alive"]];
        lines.push(`| ${rate} | **added by the gateway** (gateway − direct) | | | | **${signed(g.p50 - d.p50)}** | **${signed(g.p90 - d.p90)}** | **${signed(g.p99 - d.p99)}** |`);
        lines.push(`| ${rate} | added, connections kept alive | | | | ${signed(k.p50 - d.p50)} | ${signed(k.p90 - d.p90)} | ${signed(k.p99 - d.p99)} |`);
    }
    return `${lines.join("\n")}\n`;
}

// ---- the run ----------------------------------------------------------------------

const STACK = new GatewayStack("bench-gateway", "picluster-bench", DEV_PLACEHOLDER_SECRETS);

interface Target {
    readonly url: string;
    /** LOADGEN_HEADERS (the session cookie for the gateway ways). */
    readonly headers: Readonly<Record<string, string>>;
}

/** One load run inside the gateway's namespace; the headers reach loadgen only in its environment. */
async function loadRun(binary: string, dir: string, plan: LoadPlan, target: Target, seconds: number, signal: AbortSignal): Promise<LatencySummary> {
    const p: LoadPlan = { ...plan, url: target.url };
    const planFile = path.join(dir, `${p.name}.json`);
    fs.writeFileSync(planFile, JSON.stringify(p), { mode: 0o600 });
    const out = path.join(dir, p.name);
    const cmd = inGatewayNetns(binary, ["run", "--plan", planFile, "--out", out]);
    await run(cmd.file, cmd.args, { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LOADGEN_HEADERS: JSON.stringify(target.headers) }, timeout: (seconds + p.gracefulStopS + 60) * 1000, signal });
    const r = readLoadOutputs(out);
    return summarise(r.requests, seconds, r.summary.droppedIterations);
}

/** Where the API host resolves inside the namespace (glibc's view of the mounted /etc/hosts; loadgen's Go resolver reads the same file). */
function resolveInside(host: string): string {
    const cmd = inGatewayNetns("getent", ["hosts", host]);
    const outText = execFileSync(cmd.file, cmd.args, { encoding: "utf8", timeout: 10_000 });
    return outText.trim().split(/\s+/)[0] ?? "";
}

async function measure(args: BenchArgs, gw: Gateway, settings: StackSettings, binary: string, dir: string, signal: AbortSignal): Promise<RateResult[]> {
    const { domains } = settings.platform;
    const jar = new CookieJar();
    const email = settings.auth.allowedEmails[0];
    const { callback } = await signIn(gw, domains, email, jar);
    const cookie = jar.header(domains.api, true);
    if (callback.status !== 302 || cookie === undefined || !jar.names().includes("_oauth2_proxy")) {
        throw new Error(`sign-in as the allowed email: callback answered ${callback.status}, cookies ${jar.names().join(", ") || "none"}: no session cookie for ${domains.api}`);
    }
    const at = resolveInside(domains.api);
    if (at !== GATEWAY_NET.inside) throw new Error(`${domains.api} resolves to ${at || "nothing"} inside ${GATEWAY_NET.netns}, expected Traefik's ${GATEWAY_NET.inside}`);
    const django = gw.plan?.backends.find((b) => b.name === GATEWAY_APPS.api);
    if (django === undefined) throw new Error("no Django stand-in in the gateway's plan");
    const apiBackends = gw.plan!.backends.filter((b) => b.name === GATEWAY_APPS.api).length;
    if (apiBackends !== 1) process.stderr.write(`bench: note: ${apiBackends} Django pods; Traefik spreads over them all, direct goes to ${django.ip}\n`);

    const table = loadLoadTable();
    const uor = (baseUrl: string) => buildPlan(table, { endpoint: "uor", profile: "average", baseUrl, flowsheetId: 1 });
    const base = uor(`https://${domains.api}`);
    const targets: Record<Way, Target> = {
        direct: { url: uor(`http://${django.ip}:${django.port}`).url, headers: {} },
        gateway: { url: base.url, headers: { Cookie: cookie } },
        "gateway, kept alive": { url: base.url, headers: { Cookie: cookie } },
    };
    process.stderr.write(`bench: ${base.method} direct ${targets.direct.url}, through the gateway ${base.url} (${domains.api} → ${at} inside the namespace)\n`);

    const check = (way: Way, rate: number, s: LatencySummary) => {
        const problem = runProblem(way, rate, s);
        if (problem !== undefined) throw new Error(problem);
        return s;
    };
    if (args.warmupS > 0) {
        for (const way of WAYS) check(way, 15, await loadRun(binary, dir, benchPlan(base, way, 15, args.warmupS), targets[way], args.warmupS, signal));
        process.stderr.write(`bench: warm-up done (${args.warmupS} s each way, all 200)\n`);
    }
    const results: RateResult[] = [];
    for (const rate of args.rates) {
        const ways = {} as Record<Way, LatencySummary>;
        for (const way of WAYS) {
            ways[way] = check(way, rate, await loadRun(binary, dir, benchPlan(base, way, rate, args.seconds), targets[way], args.seconds, signal));
            process.stderr.write(`bench: ${rate} req/s ${way}: p50 ${ms(ways[way].p50)} ms, p99 ${ms(ways[way].p99)} ms\n`);
        }
        results.push({ rate, ways });
    }
    return results;
}

async function main(argv: string[]): Promise<void> {
    const args = parseBenchArgs(argv);
    const binary = loadgenBinary();
    const version = (await run(binary, ["version"])).stdout.trim();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-bench-gateway-"));
    // Ends a load run in progress (loadgen stops on SIGTERM) before the gateway goes.
    const loadgen = new AbortController();
    let cleaned: Promise<void> | undefined;
    const cleanup = () => {
        loadgen.abort();
        return (cleaned ??= STACK.stop({ removeStack: true }).finally(() => fs.rmSync(dir, { recursive: true, force: true })));
    };
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.once(sig, () => {
            process.stderr.write(`bench: ${sig}: tearing down\n`);
            void cleanup().finally(() => process.exit(130));
        });
    }
    let results: RateResult[];
    // How busy the machine was during the runs, and how much CPU the hypervisor took (a shared VM here).
    const stat = () => fs.readFileSync("/proc/stat", "utf8");
    let statBefore = "";
    try {
        const { gw, settings } = await STACK.start();
        // The nodes' part is done: free their CPU for the run (the gateway needs only the control plane).
        simDown();
        statBefore = stat();
        results = await measure(args, gw, settings, binary, dir, loadgen.signal);
    } finally {
        await cleanup();
    }
    const cpu = cpuShares(statBefore, stat());
    const log = path.join(ROOT, ".cache/bench/gateway.jsonl");
    fs.mkdirSync(path.dirname(log), { recursive: true });
    fs.appendFileSync(log, `${JSON.stringify({ at: new Date().toISOString(), seconds: args.seconds, cpu, results })}\n`);
    process.stdout.write(
        [
            `gateway latency, UOR (GET), ${args.seconds} s per way and rate, constant arrival rate; ${version}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}; everything in one network namespace, stand-ins answering at once; during the runs the CPUs were ${(100 * cpu.busy).toFixed(0)} % busy and ${(100 * cpu.steal).toFixed(0)} % stolen by the hypervisor`,
            "",
            benchTable(results),
        ].join("\n"),
    );
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((e: Error) => {
        process.stderr.write(`${e.message}\n`);
        process.exitCode = 1;
    });
}
