/**
 * Runs the project's load generator (built by scripts/loadgen.sh) on a plan
 * and reads its outputs back, for the load tests. Every run is bounded.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { LoadPlan } from "../../loadtest/plan";
import { LoadRun, loadgenBinary, readLoadOutputs } from "../../harness/loadgen";
import { scratchDir } from "./tmp";

export type { LoadRun, RequestRow } from "../../harness/loadgen";
export { loadgenBinary, readCsv, readLoadOutputs } from "../../harness/loadgen";

const run = promisify(execFile);

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
