/**
 * sudo npm run bench:bootstrap [-- --runs N]
 *
 * Issue #16's figure: time from blank simulated nodes to "provisioned" (the dev
 * stack's provisioning, platform off, `pulumi up` done), two ways, alternating,
 * N runs each (default 2):
 * - current: the pre-built image (sim/up.sh makes each node's host key, root login
 *   with the operator's key) and the host keys copied into a known_hosts file the
 *   stack names (sim/up.sh writes it: the hand copy, at no cost), then `pulumi up`,
 *   whose prereqs step adds the cgroup flags and reboots each K3s node;
 * - blank card: `npm run bootstrap --boot` per node (the stack's seeds made on the
 *   first), boot with cloud-init setting the node up, then `pulumi up` with no host
 *   key in the config (the cards already carry the cgroup flags: no reboot).
 * The operator's own time (flashing, copying keys by hand) is not in either.
 * Prints a Markdown table; each run's numbers also go to .cache/bench/bootstrap.jsonl.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineResult, EngineStack, failureReport, pulumi, ROOT } from "../harness/engine";
import { freshStackOnBareNodes, freshStackOnBlankCards, simConfig, simDown } from "../harness/sim";
import { DEV_PLACEHOLDER_SECRETS, platformEnabled } from "../harness/stacks";

const STACK: EngineStack = { name: "bench", stateDir: path.join(ROOT, ".cache/bench/state"), passphrase: "picluster-bench" };
const FILE = path.join(ROOT, "Pulumi.bench.yaml");
const PROVISION_ONLY = platformEnabled("dev", false);

interface Run {
    readonly path: "current" | "blank card";
    /** Setting the nodes up before `pulumi up`: boot (and, for blank cards, the bootstrap). */
    readonly prepareS: number;
    readonly bootstrapS: number;
    readonly upS: number;
    readonly totalS: number;
    readonly reboots: number;
}

function ok(what: string, r: EngineResult): EngineResult {
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${failureReport(r)}`);
    return r;
}

/** Nodes whose prereqs step rebooted them (the engine echoes a step's line as it is creating and when created). */
const rebootsIn = (r: EngineResult) => new Set([...`${r.stdout}\n${r.stderr}`.matchAll(/(\S+)-prereqs \S+ \([^)]*\) \[prereqs\] kernel command line changed; rebooting/g)].map((m) => m[1])).size;

async function current(): Promise<Run> {
    const start = Date.now();
    await freshStackOnBareNodes(STACK, FILE, DEV_PLACEHOLDER_SECRETS, { ...simConfig(), ...PROVISION_ONLY });
    const prepared = Date.now();
    const up = ok("pulumi up (current)", await pulumi(STACK, ["up", "--yes", "--skip-preview"], { timeoutMs: 30 * 60_000 }));
    return { path: "current", prepareS: (prepared - start) / 1000, bootstrapS: 0, upS: up.ms / 1000, totalS: (Date.now() - start) / 1000, reboots: rebootsIn(up) };
}

async function blankCard(): Promise<Run> {
    const start = Date.now();
    const cards = await freshStackOnBlankCards(STACK, FILE, DEV_PLACEHOLDER_SECRETS, {
        "picluster:ssh": { user: "pi", dialErrorLimit: 40, perDialTimeout: 5 },
        ...PROVISION_ONLY,
    });
    const prepared = Date.now();
    const up = ok("pulumi up (blank card)", await pulumi(STACK, ["up", "--yes", "--skip-preview"], { timeoutMs: 30 * 60_000 }));
    return { path: "blank card", prepareS: (prepared - start) / 1000, bootstrapS: cards.bootstrapMs / 1000, upS: up.ms / 1000, totalS: (Date.now() - start) / 1000, reboots: rebootsIn(up) };
}

async function main(argv: string[]): Promise<void> {
    const i = argv.indexOf("--runs");
    const runs = i >= 0 ? Number(argv[i + 1]) : 2;
    if (!Number.isInteger(runs) || runs < 1 || runs > 10) throw new Error(`--runs: expected an integer from 1 to 10, got ${JSON.stringify(argv[i + 1])}`);
    const log = path.join(ROOT, ".cache/bench/bootstrap.jsonl");
    fs.mkdirSync(path.dirname(log), { recursive: true });
    const results: Run[] = [];
    try {
        for (let r = 0; r < runs; r++) {
            for (const run of [current, blankCard]) {
                const result = await run();
                results.push(result);
                fs.appendFileSync(log, `${JSON.stringify({ at: new Date().toISOString(), ...result })}\n`);
                process.stderr.write(`${result.path}: ${result.totalS.toFixed(1)} s\n`);
            }
        }
    } finally {
        simDown();
        fs.rmSync(FILE, { force: true });
    }
    const f = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(" / ");
    const row = (p: Run["path"]) => {
        const rs = results.filter((x) => x.path === p);
        return `| ${p} | ${f(rs.map((x) => x.bootstrapS))} | ${f(rs.map((x) => x.prepareS))} | ${f(rs.map((x) => x.upS))} | ${f(rs.map((x) => x.reboots))} | **${f(rs.map((x) => x.totalS))}** |`;
    };
    process.stdout.write(
        [
            `blank simulated nodes to provisioned (4 nodes, platform off), ${runs} run(s) each: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}`,
            "",
            "| path | bootstrap s | boot + stack, s (incl. bootstrap) | `pulumi up` s | reboots | total s |",
            "|---|---|---|---|---|---|",
            row("current"),
            row("blank card"),
            "",
        ].join("\n"),
    );
}

main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
});
