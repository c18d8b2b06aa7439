import * as fs from "fs";
import * as path from "path";
import { scratchDir } from "../helpers/tmp";
import { execFileSync } from "child_process";
import * as YAML from "yaml";
import { StackSettings } from "../../config/schema";
import {
    apiUrl,
    artifactUrl,
    k3sDownloads,
    parseServerArgs,
    parseArtifactSums,
    renderAirgapK3sDropIn,
    renderAirgapRules,
    renderAirgapUnit,
    renderDnsmasqConf,
    renderK3sConfig,
    renderMirrorConfig,
    renderNtpServerConf,
    renderRegistriesYaml,
    renderTimesyncdConf,
} from "../../provisioning/render";
import { testSettings } from "../helpers/program";

const settingsOf = (stack: string): StackSettings => testSettings(stack);

const dev = settingsOf("dev");
const pi = settingsOf("pi-cluster");

function tmpFile(name: string, text: string): string {
    const file = path.join(scratchDir("render"), name);
    fs.writeFileSync(file, `${text}\n`);
    return file;
}

describe("dnsmasq", () => {
    it("gives every cluster node a static lease by MAC, names every node, and forwards upstream", () => {
        expect(renderDnsmasqConf(dev)).toBe(
            [
                "# Managed by Pulumi (picluster). Local edits are overwritten.",
                "interface=eth0",
                "bind-interfaces",
                "domain-needed",
                "bogus-priv",
                "no-resolv",
                "no-hosts",
                "domain=picluster.lan",
                "local=/picluster.lan/",
                "server=172.30.200.2",
                "",
                "# DHCP: only the static leases below are meant for cluster nodes; the pool is for guests.",
                "dhcp-authoritative",
                "dhcp-range=172.30.100.200,172.30.100.250,255.255.255.0,12h",
                "# No default route: the LAN is airgapped.",
                "dhcp-option=option:router",
                "dhcp-option=option:dns-server,172.30.100.101",
                "dhcp-option=option:ntp-server,172.30.100.101",
                "dhcp-option=option:domain-search,picluster.lan",
                "",
                "# Static leases by MAC (the ingress has a static address of its own).",
                "dhcp-host=02:50:69:64:00:79,control,172.30.100.121,infinite",
                "dhcp-host=02:50:69:64:00:7a,worker-1,172.30.100.122,infinite",
                "dhcp-host=02:50:69:64:00:7b,worker-2,172.30.100.123,infinite",
                "",
                "# Names for every node.",
                "host-record=ingress.picluster.lan,ingress,172.30.100.101",
                "host-record=control.picluster.lan,control,172.30.100.121",
                "host-record=worker-1.picluster.lan,worker-1,172.30.100.122",
                "host-record=worker-2.picluster.lan,worker-2,172.30.100.123",
            ].join("\n"),
        );
    });

    it("covers all seven cluster nodes of the real cluster", () => {
        const leases = renderDnsmasqConf(pi).split("\n").filter((l) => l.startsWith("dhcp-host="));
        expect(leases).toHaveLength(7);
        expect(leases[0]).toBe("dhcp-host=2c:cf:67:00:01:21,control,192.168.100.121,infinite");
    });

    it("hands out a default route only when a gateway is configured", () => {
        const conf = renderDnsmasqConf({ ...dev, network: { ...dev.network, gateway: "172.30.100.1" } });
        expect(conf).toContain("dhcp-option=option:router,172.30.100.1");
    });

    it("is accepted by the real dnsmasq (which does reject a bad file)", () => {
        const check = (text: string) => () => execFileSync("dnsmasq", ["--test", `--conf-file=${tmpFile("dnsmasq.conf", text)}`], { stdio: "pipe" });
        expect(check(renderDnsmasqConf(pi))).not.toThrow();
        expect(check(renderDnsmasqConf(dev))).not.toThrow();
        expect(check(`${renderDnsmasqConf(pi)}\nno-such-option=1`)).toThrow();
    });
});

describe("NTP", () => {
    it("the ingress follows upstream, serves only the LAN, and keeps serving offline", () => {
        const conf = renderNtpServerConf(pi);
        expect(conf).toContain("pool 0.nz.pool.ntp.org iburst");
        expect(conf).toContain("restrict 192.168.100.0 mask 255.255.255.0 nomodify nopeer noquery");
        expect(conf).toContain("restrict default kod nomodify nopeer noquery limited");
        expect(conf).toMatch(/^tos orphan 10/m);
    });

    it("every other node follows the ingress only, with no public fallback", () => {
        expect(renderTimesyncdConf(pi.ingress).split("\n").slice(1)).toEqual(["[Time]", "NTP=192.168.100.101", "FallbackNTP="]);
    });
});

describe("registry mirror", () => {
    it("registries.yaml sends every upstream registry to its mirror instance on the ingress", () => {
        const doc = YAML.parse(renderRegistriesYaml(pi.ingress, pi.mirror.upstreams));
        expect(doc).toEqual({
            mirrors: {
                "docker.io": { endpoint: ["http://192.168.100.101:5000"] },
                "ghcr.io": { endpoint: ["http://192.168.100.101:5001"] },
                "quay.io": { endpoint: ["http://192.168.100.101:5002"] },
                "registry.k8s.io": { endpoint: ["http://192.168.100.101:5003"] },
            },
        });
    });

    it("each docker-registry instance proxies its upstream on its own port and storage", () => {
        const doc = YAML.parse(renderMirrorConfig(pi.ingress, pi.mirror.upstreams[1]));
        expect(doc.proxy).toEqual({ remoteurl: "https://ghcr.io" });
        expect(doc.http.addr).toBe("192.168.100.101:5001");
        expect(doc.storage.filesystem.rootdirectory).toBe("/var/lib/picluster/mirror/ghcr.io");
    });
});

describe("K3s", () => {
    it("the server's config names it, pins its address and certificate names, and carries extra args", () => {
        const settings = { ...pi, k3s: { ...pi.k3s, serverArgs: ["--disable=servicelb", "--kube-apiserver-arg=a=1", "--kube-apiserver-arg=b=2", "--secrets-encryption"] } };
        const doc = YAML.parse(renderK3sConfig(settings, pi.server));
        expect(doc).toEqual({
            "node-name": "control",
            "node-ip": "192.168.100.121",
            "flannel-iface": "eth0",
            "write-kubeconfig-mode": "0600",
            "tls-san": ["192.168.100.121", "control.picluster.lan"],
            disable: "servicelb",
            "kube-apiserver-arg": ["a=1", "b=2"],
            "secrets-encryption": true,
        });
    });

    it("an agent's config points at the server and holds no token", () => {
        const text = renderK3sConfig(pi, pi.agents[0]);
        expect(YAML.parse(text)).toEqual({ "node-name": "worker-1", "node-ip": "192.168.100.122", "flannel-iface": "eth0", server: "https://192.168.100.121:6443" });
        expect(text).not.toMatch(/token/i);
    });

    it("downloads the pinned release with the '+' escaped, and serves it from the ingress", () => {
        expect(k3sDownloads(pi.k3s)).toEqual({
            binary: "https://github.com/k3s-io/k3s/releases/download/v1.33.2%2Bk3s1/k3s-arm64",
            checksums: "https://github.com/k3s-io/k3s/releases/download/v1.33.2%2Bk3s1/sha256sum-arm64.txt",
            installScript: "https://raw.githubusercontent.com/k3s-io/k3s/v1.33.2%2Bk3s1/install.sh",
        });
        expect(k3sDownloads(dev.k3s).binary).toBe("http://172.30.200.2:8080/k3s/releases/v1.33.2%2Bk3s1/k3s");
        expect(artifactUrl(pi.ingress, pi.k3s)).toBe("http://192.168.100.101:8088/k3s/v1.33.2%2Bk3s1");
        expect(apiUrl(pi.server)).toBe("https://192.168.100.121:6443");
    });

    it("rejects malformed server args", () => {
        expect(() => parseServerArgs(["disable=traefik"])).toThrow("k3s.serverArgs: expected '--flag' or '--flag=value', got \"disable=traefik\"");
    });
});

describe("airgap", () => {
    const rules = renderAirgapRules(pi.network, pi.k3s);

    it("drops egress beyond the LAN and the cluster's own ranges, IPv6 included", () => {
        expect(rules).toContain("elements = { 127.0.0.0/8, 192.168.100.0/24, 10.42.0.0/16, 10.43.0.0/16, 224.0.0.0/4, 255.255.255.255 }");
        expect(rules).toMatch(/type filter hook output priority filter; policy drop;/);
        // Forwarded (pod) traffic: the last rule rejects everything not allowed above, v4 and v6 alike.
        const forward = rules.slice(rules.indexOf("chain forward"));
        expect(forward).toContain("ip6 daddr { fe80::/10, ff00::/8 } accept");
        expect(forward.trim().split("\n").slice(-3)[0].trim()).toBe("counter reject with icmpx type admin-prohibited");
    });

    it("follows K3s's pod and service ranges when serverArgs move them", () => {
        expect(renderAirgapRules(pi.network, { serverArgs: ["--cluster-cidr=10.52.0.0/16", "--service-cidr=10.53.0.0/16"] })).toContain(
            "elements = { 127.0.0.0/8, 192.168.100.0/24, 10.52.0.0/16, 10.53.0.0/16, 224.0.0.0/4, 255.255.255.255 }",
        );
    });

    it("replaces the rules in one transaction, and the unit never deletes them on stop or restart", () => {
        expect(rules.split("\n").filter((l) => /^(table|delete table)/.test(l))).toEqual(["table inet picluster_airgap", "delete table inet picluster_airgap", "table inet picluster_airgap {"]);
        const unit = renderAirgapUnit();
        expect(unit).toContain("ExecReload=/usr/sbin/nft -f /etc/picluster/airgap.nft");
        expect(unit).not.toContain("ExecStop");
        expect(renderAirgapK3sDropIn()).toContain("Requires=picluster-airgap.service\nAfter=picluster-airgap.service");
    });

    it("is accepted by the real nft (which does reject a broken ruleset)", () => {
        // -c: check only, nothing is changed on this machine.
        const check = (text: string) => () => execFileSync("nft", ["-c", "-f", tmpFile("airgap.nft", text)], { stdio: "pipe" });
        expect(check(rules)).not.toThrow();
        expect(check(rules.replace("ip daddr @allowed_v4 accept", "ip daddr @missing_set accept"))).toThrow();
    });
});

describe("parseArtifactSums", () => {
    it("reads the sums the ingress prints, and refuses output without them", () => {
        const k = "1".repeat(64);
        const i = "2".repeat(64);
        expect(parseArtifactSums(`[k3s-artifacts] fetched\nk3s=${k}\ninstall=${i}\n`)).toEqual({ k3s: k, install: i });
        expect(() => parseArtifactSums(`k3s=${k}\n`)).toThrow("ingress k3s-artifacts step: expected a line 'install=<sha256>' on its output");
        expect(() => parseArtifactSums("k3s=nothex\ninstall=x\n")).toThrow("expected a line 'k3s=<sha256>'");
    });
});
