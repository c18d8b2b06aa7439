/**
 * `npm run dev` after sim/up.sh: `pulumi up -s dev` with the real engine against the
 * simulated nodes. Creates the dev stack on its local backend the first time, and
 * sets its secrets from the simulated nodes (in the git-ignored config copy). Extra
 * arguments go to `pulumi up` (e.g. `npm run dev -- --refresh`).
 */
import { ensureStack, pulumi, setSecrets, writeStackConfig } from "../harness/engine";
import { placeK3sFixtures, simConfig, simPrivateKey } from "../harness/sim";
import { DEV_PLACEHOLDER_SECRETS, DEV_STACK } from "../harness/stacks";
import { exitWith } from "./cli";

async function main(): Promise<number> {
    placeK3sFixtures();
    writeStackConfig(DEV_STACK.configFile!, "dev", simConfig(), { saltFromBase: true });
    await ensureStack(DEV_STACK);
    await setSecrets(DEV_STACK, { "picluster:sshPrivateKey": simPrivateKey(), ...DEV_PLACEHOLDER_SECRETS });
    const up = await pulumi(DEV_STACK, ["up", "--yes", ...process.argv.slice(2)], { echo: true });
    return up.code;
}

exitWith(main());
