/**
 * Parsing and the cross-key rules: the stack config, checked once into a
 * readonly, typed object before any resource exists. Every problem is reported
 * with the key, the expected value and the actual value; nothing is touched on
 * bad input.
 *
 * Each key's shape is config/schema.ts's; the rules relating keys to each other
 * are here. `parseStackConfig` is pure (tests call it directly); load.ts feeds it
 * Pulumi's config.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { internetK3sNodes } from "../lib/inventory";
import { ipInRange, ipToInt, parseCidr, cidrContains, cidrsOverlap } from "../lib/net";
import { loadCatalog } from "../experiments/catalog";
import * as s from "./schema";
import { CONFIG_SCHEMAS, Experiment, k3sCidrs, NAMESPACE, ResolvedNode, SECRET_KEYS, StackSettings } from "./schema";

export class ConfigError extends Error {
    constructor(public readonly problems: readonly string[]) {
        super(`Invalid stack config:\n- ${problems.join("\n- ")}`);
        this.name = "ConfigError";
    }
}

/** Render a value for an error message: short, and never a secret. */
export function describeValue(value: unknown): string {
    if (value === undefined) return "nothing (the key is not set)";
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function problem(key: string, expected: string, actual: unknown): string {
    return `${key}: expected ${expected}, got ${describeValue(actual)}`;
}

function keyOf(root: string, p: readonly PropertyKey[]): string {
    return p.reduce<string>(
        (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : `${acc}.${String(part)}`),
        root,
    );
}

/** Turn one zod issue into our "key: expected X, got Y" form. */
export function formatIssue(root: string, issue: z.core.$ZodIssue): string[] {
    const key = keyOf(root, issue.path);
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
        case "invalid_type":
            return [problem(key, issue.expected === "int" ? "an integer" : `a ${issue.expected}`, input)];
        case "invalid_value":
            return [problem(key, `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`, input)];
        case "too_small": {
            const bound = `${issue.inclusive === false ? ">" : ">="} ${String(issue.minimum)}`;
            const what = issue.origin === "array" ? `a list of ${bound} items` : `a value ${bound}`;
            return [problem(key, what, input)];
        }
        case "too_big": {
            const bound = `${issue.inclusive === false ? "<" : "<="} ${String(issue.maximum)}`;
            const what = issue.origin === "array" ? `a list of ${bound} items` : `a value ${bound}`;
            return [problem(key, what, input)];
        }
        case "unrecognized_keys":
            return issue.keys.map((k) => `${keyOf(key, [k])}: expected no such key (see the README's config reference), got ${describeValue((input as Record<string, unknown>)?.[k])}`);
        case "invalid_union": {
            const u = issue as { discriminator?: string; options?: unknown[] };
            if (u.discriminator !== undefined && u.options !== undefined) {
                const obj = input as Record<string, unknown> | undefined;
                return [problem(key, `one of ${u.options.map((o) => JSON.stringify(o)).join(", ")}`, obj?.[u.discriminator])];
            }
            return [problem(key, "one of the documented forms", input)];
        }
        case "invalid_key": {
            // A record key that failed its schema: report that schema's own "expected" text.
            const inner = (issue as { issues?: { message: string }[] }).issues ?? [];
            return [problem(key, inner.map((i) => i.message).join("; ") || "a valid key", input)];
        }
        default:
            // refine()/regex() issues carry our own "expected" text as their message.
            return [problem(key, issue.message, input)];
    }
}

/** Parse one key's value with its schema, collecting problems. */
function parseKey<T extends z.ZodType>(schema: T, key: string, value: unknown, problems: string[]): z.infer<T> | undefined {
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return result.data;
    for (const issue of result.error.issues) problems.push(...formatIssue(`${NAMESPACE}:${key}`, issue));
    return undefined;
}

/**
 * A config value as the engine or the CLI gives it: structured values (objects,
 * lists, booleans) arrive as JSON text; plain strings stay strings.
 */
export function decodeConfigValue(raw: string): unknown {
    const trimmed = raw.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[") || trimmed === "true" || trimmed === "false") {
        try {
            return JSON.parse(trimmed);
        } catch {
            return raw;
        }
    }
    return raw;
}

/** Raw inputs of the parser: config values (objects already JSON-decoded) and which keys are secret. */
export interface RawStackConfig {
    readonly values: Readonly<Record<string, unknown>>;
    /** Full keys (`picluster:sshPrivateKey`) whose values are stored as secrets. */
    readonly secretKeys: ReadonlySet<string>;
}

export interface ParseOptions {
    /** Reads `ssh.knownHostsFile`; injectable for tests. */
    readonly readFile?: (file: string) => string;
    /** Directory relative paths in config are resolved against. @default process.cwd() */
    readonly baseDir?: string;
    /** The experiments catalog. @default experiments/catalog.yaml */
    readonly catalog?: Readonly<Record<string, Experiment>>;
}

/** The WPA passphrase rule, checked without ever echoing the value. */
export function wifiPasswordProblem(value: unknown): string | undefined {
    if (typeof value !== "string" || value.length < 8 || value.length > 63 || /[^\x20-\x7e]/.test(value)) {
        return `${SECRET_KEYS.wifiPassword}: expected a WPA passphrase of 8 to 63 printable ASCII characters, got a value that is not (not shown: it is a secret)`;
    }
    return undefined;
}

/** Host keys by host (name or address) from known_hosts text; hashed entries are skipped. */
export function parseKnownHosts(text: string): Map<string, string> {
    const keys = new Map<string, string>();
    for (const line of text.split("\n")) {
        const trimmed = line.trim();
        if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith("|")) continue;
        const [hosts, type, key] = trimmed.split(/\s+/);
        if (!hosts || !type || !key) continue;
        for (const host of hosts.split(",")) {
            const bare = host.replace(/^\[(.*)\]:\d+$/, "$1");
            if (!keys.has(bare)) keys.set(bare, `${type} ${key}`);
        }
    }
    return keys;
}

function requireSecret(raw: RawStackConfig, key: string, problems: string[]): void {
    if (raw.values[key] === undefined) {
        problems.push(`${key}: expected a secret (pulumi config set --secret ${key}), got nothing (the key is not set)`);
    } else if (!raw.secretKeys.has(key)) {
        // Never echo the value: it was meant to be secret.
        problems.push(`${key}: expected a secret (pulumi config set --secret ${key}), got a plain-text value`);
    }
}

/**
 * Keys renamed when `auth.provider` was added (the client is no longer always
 * Google's): point at the new name instead of only calling the old one unknown.
 * A secret's value is never echoed.
 */
export function renamedKeys(raw: RawStackConfig, problems: string[]): void {
    const secretKey = `${NAMESPACE}:googleClientSecret`;
    if (raw.values[secretKey] !== undefined) {
        problems.push(`${secretKey}: expected it under its new name ${SECRET_KEYS.oauthClientSecret} (pulumi config set --secret ${SECRET_KEYS.oauthClientSecret}), got a value under the old name`);
    }
    const auth = raw.values[`${NAMESPACE}:auth`] as Record<string, unknown> | undefined;
    if (auth !== null && typeof auth === "object" && "googleClientId" in auth) {
        problems.push(problem(`${NAMESPACE}:auth.googleClientId`, `it under its new name ${NAMESPACE}:auth.clientId (with auth.provider: google, the default)`, auth.googleClientId));
    }
}

/** Cross-key rules on the node inventory and network. */
export function validateInventory(nodes: readonly s.NodeSpec[], network: s.NetworkSettings, problems: string[]): void {
    const k = `${NAMESPACE}:nodes`;
    const label = { name: "a name", mac: "a MAC", ip: "an IP" } as const;
    for (const field of ["name", "mac", "ip"] as const) {
        const seen = new Map<string, number>();
        nodes.forEach((node, i) => {
            const first = seen.get(node[field]);
            if (first !== undefined) {
                problems.push(problem(`${k}[${i}].${field}`, `${label[field]} not used by another node (${k}[${first}] has it)`, node[field]));
            } else {
                seen.set(node[field], i);
            }
        });
    }
    const subnet = parseCidr(network.subnet);
    const { start, end } = network.dhcpRange;
    if (subnet) {
        nodes.forEach((node, i) => {
            if (!cidrContains(subnet, node.ip)) {
                problems.push(problem(`${k}[${i}].ip`, `an address inside ${NAMESPACE}:network.subnet ${network.subnet}`, node.ip));
            } else if (ipInRange(node.ip, start, end)) {
                problems.push(problem(`${k}[${i}].ip`, `an address outside the DHCP pool ${start}-${end}`, node.ip));
            }
        });
        for (const [name, ip] of [["start", start], ["end", end]] as const) {
            if (!cidrContains(subnet, ip)) {
                problems.push(problem(`${NAMESPACE}:network.dhcpRange.${name}`, `an address inside ${network.subnet}`, ip));
            }
        }
        if (network.gateway !== undefined && !cidrContains(subnet, network.gateway)) {
            problems.push(problem(`${NAMESPACE}:network.gateway`, `an address inside ${network.subnet}`, network.gateway));
        }
    }
    if (ipToInt(start) > ipToInt(end)) {
        problems.push(problem(`${NAMESPACE}:network.dhcpRange`, "start <= end", network.dhcpRange));
    }
    const count = (role: s.NodeSpec["role"]) => nodes.filter((n) => n.role === role).length;
    if (count("ingress") !== 1) {
        problems.push(problem(k, "exactly one node with role \"ingress\"", `${count("ingress")} ingress nodes`));
    }
    if (count("server") !== 1) {
        problems.push(problem(k, "exactly one node with role \"server\" (the K3s control node)", `${count("server")} server nodes`));
    }
}

/** The LAN must be a sensible size and must not overlap K3s's pod or service addresses. */
export function validateSubnet(network: s.NetworkSettings, k3s: s.K3sSettings, problems: string[]): void {
    const subnet = parseCidr(network.subnet);
    if (!subnet) return;
    if (subnet.prefix < 16 || subnet.prefix > 30) {
        problems.push(problem(`${NAMESPACE}:network.subnet`, "a prefix from /16 to /30", network.subnet));
    }
    const ranges = k3sCidrs(k3s.serverArgs);
    for (const [what, cidr] of [["pod", ranges.cluster], ["service", ranges.service]] as const) {
        const other = parseCidr(cidr);
        if (!other) {
            problems.push(problem(`${NAMESPACE}:k3s.serverArgs`, `a ${what} CIDR like 10.42.0.0/16`, cidr));
        } else if (cidrsOverlap(subnet, other)) {
            problems.push(problem(`${NAMESPACE}:network.subnet`, `a subnet that does not overlap K3s's ${what} addresses (${cidr})`, network.subnet));
        }
    }
}

/** Ports the ingress itself listens on or K3s needs: no mirror or artifact server may take them. */
export const RESERVED_PORTS: Readonly<Record<number, string>> = { 22: "sshd", 53: "dnsmasq", 67: "dnsmasq (DHCP)", 123: "ntpsec", 6443: "the K3s API", 10250: "the kubelet" };

/** Mirror instances and the artifact server each need a port of their own on the ingress. */
export function validatePorts(mirror: s.MirrorSettings, k3s: s.K3sSettings, problems: string[]): void {
    const taken = new Map<number, string>(Object.entries(RESERVED_PORTS).map(([p, who]) => [Number(p), who]));
    const claim = (key: string, port: number) => {
        const holder = taken.get(port);
        if (holder !== undefined) problems.push(problem(key, `a port not used by ${holder}`, port));
        else taken.set(port, key);
    };
    claim(`${NAMESPACE}:k3s.artifactPort`, k3s.artifactPort);
    mirror.upstreams.forEach((u, i) => claim(`${NAMESPACE}:mirror.upstreams[${i}].port`, u.port));
}

/** Cross-key rules of one scaling policy; `key` is where it came from. */
export function validateScalingPolicy(key: string, policy: s.ScalingPolicy, problems: string[]): void {
    switch (policy.mode) {
        case "fixed":
            return;
        case "hpa":
            if (policy.minReplicas < 1) {
                problems.push(problem(`${key}.minReplicas`, "a value >= 1", policy.minReplicas));
            }
            if (policy.minReplicas > policy.maxReplicas) {
                problems.push(problem(`${key}.minReplicas`, `a value <= maxReplicas (${policy.maxReplicas})`, policy.minReplicas));
            }
            if (policy.cpuTarget < 1 || policy.cpuTarget > 100) {
                problems.push(problem(`${key}.cpuTarget`, "a percentage from 1 to 100", policy.cpuTarget));
            }
            if (policy.resources.requests.cpu === undefined) {
                // The HPA computes utilisation as a share of the request: without one it never scales.
                problems.push(problem(`${key}.resources.requests.cpu`, "a CPU request, because an HPA on CPU needs one", undefined));
            }
            return;
        default: {
            const never: never = policy;
            throw new Error(`unhandled scaling mode ${JSON.stringify(never)}`);
        }
    }
}

type Parsed = { [K in keyof typeof CONFIG_SCHEMAS]: z.infer<(typeof CONFIG_SCHEMAS)[K]> };

/**
 * Validate the whole stack config. Throws one ConfigError listing every problem;
 * returns the secret-free settings otherwise.
 */
export function parseStackConfig(raw: RawStackConfig, options: ParseOptions = {}): StackSettings {
    const problems: string[] = [];
    const parsed: Partial<Parsed> = {};
    for (const key of Object.keys(CONFIG_SCHEMAS) as (keyof Parsed)[]) {
        const value = parseKey(CONFIG_SCHEMAS[key], key, raw.values[`${NAMESPACE}:${key}`], problems);
        (parsed as Record<string, unknown>)[key] = value;
    }
    const p = parsed as Parsed;

    requireSecret(raw, SECRET_KEYS.sshPrivateKey, problems);
    requireSecret(raw, SECRET_KEYS.oauthClientSecret, problems);
    renamedKeys(raw, problems);
    if (p.monitoring?.enabled) requireSecret(raw, SECRET_KEYS.grafanaCloudToken, problems);
    if (p.tunnel?.enabled) requireSecret(raw, SECRET_KEYS.cloudflareApiToken, problems);
    if (p.bootstrap?.wifi !== undefined) {
        const before = problems.length;
        requireSecret(raw, SECRET_KEYS.wifiPassword, problems);
        const bad = problems.length === before ? wifiPasswordProblem(raw.values[SECRET_KEYS.wifiPassword]) : undefined;
        if (bad !== undefined) problems.push(bad);
    } else if (raw.values[SECRET_KEYS.wifiPassword] !== undefined && !raw.secretKeys.has(SECRET_KEYS.wifiPassword)) {
        // Set but unused is harmless; set in plain text is a leak all the same.
        requireSecret(raw, SECRET_KEYS.wifiPassword, problems);
    }

    if (p.nodes && p.network) validateInventory(p.nodes, p.network, problems);
    if (p.network && p.k3s) validateSubnet(p.network, p.k3s, problems);
    if (p.mirror && p.k3s) validatePorts(p.mirror, p.k3s, problems);

    // Host keys: pinned inline, or looked up in ssh.knownHostsFile; otherwise generated (hostKeys.ts).
    let known: Map<string, string> | undefined;
    if (p.ssh?.knownHostsFile !== undefined) {
        const file = path.resolve(options.baseDir ?? process.cwd(), p.ssh.knownHostsFile);
        try {
            known = parseKnownHosts((options.readFile ?? ((f) => fs.readFileSync(f, "utf8")))(file));
        } catch (e) {
            problems.push(problem(`${NAMESPACE}:ssh.knownHostsFile`, "a readable known_hosts file", `${p.ssh.knownHostsFile} (${(e as Error).message})`));
        }
    }
    const nodes: ResolvedNode[] = (p.nodes ?? []).map((node) => {
        const sshHost = node.sshHost ?? node.ip;
        const hostKey = node.hostKey ?? known?.get(sshHost) ?? known?.get(node.ip) ?? known?.get(node.name);
        return { ...node, sshHost, hostKey };
    });

    if (p.cluster?.kubeconfig.source === "file" && p.platform?.enabled !== false) {
        // Only check it can be read: its content is a secret and stays out of the settings.
        const file = path.resolve(options.baseDir ?? process.cwd(), p.cluster.kubeconfig.path);
        try {
            (options.readFile ?? ((f) => fs.readFileSync(f, "utf8")))(file);
        } catch (e) {
            problems.push(problem(`${NAMESPACE}:cluster.kubeconfig.path`, "a readable kubeconfig file", `${p.cluster.kubeconfig.path} (${(e as Error).message})`));
        }
    }

    if (p.nodes && p.platform?.enabled !== false && internetK3sNodes(p.nodes).length === 0) {
        problems.push(problem(`${NAMESPACE}:nodes`, "at least one K3s node (server or agent) with internet: true, where OAuth2 Proxy and cloudflared can run", "none"));
    }

    if (p.database && p.nodes) {
        const target = p.nodes.find((n) => n.name === p.database!.node);
        if (!target || target.role === "ingress") {
            const k3sNodes = p.nodes.filter((n) => n.role !== "ingress").map((n) => n.name);
            problems.push(problem(`${NAMESPACE}:database.node`, `the name of a K3s server or agent node (${k3sNodes.join(", ")})`, p.database.node));
        }
    }

    // Experiments: the selected one must exist; its policies and the stack's are checked alike.
    let catalog: Readonly<Record<string, Experiment>> | undefined = options.catalog;
    if (catalog === undefined) {
        try {
            catalog = loadCatalog();
        } catch (e) {
            problems.push((e as Error).message);
        }
    }
    let experiment: ({ name: string } & Experiment) | undefined;
    if (p.experiment !== undefined && catalog !== undefined) {
        const selected = catalog[p.experiment];
        if (selected === undefined) {
            problems.push(problem(`${NAMESPACE}:experiment`, `one of the experiments in experiments/catalog.yaml (${Object.keys(catalog).join(", ")})`, p.experiment));
        } else {
            experiment = { name: p.experiment, ...selected };
        }
    }
    let scaling: s.Scaling | undefined;
    if (p.scaling) {
        scaling = { ...p.scaling, ...(experiment?.workloads ?? {}) };
        for (const w of s.WORKLOADS) {
            const fromExperiment = experiment?.workloads[w] !== undefined;
            const key = fromExperiment ? `experiments/catalog.yaml:${experiment!.name}.workloads.${w}` : `${NAMESPACE}:scaling.${w}`;
            validateScalingPolicy(key, scaling[w], problems);
        }
    }

    if (problems.length > 0) throw new ConfigError(problems);

    const byRole = (role: s.NodeSpec["role"]) => nodes.filter((n) => n.role === role);
    return deepFreeze({
        nodes,
        bootstrap: p.bootstrap,
        ingress: byRole("ingress")[0],
        server: byRole("server")[0],
        agents: byRole("agent"),
        ssh: p.ssh,
        network: p.network,
        prereqs: p.prereqs,
        k3s: p.k3s,
        mirror: p.mirror,
        ntp: p.ntp,
        zerotier: p.zerotier,
        cluster: p.cluster,
        platform: p.platform,
        database: p.database,
        auth: p.auth,
        monitoring: p.monitoring,
        tunnel: p.tunnel,
        experiment: experiment!,
        scaling: scaling!,
    });
}

function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value as object)) deepFreeze(v);
    }
    return value;
}
