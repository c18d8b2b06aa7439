/**
 * Runs the project's load generator (built by scripts/loadgen.sh) on a plan
 * and reads its outputs back, for the load tests. Every run is bounded.
 */
import { execFile, execFileSync } from "child_process";
import { promisify } from "util";
import * as fs from "fs";
import * as path from "path";
import { LoadPlan } from "../../loadtest/plan";
import { ROOT } from "./program";
import { scratchDir } from "./tmp";

const run = promisify(execFile);
let binary: string | undefined;

/** Build (or find in the cache) the load generator. A cold build takes about a minute. */
export function loadgenBinary(): string {
    binary ??= execFileSync("bash", [path.join(ROOT, "scripts/loadgen.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 }).trim();
    return binary;
}

export interface RequestRow {
    startMs: number;
    latencyMs: number;
    status: number;
    ok: boolean;
    error: string;
}

export interface LoadRun {
    dir: string;
    requests: RequestRow[];
    vus: Record<string, number>[];
    summary: {
        requests: number;
        ok: number;
        failed: number;
        droppedIterations: number;
        maxVUs: number;
        durationS: number;
        aborted: boolean;
        abortReason: string | null;
        plannedDurationS: number;
    };
    files: Record<string, string>;
    stdout?: string;
    stderr?: string;
}

export function readCsv(file: string): Record<string, string>[] {
    const [header, ...lines] = fs.readFileSync(file, "utf8").trim().split("\n");
    const keys = header.split(",");
    return lines.filter(Boolean).map((l) => {
        const cells = l.split(",");
        return Object.fromEntries(keys.map((k, i) => [k, cells[i] ?? ""]));
    });
}

export function readLoadOutputs(dir: string, summaryFile = "summary.json"): LoadRun {
    const files = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
    return {
        dir,
        files,
        requests: readCsv(path.join(dir, "requests.csv")).map((r) => ({ startMs: Number(r.start_ms), latencyMs: Number(r.latency_ms), status: Number(r.status), ok: r.ok === "1", error: r.error })),
        vus: readCsv(path.join(dir, "vus.csv")).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]))),
        summary: JSON.parse(files[summaryFile]),
    };
}

/** Run a plan (asynchronously: the stand-in serves from this same process), bounded in time. */
export async function runLoad(plan: LoadPlan, env: Record<string, string> = {}): Promise<LoadRun> {
    const dir = scratchDir(plan.name);
    const planFile = path.join(dir, "plan.json");
    fs.writeFileSync(planFile, JSON.stringify(plan));
    const out = path.join(dir, "out");
    const limitS = plan.stages.reduce((s, st) => s + st.durationS, 0) + plan.gracefulStopS + 30;
    const { stdout, stderr } = await run(loadgenBinary(), ["run", "--plan", planFile, "--out", out], { env: { ...process.env, ...env }, timeout: Math.ceil(limitS * 1000) });
    return { ...readLoadOutputs(out), stdout, stderr };
}

/** Requests the plan's rate asks for between two moments (seconds): the integral of the piecewise-linear rate. */
export function expectedStarts(plan: Pick<LoadPlan, "startRate" | "stages">, fromS: number, toS: number): number {
    let t = 0;
    let prev = plan.startRate;
    let total = 0;
    for (const s of plan.stages) {
        const a = Math.max(fromS, t);
        const b = Math.min(toS, t + s.durationS);
        if (b > a) {
            const rateAt = (x: number) => prev + ((s.target - prev) * (x - t)) / s.durationS;
            total += ((rateAt(a) + rateAt(b)) / 2) * (b - a);
        }
        t += s.durationS;
        prev = s.target;
    }
    return total;
}
