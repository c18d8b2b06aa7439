/**
 * The stacks the project's own scripts run with the engine, and where their state
 * lives. All on local file backends in git-ignored folders.
 */
import * as path from "path";
import { EngineStack, ROOT } from "./engine";
import { readStackFile } from "../config/stackFile";

/**
 * The dev stack, as `npm run dev` and `npm run pulumi` run it. Its passphrase is
 * documented, not secret: it guards only the simulated nodes' key.
 */
export const DEV_STACK: EngineStack = {
    name: "dev",
    stateDir: path.join(ROOT, ".pulumi-state"),
    passphrase: "picluster-dev",
    configFile: path.join(ROOT, ".cache/dev/Pulumi.dev.yaml"),
};

/** The dev stack's plain-text stand-ins for secrets that nothing on the simulated nodes uses. */
export const DEV_PLACEHOLDER_SECRETS: Readonly<Record<string, string>> = {
    "picluster:oauthClientSecret": "dev-not-a-secret",
};

/**
 * Overrides that switch a stack's platform on or off whatever its file says: off for
 * runs that exercise provisioning (the nodes and K3s) without a control plane, on for
 * tests that must see every object the platform would deploy.
 */
export function platformEnabled(base: string, enabled: boolean): Record<string, unknown> {
    const platform = readStackFile(base).config["picluster:platform"] as Record<string, unknown>;
    return { "picluster:platform": { ...platform, enabled } };
}
