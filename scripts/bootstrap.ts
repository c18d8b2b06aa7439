/**
 * `npm run bootstrap -- --node NAME (--out DIR | --boot /path/to/bootfs) [--stack dev|NAME]`:
 * write a node's first-boot files (cloud-init NoCloud seed with its generated SSH
 * host key) for the boot partition of a freshly flashed Raspberry Pi OS card.
 * See harness/bootstrap.ts for how, and the README ("From a blank SD card").
 * Prints file names and the host key's fingerprint; never the files' content.
 */
import { BOOTSTRAP_USAGE, firstBootFor, operatorStack, parseBootstrapArgs, writeFirstBoot } from "../harness/bootstrap";
import { DEV_STACK } from "../harness/stacks";
import { describeFirstBoot } from "../provisioning/firstBoot";
import { exitWith } from "./cli";

async function main(): Promise<number> {
    if (process.argv.includes("--help")) {
        process.stdout.write(`${BOOTSTRAP_USAGE}\n`);
        return 0;
    }
    const args = parseBootstrapArgs(process.argv.slice(2));
    const stack = args.stack === DEV_STACK.name ? DEV_STACK : operatorStack(args.stack);
    const fb = await firstBootFor(stack, args.node);
    const written = writeFirstBoot(fb, args);
    process.stderr.write(
        [
            describeFirstBoot(fb.node, fb.hostKey),
            ...(fb.createdSeeds ? ["created the stack's host-key seeds (pulumi up --target on the HostKeys component only)"] : []),
            ...written.map((f) => `wrote ${f}`),
            "These files hold the node's private host key (and any Wi-Fi passphrase): keep them off git and out of backups;",
            "cloud-init empties them on the card after first boot. Then: pulumi up.",
            "",
        ].join("\n"),
    );
    return 0;
}

exitWith(main());
