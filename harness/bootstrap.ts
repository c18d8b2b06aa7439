/**
 * `npm run bootstrap`: a node's first-boot files from the stack, before the node
 * exists on the network. The chicken and the egg: the files need the node's
 * private host key, which the program generates (HostKeys) and keeps in the
 * stack's state. So this
 *
 *  1. reads and validates the stack config (`pulumi config --show-secrets --json`),
 *  2. creates the host-key seeds if the state has none yet: `pulumi up --target`
 *     on exactly the HostKeys component and its seeds (nothing else is touched,
 *     and no node is dialled),
 *  3. reads the node's seed from the state (`pulumi stack export --show-secrets`),
 *     derives the key pair with the same pure function the program pins with,
 *  4. renders the files (provisioning/firstBoot.ts) and writes them 0600.
 *
 * The secrets go from the CLI's standard output into memory and into the files;
 * they are never printed, logged or passed as an argument.
 */
import * as fs from "fs";
import * as path from "path";
import { NAMESPACE, ResolvedNode, SECRET_KEYS, StackSettings } from "../config/schema";
import { ConfigError, decodeConfigValue, parseStackConfig, RawStackConfig } from "../config/validate";
import { Ed25519KeyPair, parsePublicKey, publicLineOfPrivateKey } from "../lib/sshKeys";
import { FirstBootFiles, firstBootProblems, renderFirstBoot, wantsWifi, withCgroupFlags } from "../provisioning/firstBoot";
import { HOST_KEYS_ONLY_ENV, hostKeyFromSeed, hostKeyUrns } from "../provisioning/hostKeys";
import { UsageError } from "../loadtest/runner/args";
import { PROJECT } from "../lib/typeTokens";
import { EngineStack, pulumiOk, ROOT } from "./engine";

/** The HostKeys component's name (index.ts). */
export const HOST_KEYS_COMPONENT = "host-keys";

export interface BootstrapArgs {
    readonly node: string;
    readonly stack: string;
    /** Write into this directory (made 0700 if missing). */
    readonly out?: string;
    /** Write onto this mounted boot partition, and add the cgroup flags to its cmdline.txt. */
    readonly boot?: string;
}

export const BOOTSTRAP_USAGE =
    "usage: npm run bootstrap -- --node NAME (--out DIR | --boot /path/to/mounted/bootfs) [--stack dev|NAME]\n" +
    "  --stack other than dev: the stack's local backend and passphrase come from PULUMI_BACKEND_URL (file://...) and PULUMI_CONFIG_PASSPHRASE";

export function parseBootstrapArgs(argv: readonly string[]): BootstrapArgs {
    const values: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        if (!["--node", "--out", "--boot", "--stack"].includes(flag)) throw new UsageError(`unknown argument ${JSON.stringify(flag)}\n${BOOTSTRAP_USAGE}`);
        const value = argv[i + 1];
        if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag}: expected a value, got nothing\n${BOOTSTRAP_USAGE}`);
        if (flag.slice(2) in values) throw new UsageError(`${flag}: given twice\n${BOOTSTRAP_USAGE}`);
        values[flag.slice(2)] = value;
        i++;
    }
    if (values.node === undefined) throw new UsageError(`--node: expected a node name, got nothing\n${BOOTSTRAP_USAGE}`);
    if ((values.out === undefined) === (values.boot === undefined)) throw new UsageError(`expected exactly one of --out DIR and --boot DIR\n${BOOTSTRAP_USAGE}`);
    return { node: values.node, stack: values.stack ?? "dev", out: values.out, boot: values.boot };
}

/** An operator's stack on a local file backend, from the environment the CLI itself reads. */
export function operatorStack(name: string, env: NodeJS.ProcessEnv = process.env): EngineStack {
    const url = env.PULUMI_BACKEND_URL ?? "";
    if (!url.startsWith("file://")) {
        throw new UsageError(`PULUMI_BACKEND_URL: expected the stack's local backend (file:///path), got ${url === "" ? "nothing" : JSON.stringify(url)}`);
    }
    if (!env.PULUMI_CONFIG_PASSPHRASE) throw new UsageError("PULUMI_CONFIG_PASSPHRASE: expected the stack's passphrase, got nothing");
    return { name, stateDir: url.slice("file://".length), passphrase: env.PULUMI_CONFIG_PASSPHRASE };
}

/** `pulumi config --show-secrets --json` output as the config parser's input. */
export function rawConfigFromCli(json: string): RawStackConfig {
    const doc = JSON.parse(json) as Record<string, { value?: string; objectValue?: unknown; secret?: boolean }>;
    const values: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    for (const [key, entry] of Object.entries(doc)) {
        values[key] = entry.objectValue ?? (entry.value === undefined ? undefined : decodeConfigValue(entry.value));
        if (entry.secret) secretKeys.add(key);
    }
    return { values, secretKeys };
}

/**
 * A resource's output from `pulumi stack export --show-secrets`: a secret shows
 * as `{<sig>: ..., plaintext: "<JSON text>"}`. Undefined when the resource is not
 * in the state.
 */
export function stateOutput(exportJson: string, urn: string, key: string): unknown {
    const doc = JSON.parse(exportJson) as { deployment?: { resources?: { urn: string; outputs?: Record<string, unknown> }[] } };
    const found = (doc.deployment?.resources ?? []).find((r) => r.urn === urn);
    const value = found?.outputs?.[key];
    if (value && typeof value === "object" && "plaintext" in value) return JSON.parse(String((value as { plaintext: string }).plaintext));
    return value;
}

/** The admin user's keys: the provisioning key's public half first, then `bootstrap.authorizedKeys`. */
export function authorizedKeysFor(settings: Pick<StackSettings, "bootstrap">, sshPrivateKey: unknown): string[] {
    const own = typeof sshPrivateKey === "string" ? publicLineOfPrivateKey(sshPrivateKey) : { error: "not set" };
    if (typeof own !== "string") {
        throw new ConfigError([
            `${SECRET_KEYS.sshPrivateKey}: expected an OpenSSH private key (ssh-keygen's default format) whose public half the admin user will accept, got a key that is not (${own.error}; the value is not shown)`,
        ]);
    }
    const keys = [own];
    for (const k of settings.bootstrap.authorizedKeys) {
        const p = parsePublicKey(k);
        const line = "error" in p ? k : `${p.type} ${p.blob}`;
        if (!keys.some((x) => x.startsWith(line))) keys.push(k);
    }
    return keys;
}

export interface FirstBoot {
    readonly node: ResolvedNode;
    readonly settings: StackSettings;
    readonly hostKey: Ed25519KeyPair;
    readonly files: FirstBootFiles;
    /** Whether this run had to create the host-key seeds (`pulumi up --target`). */
    readonly createdSeeds: boolean;
}

/** Read, validate, make sure the seeds exist, derive and render. Touches no node. */
export async function firstBootFor(stack: EngineStack, nodeName: string): Promise<FirstBoot> {
    const config = await pulumiOk(stack, ["config", "--show-secrets", "--json"]);
    const raw = rawConfigFromCli(config.stdout);
    const settings = parseStackConfig(raw, { baseDir: ROOT });
    const index = settings.nodes.findIndex((n) => n.name === nodeName);
    if (index < 0) throw new UsageError(`--node: expected one of ${settings.nodes.map((n) => n.name).join(", ")} (${NAMESPACE}:nodes), got ${JSON.stringify(nodeName)}`);
    const node = settings.nodes[index];
    const problems = firstBootProblems(node, index, settings);
    if (problems.length > 0) throw new ConfigError(problems);
    const authorizedKeys = authorizedKeysFor(settings, raw.values[SECRET_KEYS.sshPrivateKey]);

    const generated = settings.nodes.filter((n) => n.hostKey === undefined).map((n) => n.name);
    const urns = hostKeyUrns(stack.name, PROJECT, HOST_KEYS_COMPONENT, generated);
    const seedUrn = urns[1 + generated.indexOf(node.name)];
    let seed = stateOutput((await pulumiOk(stack, ["stack", "export", "--show-secrets"])).stdout, seedUrn, "result");
    let createdSeeds = false;
    if (seed === undefined) {
        // Exactly the HostKeys component and its seeds, with the program registering only
        // them: no step runs, no node is dialled, every other resource stays as it is.
        await pulumiOk(stack, ["up", "--yes", "--skip-preview", ...urns.flatMap((u) => ["--target", u])], {
            timeoutMs: 10 * 60_000,
            env: { [HOST_KEYS_ONLY_ENV]: "1" },
        });
        createdSeeds = true;
        seed = stateOutput((await pulumiOk(stack, ["stack", "export", "--show-secrets"])).stdout, seedUrn, "result");
    }
    if (typeof seed !== "string") throw new Error(`${seedUrn}: no seed in the state after pulumi up --target`);
    const hostKey = hostKeyFromSeed(seed, node.name);
    const files = renderFirstBoot({
        node,
        settings,
        hostKey,
        authorizedKeys,
        wifiPassword: wantsWifi(node, settings) ? String(raw.values[SECRET_KEYS.wifiPassword]) : undefined,
    });
    return { node, settings, hostKey, files, createdSeeds };
}

/**
 * Write the files 0600 (also over existing files). With `boot`, the directory must
 * be a boot partition (it has cmdline.txt), which gets the node's cgroup flags.
 * Returns the paths written. A FAT boot partition ignores file modes: the card
 * itself is the secret there, and cloud-init empties the files after first boot.
 */
export function writeFirstBoot(fb: Pick<FirstBoot, "node" | "settings" | "files">, target: { out?: string; boot?: string }): string[] {
    const dir = target.boot ?? target.out!;
    const written: string[] = [];
    let cmdline: string | undefined;
    if (target.boot !== undefined) {
        const file = path.join(target.boot, path.posix.basename(fb.settings.prereqs.cmdlinePath));
        if (!fs.existsSync(file)) throw new UsageError(`--boot: expected a mounted Raspberry Pi OS boot partition (with ${path.basename(file)}), got ${JSON.stringify(target.boot)} without one`);
        cmdline = file;
    } else {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    for (const [name, text] of Object.entries(fb.files)) {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text, { mode: 0o600 });
        fs.chmodSync(file, 0o600);
        written.push(file);
    }
    if (cmdline !== undefined) {
        const updated = withCgroupFlags(fs.readFileSync(cmdline, "utf8"), fb.node, fb.settings.prereqs.cgroupFlags);
        if (updated !== fs.readFileSync(cmdline, "utf8")) fs.writeFileSync(cmdline, updated);
        written.push(cmdline);
    }
    return written;
}
