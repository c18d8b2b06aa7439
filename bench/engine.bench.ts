/**
 * npm run bench:engine [-- --no-sim]
 *
 * What the real engine costs on this machine, as a Markdown report:
 * - the toolchain: each piece's cold build (wall time and peak memory, as
 *   scripts/tools.sh recorded them in its cache's timings.tsv when it built them)
 *   and a warm `scripts/tools.sh` run, measured now;
 * - `pulumi preview` of each tracked stack with test secrets;
 * - on the simulated nodes (root; skipped with --no-sim): the dev stack's first
 *   `pulumi up` on bare nodes, a no-op `up` (and the SSH logins the nodes accepted
 *   during it: must be 0, no step ran) and `pulumi destroy`. It boots the nodes
 *   afresh, as the e2e suite does, on a stack of its own (`bench`).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { EngineResult, EngineStack, failureReport, pulumi, ROOT } from "../harness/engine";
import { previewWithTestSecrets } from "../harness/preview";
import { freshStackOnBareNodes, loginsDuring, simDown } from "../harness/sim";
import { DEV_PLACEHOLDER_SECRETS, platformEnabled } from "../harness/stacks";

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The newest recorded cold build of each piece: [what, wall s, peak MiB]. */
function coldBuilds(): string[][] {
    const cache = process.env.PICLUSTER_TOOLS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "picluster-tools");
    const file = path.join(cache, "timings.tsv");
    if (!fs.existsSync(file)) return [];
    const newest = new Map<string, string[]>();
    for (const line of fs.readFileSync(file, "utf8").trim().split("\n")) {
        const [when, what, wall, rss] = line.split("\t");
        newest.set(what, [what, wall, rss, when]);
    }
    return [...newest.values()];
}

function ok(what: string, r: EngineResult): EngineResult {
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${failureReport(r)}`);
    return r;
}

async function onSimulatedNodes(): Promise<string[]> {
    const stack: EngineStack = { name: "bench", stateDir: path.join(ROOT, ".cache/bench/state"), passphrase: "picluster-bench" };
    const file = path.join(ROOT, "Pulumi.bench.yaml");
    const simStart = Date.now();
    await freshStackOnBareNodes(stack, file, DEV_PLACEHOLDER_SECRETS, platformEnabled("dev", false));
    const simMs = Date.now() - simStart;
    try {
        const first = ok("first up", await pulumi(stack, ["up", "--yes", "--skip-preview"]));
        const created = first.stdout.match(/\+ (\d+) created/)?.[1] ?? "?";
        const { result: again, logins: perNode } = await loginsDuring(async () => ok("no-op up", await pulumi(stack, ["up", "--yes", "--skip-preview", "--expect-no-changes"])));
        const logins = Object.values(perNode).reduce((a, b) => a + b, 0);
        const destroy = ok("destroy", await pulumi(stack, ["destroy", "--yes", "--skip-preview"]));
        return [
            `| take down and boot the simulated nodes, make the stack (rootfs cached) | ${secs(simMs)} | 4 nodes |`,
            `| first \`pulumi up\`, bare nodes | ${secs(first.ms)} | ${created} resources created |`,
            `| no-op \`pulumi up --expect-no-changes\` | ${secs(again.ms)} | ${logins} SSH logins on the nodes (0: no step ran) |`,
            `| \`pulumi destroy\` | ${secs(destroy.ms)} | every step's delete command |`,
        ];
    } finally {
        simDown();
        fs.rmSync(file, { force: true });
    }
}

async function main(argv: string[]): Promise<void> {
    const rows: string[] = [];
    for (const [what, wall, rss, when] of coldBuilds()) rows.push(`| build ${what} (cold, ${when.slice(0, 10)}) | ${wall} s | peak RSS ${rss === "-" ? "—" : `${rss} MiB`} |`);
    const warmStart = Date.now();
    execFileSync("bash", [path.join(ROOT, "scripts/tools.sh")], { stdio: ["ignore", "ignore", "inherit"] });
    rows.push(`| \`scripts/tools.sh\`, everything cached | ${secs(Date.now() - warmStart)} | |`);
    for (const stack of ["pi-cluster", "dev"]) {
        const p = await previewWithTestSecrets(stack);
        ok(`preview ${stack}`, p.result);
        rows.push(`| \`pulumi preview -s ${stack}\` (test secrets, empty state) | ${secs(p.result.ms)} | ${p.steps.length} resources |`);
    }
    if (!argv.includes("--no-sim")) rows.push(...(await onSimulatedNodes()));
    process.stdout.write(
        [`engine benchmark: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`, "", "| what | time | |", "|---|---|---|", ...rows, ""].join("\n"),
    );
}

main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
});
