/**
 * npm run experiment:report -- <run dir>
 * npm run experiment:compare -- <experiment or variant> --profile P [--endpoint uor|fs] [--local] [--results DIR] [--out DIR]
 * npm run experiment:compare -- --runs <run dir> <run dir> ... --out DIR
 *
 * Numbers and plots from trial results (the Python package in analysis/, in
 * the project's .venv): per run, analysis.json and plots/; across the variants
 * of one experiment, comparison.md, comparison.csv and comparison plots.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadCatalog } from "../experiments/catalog";
import { latestRun, variantsOf } from "../loadtest/results";

const ROOT = path.join(__dirname, "..");

function python(args: string[]): number {
    execFileSync("bash", [path.join(ROOT, "scripts/setup-python.sh")], { stdio: "inherit" });
    const r = spawnSync(path.join(ROOT, ".venv/bin/python"), ["-m", "analysis", ...args], { cwd: ROOT, stdio: "inherit", env: { ...process.env, MPLBACKEND: "Agg" } });
    return r.status ?? 1;
}

function fail(message: string): number {
    process.stderr.write(`${message}\n`);
    return 2;
}

function compare(argv: string[]): number {
    const opts = new Map<string, string>();
    const positional: string[] = [];
    let local = false;
    let runs: string[] | null = null;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--local") local = true;
        else if (a === "--runs") runs = [];
        else if (["--profile", "--endpoint", "--results", "--out", "--title"].includes(a)) {
            if (argv[i + 1] === undefined) return fail(`${a}: expected a value, got none`);
            opts.set(a, argv[++i]);
        } else if (a.startsWith("-")) return fail(`unknown option ${a}`);
        else if (runs) runs.push(a);
        else positional.push(a);
    }
    if (runs) {
        if (runs.length === 0) return fail("--runs: expected one or more run directories, got none");
        if (!opts.has("--out")) return fail("--out: expected an output directory with --runs, got none");
        return python(["compare", ...runs, "--out", opts.get("--out")!, ...(opts.has("--title") ? ["--title", opts.get("--title")!] : [])]);
    }
    if (positional.length !== 1) return fail(`expected one experiment (e.g. uor-replicas) or variant, got ${positional.length}`);
    const profile = opts.get("--profile");
    if (!profile) return fail("--profile: expected a load profile, got none");
    const endpoint = opts.get("--endpoint");
    if (endpoint !== undefined && endpoint !== "uor" && endpoint !== "fs") return fail(`--endpoint: expected uor or fs, got ${JSON.stringify(endpoint)}`);
    const results = opts.get("--results") ?? "results";
    const variants = variantsOf(positional[0], Object.keys(loadCatalog()));
    if (variants.length === 0) return fail(`experiment: expected a variant or an experiment of the catalog (e.g. uor-replicas, cpu-target), got ${JSON.stringify(positional[0])}`);
    const found: string[] = [];
    const missing: string[] = [];
    for (const v of [...variants, ...(local ? ["local"] : [])]) {
        const run = latestRun(results, v, profile, endpoint);
        if (run) found.push(run);
        else missing.push(v);
    }
    if (missing.length) process.stderr.write(`no completed ${profile}${endpoint ? `/${endpoint}` : ""} run for: ${missing.join(", ")}\n`);
    if (found.length === 0) return fail(`nothing to compare under ${results}/`);
    const out = opts.get("--out") ?? path.join(results, "compare", positional[0], endpoint ? `${profile}-${endpoint}` : profile);
    const title = opts.get("--title") ?? `${positional[0]}, ${profile}${endpoint ? `, ${endpoint.toUpperCase()}` : ""}`;
    fs.mkdirSync(out, { recursive: true });
    return python(["compare", ...found, "--out", out, "--title", title]);
}

function main(argv: string[]): number {
    const [command, ...rest] = argv;
    if (command === "report") {
        if (rest.length !== 1) return fail("usage: npm run experiment:report -- <run dir>");
        return python(["report", rest[0]]);
    }
    if (command === "compare") return compare(rest);
    return fail("usage: analyse.ts report <run dir> | compare ...");
}

process.exitCode = main(process.argv.slice(2));
