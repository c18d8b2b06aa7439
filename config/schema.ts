/**
 * Shapes of the stack config, as zod schemas, and the setting types every
 * other module imports. Types are inferred from the schemas, so the schema and
 * the TypeScript view of the config cannot drift apart.
 *
 * Only shape lives here (types, formats, ranges, defaults). Rules that relate
 * one key to another (an IP inside the subnet, one ingress, the database on a
 * K3s node, ...) live in `validate.ts`; reading Pulumi's config is `load.ts`;
 * reading a stack file outside the engine (scripts, harness) is `stackFile.ts`.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isIPv4, isMac, parseCidr } from "../lib/net";
import { parsePublicKey } from "../lib/sshKeys";

const ipv4 = z.string().refine(isIPv4, { error: "an IPv4 address like 192.168.100.121" });
const mac = z.string().refine(isMac, { error: "a lower-case MAC address like 2c:cf:67:00:00:79" });
const cidr = z.string().refine((s) => parseCidr(s) !== undefined, { error: "an IPv4 subnet like 192.168.100.0/24" });
const dnsName = z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, {
        error: "a lower-case DNS name like ahuora.org.nz",
    });
const hostLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
    error: "a lower-case RFC 1123 host name label like worker-1",
});
const hostKey = z.string().regex(/^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/]+={0,3}$/, {
    error: "an SSH public host key like 'ssh-ed25519 AAAA...' (no comment)",
});
const url = z.string().max(512).regex(/^https?:\/\/[^\s'"]+$/, { error: "an http(s) URL" });
/** Container image with a pinned tag or digest: never `latest`, never untagged. */
const image = z
    .string()
    .regex(/^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$/, { error: "an image reference" })
    .refine((s) => /@sha256:/.test(s) || (/:[A-Za-z0-9._-]+$/.test(s) && !s.endsWith(":latest")), {
        error: "an image pinned by tag or digest (not ':latest', not untagged)",
    });
const quantityCpu = z.string().regex(/^\d+(\.\d+)?m?$/, { error: "a CPU quantity like 500m or 2" });
const quantityMem = z.string().regex(/^\d+(Ki|Mi|Gi|Ti)$/, { error: "a memory quantity like 512Mi or 5Gi" });
const k3sVersion = z.string().regex(/^v1\.\d+\.\d+\+k3s\d+$/, { error: "a pinned K3s version like v1.32.5+k3s1" });
const port = z.number().int().min(1).max(65535);

/**
 * Upper bounds on lists that end up in a step's command text. A command reaches the
 * node as one argument of `sh -c`, which the kernel caps at 128 KiB (MAX_ARG_STRLEN);
 * within these bounds every command stays far below that (a test renders the largest
 * config they allow), so an oversized config is refused here, key named, instead of
 * failing on a node with E2BIG.
 */
export const LIMITS = { nodes: 250, labelsPerNode: 32, upstreamDns: 8, cgroupFlags: 8, serverArgs: 64, mirrors: 32, ntpServers: 16 } as const;

/** Directories a data path must not be in: the OS's, and what the K3s uninstall deletes. */
export const SYSTEM_PATHS = ["/etc", "/usr", "/bin", "/sbin", "/lib", "/boot", "/proc", "/sys", "/dev", "/run", "/var/lib/rancher", "/var/lib/kubelet"] as const;
const isNormalAbsolute = (p: string) => p.startsWith("/") && p !== "/" && !p.endsWith("/") && !/\/\/|\/\.\.?(\/|$)/.test(p);
const underAny = (p: string, dirs: readonly string[]) => dirs.some((d) => p === d || p.startsWith(`${d}/`));
const dataPath = z.string().refine((p) => isNormalAbsolute(p) && !underAny(p, SYSTEM_PATHS), {
    error: `an absolute, normalised path outside ${SYSTEM_PATHS.join(", ")} (the K3s uninstall deletes the last two)`,
});
const hostOrIp = z
    .string()
    .refine((s) => isIPv4(s) || /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(s), {
        error: "a host name or IPv4 address",
    });
/** Kernel command-line flags the program may add: the cgroup switches K3s needs, nothing else. */
export const CGROUP_FLAG_KEYS = ["cgroup_memory", "cgroup_enable", "cgroup_disable", "swapaccount", "systemd.unified_cgroup_hierarchy"] as const;
const cgroupFlag = z.string().refine((f) => new RegExp(`^(${CGROUP_FLAG_KEYS.join("|").replace(/\./g, "\\.")})=[a-z0-9_]+$`).test(f), {
    error: `key=value with a key of ${CGROUP_FLAG_KEYS.join(", ")} and a plain value`,
});
/** Kubernetes label key: an optional DNS-subdomain prefix and a name. */
const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelKey = z.string().refine(
    (k) => {
        const [prefix, name, ...rest] = k.includes("/") ? k.split("/") : ["", k];
        if (rest.length > 0 || !labelName.test(name ?? "")) return false;
        if (prefix === "") return true;
        return prefix.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix) && prefix !== "node-role.kubernetes.io";
    },
    { error: "a Kubernetes label key ([prefix/]name, name up to 63 characters); node-role.kubernetes.io/ is K3s's own" },
);
const labelValue = z.string().refine((v) => v === "" || labelName.test(v), { error: "a Kubernetes label value (up to 63 of A-Z a-z 0-9 - _ .)" });
/** Flags of `k3s server` that the program sets itself, or that would break what it guarantees. */
export const OWNED_SERVER_FLAGS: Readonly<Record<string, string>> = {
    "--write-kubeconfig-mode": "the program keeps the kubeconfig root-only (0600)",
    "--token": "the cluster token is generated and passed on standard input",
    "--token-file": "the cluster token is generated and passed on standard input",
    "--agent-token": "the cluster token is generated and passed on standard input",
    "--disable-network-policy": "the platform's NetworkPolicies would silently stop applying",
    "--node-ip": "set from nodes[].ip",
    "--node-name": "set from nodes[].name",
};
const serverArg = z
    .string()
    .max(256)
    .regex(/^--[a-z0-9-]+(=[^'"\\\n\r]*)?$/, { error: "'--flag' or '--flag=value' (no quotes, backslashes or line breaks)" })
    .refine((a) => !(a.split("=")[0] in OWNED_SERVER_FLAGS), {
        error: (i) => `a flag the program does not own (${String(i.input).split("=")[0]}: ${OWNED_SERVER_FLAGS[String(i.input).split("=")[0]]})`,
    });
/** Namespaces the platform must not be deployed into. */
export const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

export const nodeSchema = z.strictObject({
    /** Host name; also the Kubernetes node name. */
    name: hostLabel,
    role: z.enum(["ingress", "server", "agent"]),
    mac,
    /** Static LAN address handed out by dnsmasq for `mac`. */
    ip: ipv4,
    /** Whether the node reaches the internet itself (ingress and control node over Wi-Fi). */
    internet: z.boolean(),
    /** Address the operator's machine uses to reach the ingress (e.g. its ZeroTier IP). @default ip */
    sshHost: z.string().optional(),
    /**
     * Pinned SSH host key (`ssh-keyscan -t ed25519 <ip>`), for a board set up by hand.
     * @default the one in `ssh.knownHostsFile`, else the key the program generates for
     * the node and `npm run bootstrap` writes to its first-boot files.
     */
    hostKey: hostKey.optional(),
    /** Extra Kubernetes node labels (K3s nodes only). */
    labels: z
        .record(labelKey, labelValue)
        .refine((l) => Object.keys(l).length <= LIMITS.labelsPerNode, { error: `at most ${LIMITS.labelsPerNode} labels` })
        .default({}),
});

export const sshSchema = z.strictObject({
    /** Remote user; non-root users need passwordless sudo. @default pi */
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, { error: "a Unix user name" }).default("pi"),
    port: port.default(22),
    /** known_hosts file to read pinned host keys from, for nodes whose `hostKey` is not set. */
    knownHostsFile: z.string().optional(),
    /** Dial attempts before a step fails; large enough to ride out a reboot. @default 60 */
    dialErrorLimit: z.number().int().min(1).max(1000).default(60),
    /** Seconds per dial attempt. @default 10 */
    perDialTimeout: z.number().int().min(1).max(300).default(10),
});

/** An OpenSSH public key line that really parses (type, base64 blob of that type). */
const publicKey = z
    .string()
    .max(16384)
    .refine((k) => !("error" in parsePublicKey(k)), {
        error: (i) => {
            const parsed = typeof i.input === "string" ? parsePublicKey(i.input) : { error: "not a string" };
            return `an OpenSSH public key line like 'ssh-ed25519 AAAA... you@laptop' (${"error" in parsed ? parsed.error : "?"})`;
        },
    });

/** What `npm run bootstrap` writes to a blank SD card's boot partition (cloud-init NoCloud). */
export const bootstrapSchema = z.strictObject({
    /**
     * Extra public keys the admin user (`ssh.user`) accepts. The public half of
     * `picluster:sshPrivateKey` is always accepted: it is what provisioning logs in with.
     * @default []
     */
    authorizedKeys: z.array(publicKey).max(16).default([]),
    /**
     * Wi-Fi for the nodes with `internet: true` (the thesis's 4G router). The passphrase
     * is the secret `picluster:wifiPassword`. Unset: no Wi-Fi in the first-boot files.
     */
    wifi: z
        .strictObject({
            ssid: z.string().min(1).max(32).regex(/^[^\r\n\0]+$/, { error: "an SSID of 1-32 characters, no line breaks" }),
            /** Regulatory domain (ISO 3166 alpha-2): the Pi's radio stays off without one. */
            country: z.string().regex(/^[A-Z]{2}$/, { error: "a two-letter upper-case country code like NZ" }),
        })
        .optional(),
});

export const networkSchema = z.strictObject({
    subnet: cidr,
    /** Default route handed out by DHCP. Unset: none (the LAN is airgapped). */
    gateway: ipv4.optional(),
    dhcpRange: z.strictObject({ start: ipv4, end: ipv4 }),
    /** Local DNS domain served by dnsmasq. */
    domain: dnsName,
    /** Resolvers dnsmasq forwards to. */
    upstreamDns: z.array(ipv4).min(1).max(LIMITS.upstreamDns),
    /** LAN interface name on every node. */
    interface: z.string().regex(/^[a-z0-9]+$/, { error: "an interface name like eth0" }).default("eth0"),
});

export const prereqsSchema = z.strictObject({
    /** The kernel command line on the boot partition. @default /boot/firmware/cmdline.txt */
    cmdlinePath: z
        .string()
        .refine((p) => isNormalAbsolute(p) && p.startsWith("/boot/"), { error: "a normalised path under /boot/" })
        .default("/boot/firmware/cmdline.txt"),
    /** Flags K3s needs on Raspberry Pi OS. */
    cgroupFlags: z.array(cgroupFlag).min(1).max(LIMITS.cgroupFlags).default(["cgroup_memory=1", "cgroup_enable=memory"]),
});

export const k3sSchema = z.strictObject({
    version: k3sVersion,
    arch: z.enum(["arm64", "amd64", "arm"]).default("arm64"),
    /** Where the ingress downloads releases from: `<downloadUrl>/<version>/k3s-<arch>`. */
    downloadUrl: url,
    /** Where the ingress downloads install.sh from: `<installScriptUrl>/<version>/install.sh`. */
    installScriptUrl: url,
    /** Port on the ingress that serves the artifacts to the airgapped nodes. @default 8088 */
    artifactPort: port.default(8088),
    /** Extra `k3s server` flags, one per element. */
    serverArgs: z.array(serverArg).max(LIMITS.serverArgs).default([]),
});

/** K3s's own address ranges: its defaults, or the ones `k3s.serverArgs` sets. */
export function k3sCidrs(serverArgs: readonly string[]): { cluster: string; service: string } {
    const flag = (name: string) => serverArgs.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
    return { cluster: flag("--cluster-cidr") ?? "10.42.0.0/16", service: flag("--service-cidr") ?? "10.43.0.0/16" };
}

export const mirrorSchema = z.strictObject({
    upstreams: z
        .array(
            z.strictObject({
                /** Registry name as images refer to it (docker.io, ghcr.io, ...). */
                registry: dnsName,
                /** Upstream URL the mirror pulls from. */
                url,
                /** Port of this mirror instance on the ingress. */
                port,
            }),
        )
        .min(1)
        .max(LIMITS.mirrors),
});

export const ntpSchema = z.strictObject({
    /** Servers the ingress's ntpsec follows; the other nodes follow the ingress. */
    upstreamServers: z.array(hostOrIp).min(1).max(LIMITS.ntpServers),
});

export const zerotierSchema = z.strictObject({
    networkId: z
        .string()
        .regex(/^[0-9a-f]{16}$/, { error: "a 16-hex-digit ZeroTier network id" })
        .optional(),
});

export const clusterSchema = z.strictObject({
    /** Where the Kubernetes provider's kubeconfig comes from. */
    kubeconfig: z
        .discriminatedUnion("source", [
            z.strictObject({ source: z.literal("k3s") }),
            z.strictObject({ source: z.literal("file"), path: z.string().min(1) }),
        ])
        .default({ source: "k3s" }),
});

const resourcesSchema = z.strictObject({
    requests: z.strictObject({ cpu: quantityCpu.optional(), memory: quantityMem.optional() }).default({}),
    limits: z.strictObject({ cpu: quantityCpu.optional(), memory: quantityMem.optional() }).default({}),
});

const hpaRulesSchema = z.strictObject({
    stabilizationWindowSeconds: z.number().int().min(0).max(3600).optional(),
    selectPolicy: z.enum(["Max", "Min", "Disabled"]).optional(),
    policies: z
        .array(
            z.strictObject({
                type: z.enum(["Pods", "Percent"]),
                value: z.number().int().min(1),
                periodSeconds: z.number().int().min(1).max(1800),
            }),
        )
        .optional(),
});

export const scalingPolicySchema = z.discriminatedUnion("mode", [
    z.strictObject({
        mode: z.literal("fixed"),
        replicas: z.number().int().min(0),
        resources: resourcesSchema.default({ requests: {}, limits: {} }),
    }),
    z.strictObject({
        mode: z.literal("hpa"),
        minReplicas: z.number().int(),
        maxReplicas: z.number().int(),
        /** Average CPU utilisation target, percent of the CPU request. */
        cpuTarget: z.number().int(),
        resources: resourcesSchema.default({ requests: {}, limits: {} }),
        behavior: z.strictObject({ scaleUp: hpaRulesSchema.optional(), scaleDown: hpaRulesSchema.optional() }).optional(),
    }),
]);

export const WORKLOADS = ["django", "frontend", "idaes"] as const;

export const scalingSchema = z.strictObject({
    django: scalingPolicySchema,
    frontend: scalingPolicySchema,
    idaes: scalingPolicySchema,
});

export const platformSchema = z.strictObject({
    /**
     * Deploy the platform onto the cluster. Off: the program provisions the nodes and
     * K3s only (a user who wants just the cluster). @default true
     */
    enabled: z.boolean().default(true),
    namespace: hostLabel
        .refine((n) => !(RESERVED_NAMESPACES as readonly string[]).includes(n), { error: `a namespace of its own (not ${RESERVED_NAMESPACES.join(", ")})` })
        .default("ahuora"),
    domains: z.strictObject({ frontend: dnsName, api: dnsName, auth: dnsName }),
    images: z.strictObject({
        django: image,
        frontend: image,
        idaes: image,
        postgres: image,
        pgbouncer: image,
        oauth2Proxy: image,
        cloudflared: image,
    }),
    /** Django runtime mode (DJANGO_RUNTIME_MODE). */
    runtimeMode: z.enum(["production", "development"]).default("production"),
    /** Origins allowed by the django-cors middleware. @default the front-end's https origin */
    corsOrigins: z.array(url).optional(),
});

export const databaseSchema = z.strictObject({
    /** K3s node (server or agent) that holds the Postgres volume. */
    node: hostLabel,
    size: quantityMem.default("5Gi"),
    /** Host directory on `node` backing the local PersistentVolume. */
    hostPath: dataPath.default("/var/lib/picluster/postgres"),
    name: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("ahuora"),
    user: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("ahuora"),
    pool: z
        .strictObject({
            /** Server connections per user/database pair. */
            defaultPoolSize: z.number().int().min(1).max(100).default(20),
            /** Client connections PgBouncer accepts and queues. */
            maxClientConn: z.number().int().min(1).max(10000).default(500),
        })
        .default({ defaultPoolSize: 20, maxClientConn: 500 }),
});

/**
 * An OpenID Connect issuer: https (OAuth2 Proxy fetches the provider's keys and
 * endpoints from `<issuer>/.well-known/openid-configuration` with the client
 * secret at stake), no credentials, query or fragment (the issuer is compared
 * verbatim with the `iss` of every token).
 */
export function isIssuerUrl(s: string): boolean {
    let u: URL;
    try {
        u = new URL(s);
    } catch {
        return false;
    }
    return u.protocol === "https:" && u.hostname !== "" && u.username === "" && u.password === "" && u.search === "" && u.hash === "" && !/[\s'"]/.test(s);
}
const issuerUrl = z
    .string()
    .max(512)
    .refine(isIssuerUrl, { error: "an https issuer URL without credentials, query or fragment, like https://keycloak.example.org/realms/ahuora" });

/** Identity providers OAuth2 Proxy signs users in with. */
export const AUTH_PROVIDERS = ["google", "oidc"] as const;
export type AuthProvider = (typeof AUTH_PROVIDERS)[number];

const authCommon = {
    /** OAuth client id at the provider; its secret is the secret `oauthClientSecret`. */
    clientId: z.string().min(1),
    allowedEmails: z.array(z.email({ error: "an email address" })).min(1),
};

export const authSchema = z.preprocess(
    // `provider` may be left out: Google, as the thesis's cluster uses.
    (v) => (v !== null && typeof v === "object" && !Array.isArray(v) && !("provider" in v) ? { provider: "google", ...v } : v),
    z.discriminatedUnion("provider", [
        z.strictObject({ provider: z.literal("google"), ...authCommon }),
        z.strictObject({
            provider: z.literal("oidc"),
            /** Any OpenID Connect provider (Keycloak, Dex, ...): its issuer URL. */
            issuerUrl,
            ...authCommon,
        }),
    ]),
);

export const monitoringSchema = z.discriminatedUnion("enabled", [
    z.strictObject({ enabled: z.literal(false) }),
    z.strictObject({
        enabled: z.literal(true),
        clusterName: hostLabel,
        chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, { error: "a pinned chart version like 1.6.4" }),
        prometheus: z.strictObject({ url, username: z.string().min(1) }),
        loki: z.strictObject({ url, username: z.string().min(1) }),
    }),
]);

export const tunnelSchema = z.discriminatedUnion("enabled", [
    z.strictObject({ enabled: z.literal(false) }),
    z.strictObject({
        enabled: z.literal(true),
        accountId: z.string().regex(/^[0-9a-f]{32}$/, { error: "a 32-hex-digit Cloudflare account id" }),
        zoneId: z.string().regex(/^[0-9a-f]{32}$/, { error: "a 32-hex-digit Cloudflare zone id" }),
        name: hostLabel,
    }),
]);

export type NodeSpec = z.infer<typeof nodeSchema>;
export type BootstrapSettings = z.infer<typeof bootstrapSchema>;
export type SshSettings = z.infer<typeof sshSchema>;
export type NetworkSettings = z.infer<typeof networkSchema>;
export type PrereqSettings = z.infer<typeof prereqsSchema>;
export type K3sSettings = z.infer<typeof k3sSchema>;
export type MirrorSettings = z.infer<typeof mirrorSchema>;
export type MirrorUpstream = MirrorSettings["upstreams"][number];
export type NtpSettings = z.infer<typeof ntpSchema>;
export type ZerotierSettings = z.infer<typeof zerotierSchema>;
export type ClusterSettings = z.infer<typeof clusterSchema>;
export type Resources = z.infer<typeof resourcesSchema>;
export type ScalingPolicy = z.infer<typeof scalingPolicySchema>;
export type HpaPolicy = Extract<ScalingPolicy, { mode: "hpa" }>;
export type WorkloadName = (typeof WORKLOADS)[number];
export type Scaling = z.infer<typeof scalingSchema>;
export type PlatformSettings = z.infer<typeof platformSchema>;
export type DatabaseSettings = z.infer<typeof databaseSchema>;
export type AuthSettings = z.infer<typeof authSchema>;
export type MonitoringSettings = z.infer<typeof monitoringSchema>;
export type TunnelSettings = z.infer<typeof tunnelSchema>;

/** Load profiles a variant can be measured with (loadtest/profiles.yaml has their stages). */
export const PROFILES = ["average", "stress", "soak", "spike", "breakpoint"] as const;

/** One named scaling variant of experiments/catalog.yaml. */
export const experimentSchema = z.strictObject({
    description: z.string().min(1),
    /** The endpoint the variant is measured on: UOR, FS, or either. */
    endpoint: z.enum(["uor", "fs", "any"]),
    profiles: z.array(z.enum(PROFILES)).min(1),
    /** Scaling policy per workload; unnamed workloads keep the stack's policy. */
    workloads: z.strictObject({
        django: scalingPolicySchema.optional(),
        frontend: scalingPolicySchema.optional(),
        idaes: scalingPolicySchema.optional(),
    }),
});

export type Experiment = z.infer<typeof experimentSchema>;

// ---------------------------------------------------------------------------
// The stack config as a whole: its keys, and the validated settings.

export const NAMESPACE = "picluster";

/** The experiment a stack runs when `picluster:experiment` is not set. */
export const DEFAULT_EXPERIMENT = "baseline";

/** Config keys that must be set as Pulumi secrets, and when. */
export const SECRET_KEYS = {
    sshPrivateKey: `${NAMESPACE}:sshPrivateKey`,
    oauthClientSecret: `${NAMESPACE}:oauthClientSecret`,
    grafanaCloudToken: `${NAMESPACE}:grafanaCloudToken`,
    cloudflareApiToken: "cloudflare:apiToken",
    /** Set when `bootstrap.wifi` is: the WPA passphrase the first-boot files carry. */
    wifiPassword: `${NAMESPACE}:wifiPassword`,
} as const;

/** Every plain (non-secret) key of the stack config, without its namespace, with its shape. */
export const CONFIG_SCHEMAS = {
    nodes: z.array(nodeSchema).min(2).max(LIMITS.nodes),
    bootstrap: bootstrapSchema.default(bootstrapSchema.parse({})),
    ssh: sshSchema.default(sshSchema.parse({})),
    network: networkSchema,
    prereqs: prereqsSchema.default(prereqsSchema.parse({})),
    k3s: k3sSchema,
    mirror: mirrorSchema,
    ntp: ntpSchema,
    zerotier: zerotierSchema.default({}),
    cluster: clusterSchema.default(clusterSchema.parse({})),
    platform: platformSchema,
    database: databaseSchema,
    auth: authSchema,
    monitoring: monitoringSchema.default({ enabled: false }),
    tunnel: tunnelSchema.default({ enabled: false }),
    scaling: scalingSchema,
    experiment: z.string().min(1).default(DEFAULT_EXPERIMENT),
} as const;

/** Every config key the program reads, with its namespace. */
export const CONFIG_KEYS = Object.keys(CONFIG_SCHEMAS).map((k) => `${NAMESPACE}:${k}`);

export interface ResolvedNode extends NodeSpec {
    readonly sshHost: string;
    /**
     * The pinned host key from the config (inline or in `ssh.knownHostsFile`).
     * Undefined: the program generates the node's key (provisioning/hostKeys.ts) and
     * pins that; `npm run bootstrap` puts it on the node's SD card.
     */
    readonly hostKey: string | undefined;
}

/** The validated, secret-free part of the stack config. */
export interface StackSettings {
    readonly nodes: readonly ResolvedNode[];
    readonly bootstrap: BootstrapSettings;
    readonly ingress: ResolvedNode;
    readonly server: ResolvedNode;
    readonly agents: readonly ResolvedNode[];
    readonly ssh: SshSettings;
    readonly network: NetworkSettings;
    readonly prereqs: PrereqSettings;
    readonly k3s: K3sSettings;
    readonly mirror: MirrorSettings;
    readonly ntp: NtpSettings;
    readonly zerotier: ZerotierSettings;
    readonly cluster: ClusterSettings;
    readonly platform: PlatformSettings;
    readonly database: DatabaseSettings;
    readonly auth: AuthSettings;
    readonly monitoring: MonitoringSettings;
    readonly tunnel: TunnelSettings;
    readonly experiment: { readonly name: string } & Experiment;
    /** The stack's scaling with the selected experiment applied. */
    readonly scaling: Scaling;
}

export interface StackSecrets {
    readonly sshPrivateKey: pulumi.Output<string>;
    /** The identity provider's OAuth client secret (auth.provider's). */
    readonly oauthClientSecret: pulumi.Output<string>;
    /** Set when monitoring is enabled. */
    readonly grafanaCloudToken?: pulumi.Output<string>;
}

/** The settings with the secrets, as Pulumi config gives them (load.ts). */
export interface StackConfig extends StackSettings {
    readonly secrets: StackSecrets;
}

// ---------------------------------------------------------------------------
// What each component takes: its slice, so that each can be built alone.

/** What the ingress node is provisioned from. */
export type IngressNodeSettings = Pick<StackSettings, "nodes" | "ingress" | "ssh" | "network" | "prereqs" | "mirror" | "ntp" | "zerotier" | "k3s">;

/** What a K3s node (server or agent) is provisioned from. */
export type K3sNodeSettings = Pick<StackSettings, "ingress" | "server" | "ssh" | "network" | "prereqs" | "mirror" | "k3s" | "database">;

/** What the platform is deployed from (the selected experiment is already in `scaling`). */
export type PlatformConfig = Pick<StackSettings, "nodes" | "platform" | "database" | "auth" | "monitoring" | "tunnel" | "scaling">;

/** The secrets the platform uses. */
export type PlatformSecrets = Pick<StackSecrets, "oauthClientSecret" | "grafanaCloudToken">;
