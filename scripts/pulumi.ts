/**
 * `npm run pulumi -- <command> [args]`: the Pulumi CLI that scripts/tools.sh built,
 * on the dev stack as `npm run dev` set it up (its local backend, passphrase and
 * config copy with the simulated nodes' secrets). For example:
 *   npm run pulumi -- preview --diff
 *   npm run pulumi -- stack output --show-secrets kubeconfig
 */
import { pulumi } from "../harness/engine";
import { DEV_STACK } from "../harness/stacks";
import { exitWith } from "./cli";

async function main(): Promise<number> {
    const args = process.argv.slice(2);
    if (args.length === 0) {
        process.stderr.write("usage: npm run pulumi -- <pulumi command> [args]   (runs on the dev stack; npm run dev first)\n");
        return 2;
    }
    const stackFlag = args.findIndex((a) => a === "-s" || a === "--stack");
    if (stackFlag >= 0 && args[stackFlag + 1] !== DEV_STACK.name) {
        process.stderr.write(`npm run pulumi runs the dev stack only; for ${args[stackFlag + 1]}, run pulumi with your own backend and passphrase (README, "Stacks")\n`);
        return 2;
    }
    const rest = stackFlag >= 0 ? [...args.slice(0, stackFlag), ...args.slice(stackFlag + 2)] : args;
    return (await pulumi(DEV_STACK, rest, { echo: true })).code;
}

exitWith(main());
