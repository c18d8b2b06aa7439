/**
 * Provision the simulated nodes (sim/) with the dev stack's own provisioning.
 *
 * Until the Pulumi provider plugins can be built on this machine (the Go module
 * proxy refuses them), this is the stand-in for `pulumi up -s dev`: it runs the
 * exact `remote.Command` steps the program registers, in the engine's order,
 * and prints the per-node timing report. See the README, "The two commands".
 */
import * as path from "path";
import { ROOT, runProgram } from "../tests/helpers/program";
import { placeK3sFixtures, simOverrides } from "../tests/e2e/fixtures/place";
import { provision, writeLog } from "../tests/e2e/runner";

async function main(): Promise<number> {
    // The simulated "upstream" serves the K3s test fixture under the pinned version.
    placeK3sFixtures();
    const run = await runProgram("dev", simOverrides());
    const report = await provision(run);
    const log = path.join(ROOT, ".cache/dev/provision.log");
    writeLog(report, run, log);
    const slowest = Math.max(...Object.values(report.perNodeMs));
    for (const s of report.steps) process.stdout.write(`${s.status.padEnd(7)} ${s.name}${s.error ? `  ${s.error}` : ""}\n`);
    process.stdout.write(
        `\nwall ${(report.wallMs / 1000).toFixed(1)} s, slowest node ${(slowest / 1000).toFixed(1)} s, ratio ${(report.wallMs / slowest).toFixed(2)}; step output in ${path.relative(ROOT, log)}\n`,
    );
    return report.failed.length === 0 ? 0 : 1;
}

main().then(
    (code) => (process.exitCode = code),
    (e) => {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exitCode = 1;
    },
);
