/**
 * Runs the whole Pulumi program (index.ts) under `pulumi.runtime.setMocks`:
 * no engine, no network. Records every resource the program registers, with
 * its resolved inputs, provider and parent, and fails loudly on any invoke the
 * program is not expected to make.
 */
import * as fs from "fs";
import * as path from "path";
import { scratchDir } from "./tmp";
import { execFileSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { readStackFile } from "../../config/stackFile";
import type { StackSettings } from "../../config/schema";
import { parseStackConfig } from "../../config/validate";
import { platformEnabled } from "../../harness/stacks";

export const ROOT = path.resolve(__dirname, "../..");

/** How the SDK marks a secret value on the wire. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

/** Known test values for every secret: tests look for them where they must not be. */
export const TEST_SECRETS: Readonly<Record<string, string>> = {
    "picluster:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\ntest-ssh-private-key-0f9e8d\n-----END OPENSSH PRIVATE KEY-----",
    "picluster:oauthClientSecret": "test-oauth-client-secret-7c1a",
    "picluster:grafanaCloudToken": "test-grafana-cloud-token-55d2",
    "cloudflare:apiToken": "test-cloudflare-api-token-9b3e",
    "picluster:wifiPassword": "test-wifi-passphrase-62d0",
};

/** Values the mocks hand out for random and remote-read secrets. */
export const MOCK_SECRETS = {
    randomPrefix: "mock-random-secret",
    kubeconfig: "apiVersion: v1\nkind: Config\nusers:\n- name: default\n  user:\n    client-key-data: bW9jay1rdWJlY29uZmlnLWtleQ==\n",
    tunnelToken: "mock-tunnel-token-4e21",
} as const;

/** The seed the mocks give a generated host key (`host-keys-<node>`): its RandomPassword's result. */
export function mockSeed(name: string): string {
    return `${MOCK_SECRETS.randomPrefix}-${name}`;
}

/** What the mocks' ingress artifacts step prints: the sums it serves. */
export const MOCK_ARTIFACT_SUMS = `k3s=${"a".repeat(64)}\ninstall=${"b".repeat(64)}\n`;

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    readonly provider?: string;
    /** Name of the parent resource (from the stack transformation). */
    readonly parent?: string;
    readonly parentType?: string;
    /** Top-level inputs that hold a secret anywhere inside (the engine masks and encrypts them). */
    readonly secretInputs: readonly string[];
    /** Options as the engine sees them (dependsOn as URNs). */
    readonly opts: {
        readonly protect?: boolean;
        readonly retainOnDelete?: boolean;
        readonly ignoreChanges?: string[];
        readonly additionalSecretOutputs?: string[];
        readonly dependsOn?: string[];
        readonly deleteBeforeReplace?: boolean;
        /** Former identities the engine is told to match (alias specs as the SDK sends them). */
        readonly aliases?: { name?: string; type?: string; noParent?: boolean; parentUrn?: string }[];
    };
}

export interface ProgramRun {
    readonly resources: readonly Registered[];
    /** Stack outputs, resolved. */
    readonly outputs: Record<string, unknown>;
    /** Stack outputs as the program returned them (Outputs keep their secret flag). */
    readonly rawOutputs: Record<string, unknown>;
    /** Resources of a type token, e.g. "kubernetes:apps/v1:Deployment". */
    ofType(type: string): Registered[];
    /** The one resource with this Pulumi name. */
    byName(name: string): Registered;
}

/** A tracked stack file's config (the one reader: harness/engine.ts). */
export function stackConfig(stack: string): Record<string, unknown> {
    return readStackFile(stack).config;
}

/**
 * Overrides that switch a stack's platform on, whatever its file says, so component
 * tests see every object it would deploy.
 */
export function withPlatform(stack: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { ...overrides, ...platformEnabled(stack, true) };
}

const knownHostsCache = new Map<string, string>();

/** A temporary known_hosts with an ed25519 key per address (one key set per address list, so reruns compare equal). */
export function knownHostsFor(hosts: readonly string[]): string {
    const cacheKey = hosts.join(",");
    const cached = knownHostsCache.get(cacheKey);
    if (cached) return cached;
    const dir = scratchDir("known-hosts");
    const lines = hosts.map((host, i) => {
        const key = path.join(dir, `k${i}`);
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
        const [type, blob] = fs.readFileSync(`${key}.pub`, "utf8").split(" ");
        return `${host} ${type} ${blob}`;
    });
    const file = path.join(dir, "known_hosts");
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    knownHostsCache.set(cacheKey, file);
    return file;
}

/**
 * Config for a stack as tests run it: the stack file, plus test secrets, plus
 * local files the dev stack expects from its scripts (known_hosts, kubeconfig).
 */
export function testConfig(stack: string, overrides: Record<string, unknown> = {}): { values: Record<string, unknown>; secretKeys: string[] } {
    const values: Record<string, unknown> = { ...stackConfig(stack), ...TEST_SECRETS, ...overrides };
    const ssh = values["picluster:ssh"] as Record<string, unknown> | undefined;
    if (ssh?.knownHostsFile === ".cache/sim/known_hosts") {
        // The simulated nodes' keys are written by sim/up.sh; tests make their own.
        const nodes = values["picluster:nodes"] as { ip: string; sshHost?: string }[];
        values["picluster:ssh"] = { ...ssh, knownHostsFile: knownHostsFor(nodes.map((n) => n.sshHost ?? n.ip)) };
    }
    const cluster = values["picluster:cluster"] as { kubeconfig?: { source: string; path?: string } } | undefined;
    if (cluster?.kubeconfig?.source === "file" && cluster.kubeconfig.path === ".cache/cluster/kubeconfig") {
        // The local control plane's kubeconfig is written by its script; tests use a stand-in.
        values["picluster:cluster"] = { ...cluster, kubeconfig: { source: "file", path: mockKubeconfigFile() } };
    }
    const secretKeys = Object.keys(TEST_SECRETS).filter((k) => values[k] !== undefined && !(k in overrides && overrides[k] === undefined));
    return { values, secretKeys };
}

/** A stack's validated settings as tests build them (testConfig's values, schema defaults applied). */
export function testSettings(stack: string, overrides: Record<string, unknown> = {}): StackSettings {
    const { values, secretKeys } = testConfig(stack, overrides);
    return parseStackConfig({ values, secretKeys: new Set(secretKeys) });
}

/** Only `keys` of `value`, frozen: what a component gets when it takes a slice. */
export function sliceOf<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
    return Object.freeze(Object.fromEntries(keys.map((k) => [k, value[k]]))) as Pick<T, K>;
}

let kubeconfigFile: string | undefined;
function mockKubeconfigFile(): string {
    if (kubeconfigFile === undefined) {
        kubeconfigFile = path.join(scratchDir("kubeconfig"), "kubeconfig");
        fs.writeFileSync(kubeconfigFile, MOCK_SECRETS.kubeconfig);
    }
    return kubeconfigFile;
}

function toConfigStrings(values: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) {
        if (v === undefined) continue;
        out[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}

/** Mocked outputs of a resource: its inputs plus what the real provider would compute. */
function mockState(type: string, name: string, inputs: any): Record<string, any> {
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: `${MOCK_SECRETS.randomPrefix}-${name}` };
        case "command:remote:Command":
            return { ...inputs, stdout: name.endsWith("-kubeconfig") ? MOCK_SECRETS.kubeconfig : name.endsWith("-k3s-artifacts") ? MOCK_ARTIFACT_SUMS : "", stderr: "" };
        default:
            return { ...inputs, metadata: inputs.metadata ? { ...inputs.metadata, name: inputs.metadata.name ?? name } : undefined };
    }
}

/** Resources registered by the last run, even one that threw. */
export let lastRegistered: readonly Registered[] = [];

/** Run index.ts for a stack under mocks and collect what it registers. */
export async function runProgram(stack: string, overrides: Record<string, unknown> = {}): Promise<ProgramRun> {
    const { values, secretKeys } = testConfig(stack, overrides);
    // index.ts exports the program as a function; the module is loaded once per test file.
    const main = require(path.join(ROOT, "index.ts")) as () => Promise<Record<string, unknown>>;
    return runMocked(stack, values, secretKeys, main);
}

/**
 * Build components alone under the same mocks, with no stack config: what a
 * component test passes is all the component gets (its slice of the settings).
 */
export async function runComponents(build: () => Record<string, unknown> | void, stack = "test"): Promise<ProgramRun> {
    return runMocked(stack, {}, [], async () => build() ?? {});
}

async function runMocked(stack: string, values: Record<string, unknown>, secretKeys: string[], main: () => Promise<Record<string, unknown>>): Promise<ProgramRun> {
    const resources: Registered[] = [];
    lastRegistered = resources;
    const transformed = new Map<string, { parent?: string; parentType?: string; opts: any; secretInputs: string[] }>();
    const unexpectedCalls: string[] = [];

    pulumi.runtime.setAllConfig(toConfigStrings(values), secretKeys);
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const seen = transformed.get(`${args.type}::${args.name}`);
                resources.push({
                    type: args.type,
                    name: args.name,
                    inputs: unwrapSecrets(args.inputs),
                    provider: args.provider,
                    parent: seen?.parent,
                    parentType: seen?.parentType,
                    secretInputs: seen?.secretInputs ?? [],
                    opts: seen?.opts ?? {},
                });
                // The same id on every run: a run of a component alone and of the whole program compare equal.
                return { id: `${args.name}-id`, state: mockState(args.type, args.name, args.inputs) };
            },
            call: (args) => {
                if (args.token === "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken") {
                    return { ...args.inputs, token: MOCK_SECRETS.tunnelToken };
                }
                unexpectedCalls.push(args.token);
                throw new Error(`unexpected invoke ${args.token}`);
            },
        },
        "picluster",
        stack,
        false,
    );
    // The mocks API does not pass parent, protect, dependsOn...: read them off the
    // registration request the SDK sends to the (mock) resource monitor.
    const monitor = (pulumi.runtime as any).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: unknown) => {
        const parentUrn: string = req.getParent();
        transformed.set(`${req.getType()}::${req.getName()}`, {
            parent: parentUrn ? parentUrn.slice(parentUrn.lastIndexOf("::") + 2) : undefined,
            parentType: parentUrn ? parentUrn.split("::")[2].split("$").pop() : undefined,
            opts: {
                protect: req.getProtect(),
                retainOnDelete: req.getRetainondelete(),
                ignoreChanges: req.getIgnorechangesList(),
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                dependsOn: req.getDependenciesList(),
                deleteBeforeReplace: req.getDeletebeforereplace(),
                aliases: req.getAliasesList().map((alias: any) => {
                    const spec = alias.getSpec();
                    return spec ? { name: spec.getName() || undefined, type: spec.getType() || undefined, noParent: spec.getNoparent() || undefined, parentUrn: spec.getParenturn() || undefined } : { urn: alias.getUrn() };
                }),
            },
            secretInputs: Object.entries(req.getObject()?.toJavaScript() ?? {})
                .filter(([, v]) => JSON.stringify(v).includes(SECRET_SIG))
                .map(([k]) => k),
        });
        return register(req, callback);
    };

    // The SDK records a stack trace for every promise it makes (a debugging aid);
    // under Jest's source-mapped stack traces that dominates the run time.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    let program: Record<string, unknown>;
    const outputs: Record<string, unknown> = {};
    try {
        program = await main();
        for (const [k, v] of Object.entries(program)) {
            outputs[k] = pulumi.Output.isInstance(v) ? await promiseOf(v as pulumi.Output<unknown>) : v;
        }
        await settle(() => resources.length);
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
    }
    if (unexpectedCalls.length > 0) throw new Error(`unexpected invokes: ${unexpectedCalls.join(", ")}`);

    return {
        resources,
        outputs,
        rawOutputs: program,
        ofType: (type) => resources.filter((r) => r.type === type),
        byName: (name) => {
            const found = resources.filter((r) => r.name === name);
            if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
            return found[0];
        },
    };
}

/** Mocks hand over secrets as `{<sig>: <secret sig>, value}`; tests read the values (secretInputs says which were secret). */
export function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        if (SECRET_SIG_KEY in value && value[SECRET_SIG_KEY] === SECRET_SIG) return unwrapSecrets(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** The bash script inside a step's command line (`[sudo -n] bash -c '<script>'`). */
export function scriptOf(commandLine: string): string {
    const body = commandLine.split("\n").slice(1).join("\n").replace(/^(sudo -n )?bash -c /, "");
    if (!body.startsWith("'") || !body.endsWith("'")) throw new Error(`not a quoted bash -c command: ${body.slice(0, 60)}`);
    return body.slice(1, -1).split("'\\''").join("'");
}

/** Resolve an Output's value (undefined when unknown). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Whether an Output is marked secret. */
export function isSecret(output: pulumi.Output<unknown>): Promise<boolean> {
    return (output as any).isSecret as Promise<boolean>;
}

/** Wait until the registration count stops growing (bounded). */
async function settle(count: () => number): Promise<void> {
    let last = -1;
    let stable = 0;
    for (let i = 0; i < 400 && stable < 5; i++) {
        await new Promise((r) => setTimeout(r, 5));
        const n = count();
        stable = n === last ? stable + 1 : 0;
        last = n;
    }
}
