/**
 * The Pulumi config reader: the current stack's keys, JSON-decoded, with which
 * of them are secret, checked by validate.ts. A secret key is looked at there only
 * to check it is set, and set as a secret (and that a Wi-Fi passphrase is
 * well-formed); the settings keep no secret. The program gets the secrets only
 * through `requireSecret`, as secret Outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, NAMESPACE, SECRET_KEYS, StackConfig } from "./schema";
import { decodeConfigValue, parseStackConfig } from "./validate";

// isConfigSecret is exported by the SDK's runtime but missing from its typings.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };

/** Read the current stack's config from Pulumi and validate it. */
export function loadStackConfig(): StackConfig {
    const values: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    const keys = [...CONFIG_KEYS, ...Object.values(SECRET_KEYS)];
    for (const fullKey of keys) {
        const [ns, key] = fullKey.split(":");
        const raw = new pulumi.Config(ns).get(key);
        if (raw === undefined) continue;
        values[fullKey] = decodeConfigValue(raw);
        if (runtimeConfig.isConfigSecret(fullKey)) secretKeys.add(fullKey);
    }
    const settings = parseStackConfig({ values, secretKeys });
    const cfg = new pulumi.Config(NAMESPACE);
    return {
        ...settings,
        secrets: {
            sshPrivateKey: cfg.requireSecret("sshPrivateKey"),
            oauthClientSecret: cfg.requireSecret("oauthClientSecret"),
            grafanaCloudToken: settings.monitoring.enabled ? cfg.requireSecret("grafanaCloudToken") : undefined,
        },
    };
}
