/**
 * npm run bench:loadgen [-- --seconds S] [--rates 15,80,200,400]
 *
 * How faithfully and how cheaply the load generator holds a rate: for each
 * rate, a flat run against the stand-in platform on loopback (UOR answers in
 * 20-40 ms), reporting the achieved rate, how late requests start against
 * their schedule, and loadgen's own CPU (share of one core) and peak memory.
 * On the ingress node this tells whether the client can drive a profile
 * without voiding trials (client CPU under 90 %).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { buildPlan, LoadPlan } from "../loadtest/plan";
import { loadLoadTable } from "../loadtest/profiles";
import { startStandin } from "../harness/standin";
import { loadgenBinary, quantile, readLoadOutputs } from "../harness/loadgen";

const run = promisify(execFile);

async function main(argv: string[]): Promise<void> {
    let seconds = 10;
    let rates = [15, 80, 200, 400];
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--seconds") seconds = Number(argv[++i]);
        else if (argv[i] === "--rates") rates = argv[++i].split(",").map(Number);
        else throw new Error(`unknown argument ${argv[i]}`);
    }
    if (!(seconds > 0 && seconds <= 120)) throw new Error(`--seconds: expected 1-120, got ${seconds}`);
    if (!rates.every((r) => r > 0 && r <= 2000)) throw new Error(`--rates: expected rates in (0, 2000], got ${rates.join(",")}`);

    const binary = loadgenBinary();
    const version = (await run(binary, ["version"])).stdout.trim();
    const standin = await startStandin();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "picluster-bench-"));
    const table = loadLoadTable();
    const rows: string[] = [];
    try {
        for (const rate of rates) {
            // A flat rate from the first moment: request n is due at n / rate.
            const base = buildPlan(table, { endpoint: "uor", profile: "average", baseUrl: standin.url, flowsheetId: 1 });
            const plan: LoadPlan = { ...base, name: `bench-${rate}`, startRate: rate, stages: [{ durationS: seconds, target: rate }], sampleIntervalS: 1 };
            const planFile = path.join(dir, `${plan.name}.json`);
            fs.writeFileSync(planFile, JSON.stringify(plan));
            const out = path.join(dir, plan.name);
            await run(binary, ["run", "--plan", planFile, "--out", out], { timeout: (seconds + 60) * 1000 });
            const r = readLoadOutputs(out);
            const s = r.summary as typeof r.summary & { cpuUserS: number; cpuSysS: number; maxRssKiB: number };
            const starts = r.requests.map((q) => q.startMs).sort((a, b) => a - b);
            const lateMs = starts.map((t, n) => t - ((n + 1) / rate) * 1000).sort((a, b) => a - b);
            const achieved = starts.length / seconds;
            const cpu = (100 * (s.cpuUserS + s.cpuSysS)) / s.durationS;
            rows.push(
                `| ${rate} | ${achieved.toFixed(1)} | ${r.summary.failed} | ${r.summary.droppedIterations} | ${quantile(lateMs, 0.5).toFixed(2)} | ${quantile(lateMs, 0.99).toFixed(2)} | ${cpu.toFixed(1)} | ${(s.maxRssKiB / 1024).toFixed(0)} |`,
            );
            process.stderr.write(`bench: ${rate}/s done\n`);
        }
    } finally {
        await standin.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
    process.stdout.write(
        [
            `${version}, ${seconds} s per rate, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, stand-in on loopback (20-40 ms answers)`,
            "",
            "| rate (req/s) | achieved (req/s) | failed | dropped | start lag p50 (ms) | start lag p99 (ms) | loadgen CPU (% of a core) | peak RSS (MiB) |",
            "|---|---|---|---|---|---|---|---|",
            ...rows,
            "",
        ].join("\n"),
    );
}

main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
});
