import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ResolvedNode } from "../config/schema";
import { ed25519KeyPair } from "../lib/sshKeys";
import { componentType } from "../lib/typeTokens";

/**
 * Set to "1" by `npm run bootstrap` (harness/bootstrap.ts) for its `pulumi up --target`
 * on the host keys: the program then registers only the HostKeys component. Only with
 * `--target` on exactly its URNs: the engine then leaves every other resource as it is.
 * (Targeting the full program's seeds is not enough: the engine also processes explicit
 * providers, such as the platform's Kubernetes provider, whose parents depend on nodes.)
 */
export const HOST_KEYS_ONLY_ENV = "PICLUSTER_HOST_KEYS_ONLY";

/** Node name -> the host key every SSH dial to it pins (`ssh-ed25519 AAAA...`). */
export type HostKeyMap = Readonly<Record<string, pulumi.Input<string>>>;

export interface HostKeysArgs {
    /** Every node; those without a `hostKey` in the config get a generated one. */
    readonly nodes: readonly ResolvedNode[];
}

/** The Pulumi name of a node's seed resource (the bootstrap script targets it by URN). */
export function seedName(component: string, node: string): string {
    return `${component}-${node}`;
}

/** The type of the seed resources, under their component (for their URNs). */
export const HOST_KEYS_TYPE = componentType("provisioning", "HostKeys");
export const SEED_TYPE = "random:index/randomPassword:RandomPassword";

/**
 * URNs of the component and of the seeds of `nodes`, as the engine names them:
 * `npm run bootstrap` creates exactly these with `pulumi up --target`, before any
 * node is reachable. Pure; a test checks them against what the mocks register.
 */
export function hostKeyUrns(stack: string, project: string, component: string, nodes: readonly string[]): string[] {
    const prefix = `urn:pulumi:${stack}::${project}::`;
    return [`${prefix}${HOST_KEYS_TYPE}::${component}`, ...nodes.map((n) => `${prefix}${HOST_KEYS_TYPE}$${SEED_TYPE}::${seedName(component, n)}`)];
}

/**
 * A generated host key pair from its seed as the state holds it (the RandomPassword's
 * `result`): the ed25519 seed is the SHA-256 of that text, domain-separated.
 */
export function hostKeyFromSeed(seed: string, node: string) {
    return ed25519KeyPair(createHash("sha256").update("picluster host key v1\0").update(seed, "utf8").digest(), `root@${node}`);
}

/**
 * The SSH host key of every node. A node pinned in the config keeps that key; for
 * every other node the program generates an ed25519 key: a random seed (secret in
 * state) from which the key pair is derived by pure functions, so the
 * public half can be pinned here and `npm run bootstrap` can write the private
 * half to the node's first-boot files, and nothing is ever trusted on first use.
 *
 * The seed is a RandomPassword (64 letters and digits, about 380 bits), not a
 * RandomBytes: the random provider makes a RandomBytes' base64 value its resource id,
 * which the state keeps in plain text; a RandomPassword's id is "none" and its
 * `result` is a secret. Its only inputs are fixed, so no config change replaces it (a new
 * key would lock the program out of a node flashed with the old one); renaming
 * a node is a new node, with a new key and new first-boot files.
 */
export class HostKeys extends pulumi.ComponentResource {
    /** The key each node's connections pin; generated ones are public and not secret. */
    public readonly publicKeys: HostKeyMap;
    /** The same keys as one plain (not secret) Output: a stack output for the operator's known_hosts. */
    public readonly table: pulumi.Output<Record<string, string>>;
    /** Seeds of the generated keys (secret), by node name. */
    public readonly seeds: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: HostKeysArgs, opts?: pulumi.ComponentResourceOptions) {
        super(HOST_KEYS_TYPE, name, {}, opts);
        const publicKeys: Record<string, pulumi.Input<string>> = {};
        const seeds: Record<string, pulumi.Output<string>> = {};
        for (const node of args.nodes) {
            if (node.hostKey !== undefined) {
                publicKeys[node.name] = node.hostKey;
                continue;
            }
            const seed = new random.RandomPassword(seedName(name, node.name), { length: 64, special: false }, { parent: this });
            seeds[node.name] = seed.result;
            // The public half of a secret seed: safe to show, and shown (diffs, logs).
            publicKeys[node.name] = pulumi.unsecret(seed.result.apply((s) => hostKeyFromSeed(s, node.name).publicLine));
        }
        this.publicKeys = publicKeys;
        this.table = pulumi.output(publicKeys) as pulumi.Output<Record<string, string>>;
        this.seeds = seeds;
        this.registerOutputs({});
    }
}
