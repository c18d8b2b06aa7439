/**
 * Renderers for every file provisioning writes on a node. Pure: settings in,
 * text out. Tests compare their output; the step scripts only install it.
 */
import * as YAML from "yaml";
import { k3sCidrs, K3sSettings, MirrorUpstream, ResolvedNode, StackSettings } from "../config/schema";
import { parseCidr, netmask } from "../lib/net";

const HEADER = "# Managed by Pulumi (picluster). Local edits are overwritten.";

/** Pod and service ranges of K3s (its defaults); the airgap lets the node reach them. */
export const K3S_API_PORT = 6443;

export type DnsmasqInput = Pick<StackSettings, "nodes" | "ingress" | "network">;

/** dnsmasq: DHCP with a static lease per MAC, DNS for every node, upstream forwarding. */
export function renderDnsmasqConf({ nodes, ingress, network }: DnsmasqInput): string {
    const subnet = parseCidr(network.subnet);
    if (!subnet) throw new Error(`renderDnsmasqConf: invalid subnet ${network.subnet}`);
    const lines = [
        HEADER,
        `interface=${network.interface}`,
        "bind-interfaces",
        "domain-needed",
        "bogus-priv",
        "no-resolv",
        "no-hosts",
        `domain=${network.domain}`,
        `local=/${network.domain}/`,
        ...network.upstreamDns.map((dns) => `server=${dns}`),
        "",
        "# DHCP: only the static leases below are meant for cluster nodes; the pool is for guests.",
        "dhcp-authoritative",
        `dhcp-range=${network.dhcpRange.start},${network.dhcpRange.end},${netmask(subnet.prefix)},12h`,
        network.gateway !== undefined
            ? `dhcp-option=option:router,${network.gateway}`
            : "# No default route: the LAN is airgapped.\ndhcp-option=option:router",
        `dhcp-option=option:dns-server,${ingress.ip}`,
        `dhcp-option=option:ntp-server,${ingress.ip}`,
        `dhcp-option=option:domain-search,${network.domain}`,
        "",
        "# Static leases by MAC (the ingress has a static address of its own).",
        ...nodes.filter((n) => n.role !== "ingress").map((n) => `dhcp-host=${n.mac},${n.name},${n.ip},infinite`),
        "",
        "# Names for every node.",
        ...nodes.map((n) => `host-record=${n.name}.${network.domain},${n.name},${n.ip}`),
    ];
    return lines.join("\n");
}

/** ntpsec on the ingress: follow upstream, serve the LAN, orphan mode when offline. */
export function renderNtpServerConf(settings: Pick<StackSettings, "ntp" | "network">): string {
    const subnet = parseCidr(settings.network.subnet)!;
    const [network] = settings.network.subnet.split("/");
    return [
        HEADER,
        "driftfile /var/lib/ntpsec/ntp.drift",
        "leapfile /usr/share/zoneinfo/leap-seconds.list",
        ...settings.ntp.upstreamServers.map((server) => `pool ${server} iburst`),
        "",
        "# Without the internet, keep serving the LAN from the local clock (stratum 10)",
        "# rather than letting the airgapped nodes drift.",
        "tos orphan 10 orphanwait 1",
        "",
        "restrict default kod nomodify nopeer noquery limited",
        "restrict 127.0.0.1",
        "restrict ::1",
        `restrict ${network} mask ${netmask(subnet.prefix)} nomodify nopeer noquery`,
    ].join("\n");
}

/** systemd-timesyncd on every other node: the ingress only, no public fallback. */
export function renderTimesyncdConf(ingress: ResolvedNode): string {
    return [HEADER, "[Time]", `NTP=${ingress.ip}`, "FallbackNTP="].join("\n");
}

/** Port each mirror instance listens on, by registry. */
export function mirrorEndpoint(ingress: ResolvedNode, upstream: MirrorUpstream): string {
    return `http://${ingress.ip}:${upstream.port}`;
}

/** docker-registry (distribution 2.x) config for one pull-through instance. */
export function renderMirrorConfig(ingress: ResolvedNode, upstream: MirrorUpstream): string {
    return [
        HEADER,
        YAML.stringify({
            version: 0.1,
            log: { level: "info", fields: { service: `mirror-${upstream.registry}` } },
            storage: {
                filesystem: { rootdirectory: `/var/lib/picluster/mirror/${upstream.registry}` },
                // Needed by the proxy to expire cached content. No in-memory
                // descriptor cache: a blob the check removes must read as missing.
                delete: { enabled: true },
            },
            http: { addr: `${ingress.ip}:${upstream.port}`, headers: { "X-Content-Type-Options": ["nosniff"] } },
            proxy: { remoteurl: upstream.url },
            health: { storagedriver: { enabled: true, interval: "30s", threshold: 3 } },
        }).trimEnd(),
    ].join("\n");
}

export function renderMirrorUnit(): string {
    return [
        HEADER,
        "[Unit]",
        "Description=OCI pull-through mirror for %i",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "User=docker-registry",
        "ExecStart=/usr/bin/docker-registry serve /etc/picluster/mirror/%i.yml",
        "Restart=on-failure",
        "RestartSec=2",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ].join("\n");
}

/** Where the blob check lives on the ingress, and how often it runs. */
export const MIRROR_VERIFY_PATH = "/usr/local/lib/picluster/mirror-verify.sh";

/** The blob check: a oneshot unit and its timer (hourly, and soon after boot). */
export function renderMirrorVerifyUnits(): { service: string; timer: string } {
    return {
        service: [
            HEADER,
            "[Unit]",
            "Description=picluster: remove corrupted blobs from the OCI mirror cache",
            "",
            "[Service]",
            "Type=oneshot",
            `ExecStart=${MIRROR_VERIFY_PATH} /var/lib/picluster/mirror`,
        ].join("\n"),
        timer: [
            HEADER,
            "[Unit]",
            "Description=picluster: check the OCI mirror cache hourly",
            "",
            "[Timer]",
            "OnBootSec=5min",
            "OnUnitActiveSec=1h",
            "",
            "[Install]",
            "WantedBy=timers.target",
        ].join("\n"),
    };
}

/** K3s's registries.yaml: every mirrored registry resolves to its instance on the ingress. */
export function renderRegistriesYaml(ingress: ResolvedNode, upstreams: readonly MirrorUpstream[]): string {
    const mirrors = Object.fromEntries(upstreams.map((u) => [u.registry, { endpoint: [mirrorEndpoint(ingress, u)] }]));
    return [HEADER, YAML.stringify({ mirrors }).trimEnd()].join("\n");
}

/**
 * nftables rules for a node without internet access: the node and its pods reach
 * the LAN (DNS included: the ingress's dnsmasq is the only resolver there) and the
 * cluster's own pod and service ranges, nothing beyond, IPv6 included. One `nft -f`
 * transaction replaces the whole table, so there is no moment without rules.
 */
export function renderAirgapRules(network: StackSettings["network"], k3s: Pick<K3sSettings, "serverArgs">): string {
    const { cluster, service } = k3sCidrs(k3s.serverArgs);
    return [
        HEADER,
        "# Re-applying is atomic: create (no-op if present), delete, then define, in one transaction.",
        "table inet picluster_airgap",
        "delete table inet picluster_airgap",
        "table inet picluster_airgap {",
        "    set allowed_v4 {",
        "        type ipv4_addr",
        "        flags interval",
        `        elements = { 127.0.0.0/8, ${network.subnet}, ${cluster}, ${service}, 224.0.0.0/4, 255.255.255.255 }`,
        "    }",
        "    chain egress {",
        "        type filter hook output priority filter; policy drop;",
        "        oifname \"lo\" accept",
        "        ct state established,related accept",
        "        ip daddr @allowed_v4 accept",
        "        ip6 daddr { ::1, fe80::/10, ff00::/8 } accept",
        "        counter reject with icmpx type admin-prohibited",
        "    }",
        "    chain forward {",
        "        type filter hook forward priority filter; policy accept;",
        "        # Pods may talk to each other and the LAN, never beyond it (IPv6 neither).",
        "        ct state established,related accept",
        "        ip daddr @allowed_v4 accept",
        "        ip6 daddr { fe80::/10, ff00::/8 } accept",
        "        counter reject with icmpx type admin-prohibited",
        "    }",
        "}",
    ].join("\n");
}

/**
 * The unit that loads the rules at boot. It has no ExecStop: stopping or restarting
 * it never opens the node, and a reload replaces the rules in one transaction.
 * Only the step's undo script (destroy) deletes the table.
 */
export function renderAirgapUnit(): string {
    return [
        HEADER,
        "[Unit]",
        "Description=picluster airgap egress rules",
        "Before=network-pre.target k3s.service k3s-agent.service",
        "Wants=network-pre.target",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        "ExecStart=/usr/sbin/nft -f /etc/picluster/airgap.nft",
        "ExecReload=/usr/sbin/nft -f /etc/picluster/airgap.nft",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ].join("\n");
}

/** Drop-in for the K3s units of an airgapped node: K3s does not run without its rules. */
export function renderAirgapK3sDropIn(): string {
    return [HEADER, "[Unit]", "Requires=picluster-airgap.service", "After=picluster-airgap.service"].join("\n");
}

/** The release asset name of the K3s binary for an architecture. */
export function k3sAsset(arch: K3sSettings["arch"]): string {
    switch (arch) {
        case "amd64":
            return "k3s";
        case "arm64":
            return "k3s-arm64";
        case "arm":
            return "k3s-armhf";
        default: {
            const never: never = arch;
            throw new Error(`unknown K3s arch ${String(never)}`);
        }
    }
}

export interface K3sDownloads {
    readonly binary: string;
    readonly checksums: string;
    readonly installScript: string;
}

/** Upstream URLs the ingress downloads from. Versions contain '+', which URLs must escape. */
export function k3sDownloads(k3s: K3sSettings): K3sDownloads {
    const version = encodeURIComponent(k3s.version);
    const sums = k3s.arch === "amd64" ? "sha256sum-amd64.txt" : `sha256sum-${k3s.arch}.txt`;
    return {
        binary: `${k3s.downloadUrl}/${version}/${k3sAsset(k3s.arch)}`,
        checksums: `${k3s.downloadUrl}/${version}/${sums}`,
        installScript: `${k3s.installScriptUrl}/${version}/install.sh`,
    };
}

export const ARTIFACT_ROOT = "/srv/picluster";

/** Where the airgapped nodes fetch the pinned K3s from: the ingress. */
export function artifactUrl(ingress: ResolvedNode, k3s: K3sSettings): string {
    return `http://${ingress.ip}:${k3s.artifactPort}/k3s/${encodeURIComponent(k3s.version)}`;
}

export function renderArtifactUnit(ingress: ResolvedNode, k3s: K3sSettings): string {
    return [
        HEADER,
        "[Unit]",
        "Description=picluster artifact server (K3s for the airgapped nodes)",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "DynamicUser=yes",
        `ExecStart=/usr/bin/python3 -m http.server --bind ${ingress.ip} --directory ${ARTIFACT_ROOT} ${k3s.artifactPort}`,
        "Restart=on-failure",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ].join("\n");
}

/** The server's API URL as the cluster and the operator see it. */
export function apiUrl(server: ResolvedNode): string {
    return `https://${server.ip}:${K3S_API_PORT}`;
}

/** /etc/rancher/k3s/config.yaml for the server or an agent (no secrets: the token goes to the env file). */
export function renderK3sConfig(settings: Pick<StackSettings, "network" | "server" | "k3s">, node: ResolvedNode): string {
    const labels = Object.entries(node.labels).map(([k, v]) => `${k}=${v}`);
    const common = {
        "node-name": node.name,
        "node-ip": node.ip,
        "flannel-iface": settings.network.interface,
        ...(labels.length > 0 ? { "node-label": labels } : {}),
    };
    const body =
        node.role === "server"
            ? {
                  ...common,
                  "write-kubeconfig-mode": "0600",
                  "tls-san": [node.ip, `${node.name}.${settings.network.domain}`],
                  ...parseServerArgs(settings.k3s.serverArgs),
              }
            : { ...common, server: apiUrl(settings.server) };
    return [HEADER, YAML.stringify(body).trimEnd()].join("\n");
}

/**
 * `k3s.serverArgs` (`--flag=value` or `--flag`) as config-file entries. A flag
 * given more than once becomes a list, as K3s accepts in its config file.
 */
export function parseServerArgs(args: readonly string[]): Record<string, string | boolean | string[]> {
    const out: Record<string, string | boolean | string[]> = {};
    for (const arg of args) {
        const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
        if (!m) throw new Error(`k3s.serverArgs: expected '--flag' or '--flag=value', got ${JSON.stringify(arg)}`);
        const [, flag, value] = m;
        const v = value === undefined ? true : value;
        const prev = out[flag];
        if (prev === undefined) out[flag] = v;
        else out[flag] = [...(Array.isArray(prev) ? prev : [String(prev)]), String(v)];
    }
    return out;
}

/** The SHA-256 sums of the K3s binary and install.sh that the ingress verified and serves. */
export interface ArtifactSums {
    readonly k3s: string;
    readonly install: string;
}

/**
 * Read the sums the ingress's artifacts step prints (`k3s=<hex>` and `install=<hex>`
 * lines). The airgapped nodes check their downloads against these, passed to them
 * over SSH by the program, not against a sums file fetched next to the files.
 */
export function parseArtifactSums(stdout: string): ArtifactSums {
    const sum = (key: string) => {
        const m = new RegExp(`^${key}=([0-9a-f]{64})$`, "m").exec(stdout);
        if (!m) throw new Error(`ingress k3s-artifacts step: expected a line '${key}=<sha256>' on its output, got ${JSON.stringify(stdout.slice(0, 200))}`);
        return m[1];
    };
    return { k3s: sum("k3s"), install: sum("install") };
}
