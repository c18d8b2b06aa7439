/**
 * `npm run preview [-- <stack> ...]` (default: pi-cluster dev): `pulumi preview` of
 * each tracked stack with the real engine and test secrets, as CI runs it (see
 * harness/preview.ts). Fails when a preview fails or its output shows a secret value.
 */
import { previewWithTestSecrets } from "../harness/preview";
import { exitWith } from "./cli";

async function main(): Promise<number> {
    const stacks = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["pi-cluster", "dev"];
    let ok = true;
    for (const stack of stacks) {
        const { result, steps, leaked } = await previewWithTestSecrets(stack);
        const took = `${(result.ms / 1000).toFixed(1)} s`;
        if (result.code !== 0) {
            process.stderr.write(`preview ${stack}: failed (exit ${result.code}) after ${took}\n${result.stderr}\n${result.stdout.slice(-4000)}\n`);
            ok = false;
            continue;
        }
        const ops = new Map<string, number>();
        for (const st of steps) ops.set(st.op, (ops.get(st.op) ?? 0) + 1);
        process.stdout.write(`preview ${stack}: ${steps.length} resources (${[...ops].map(([op, n]) => `${n} ${op}`).join(", ")}) in ${took}\n`);
        if (leaked.length > 0) {
            process.stderr.write(`preview ${stack}: the output shows the value of ${leaked.join(", ")}\n`);
            ok = false;
        }
    }
    return ok ? 0 : 1;
}

exitWith(main());
