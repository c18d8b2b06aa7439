/**
 * The load generator as programs other than the trial runner use it (tests, the
 * load generator benchmark): its cached binary, and its output files read back.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./engine";
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

/** The q-quantile (0..1) of ascending `sorted`, interpolated linearly between ranks (NaN for none). */
export function quantile(sorted: readonly number[], q: number): number {
    if (!(q >= 0 && q <= 1)) throw new Error(`quantile: expected q in [0, 1], got ${q}`);
    if (sorted.length === 0) return NaN;
    const i = (sorted.length - 1) * q;
    const lo = Math.floor(i);
    return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (i - lo);
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

