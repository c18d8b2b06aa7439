import { StackSettings } from "../config/schema";
import { ConfigError, parseKnownHosts, parseStackConfig, RawStackConfig } from "../config/validate";
import { TEST_SECRETS, testConfig } from "./helpers/program";

type Values = Record<string, any>;

/** GIVEN a valid stack config (a stack file plus test secrets), WHEN `mutate` edits it, THEN parse. */
function parseWith(stack: string, mutate: (v: Values, secretKeys: Set<string>) => void = () => undefined): StackSettings {
    const { values, secretKeys } = testConfig(stack);
    const copy: Values = JSON.parse(JSON.stringify(values));
    const secrets = new Set(secretKeys);
    mutate(copy, secrets);
    const raw: RawStackConfig = { values: copy, secretKeys: secrets };
    return parseStackConfig(raw);
}

function problemsOf(fn: () => unknown): readonly string[] {
    try {
        fn();
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    throw new Error("expected a ConfigError, but the config was accepted");
}

const nodes = (v: Values) => v["picluster:nodes"] as Values[];
const scaling = (v: Values) => v["picluster:scaling"] as Values;
const hpa = { mode: "hpa", minReplicas: 1, maxReplicas: 4, cpuTarget: 50, resources: { requests: { cpu: "500m" } } };

describe("parseStackConfig", () => {
    it.each(["dev", "pi-cluster"])("accepts the %s stack as shipped", (stack) => {
        const settings = parseWith(stack);
        expect(settings.ingress.role).toBe("ingress");
        expect(settings.server.role).toBe("server");
        expect(settings.experiment.name).toBe("baseline");
        expect(Object.isFrozen(settings.nodes)).toBe(true);
    });

    it("describes the real cluster of FACTS.md", () => {
        const s = parseWith("pi-cluster");
        expect(s.ingress.ip).toBe("192.168.100.101");
        expect(s.nodes.filter((n) => n.role !== "ingress").map((n) => n.ip)).toEqual(
            ["121", "122", "123", "124", "125", "126", "127"].map((o) => `192.168.100.${o}`),
        );
        expect(s.agents).toHaveLength(6);
        expect(s.nodes.filter((n) => n.internet).map((n) => n.role)).toEqual(["ingress", "server"]);
        expect(s.prereqs.cmdlinePath).toBe("/boot/firmware/cmdline.txt");
        expect(s.mirror.upstreams.map((u) => u.registry)).toEqual(["docker.io", "ghcr.io", "quay.io", "registry.k8s.io"]);
        expect(s.database.size).toBe("5Gi");
        expect(s.platform.images.postgres).toMatch(/:16\.4$/);
        expect(s.platform.images.django).toMatch(/:0\.0\.17$/);
        expect(s.platform.images.idaes).toMatch(/:0\.0\.10$/);
    });

    it("signs in with Google on pi-cluster and with an OpenID Connect issuer on dev", () => {
        expect(parseWith("pi-cluster").auth).toEqual({ provider: "google", clientId: "000000000000-replace-me.apps.googleusercontent.com", allowedEmails: ["operator@ahuora.org.nz"] });
        expect(parseWith("dev").auth).toMatchObject({ provider: "oidc", issuerUrl: "https://198.18.2.2:9443/oidc", clientId: "dev-client-id" });
    });

    it("takes Google when auth.provider is left out", () => {
        const s = parseWith("pi-cluster", (v) => delete v["picluster:auth"].provider);
        expect(s.auth.provider).toBe("google");
    });

    it("never echoes the old client secret's value", () => {
        const problems = problemsOf(() => parseWith("dev", (v, secrets) => { v["picluster:googleClientSecret"] = "old-secret-value-3f1"; secrets.add("picluster:googleClientSecret"); }));
        expect(problems.join("\n")).not.toContain("old-secret-value-3f1");
    });

    it("resolves host keys from the known_hosts file for the dev stack", () => {
        const s = parseWith("dev");
        for (const node of s.nodes) expect(node.hostKey).toMatch(/^ssh-ed25519 AAAA/);
        expect(s.ingress.sshHost).toBe("172.30.200.101");
    });

    it("applies the selected experiment over the stack's scaling", () => {
        const s = parseWith("dev", (v) => (v["picluster:experiment"] = "fs-replicas-2-8"));
        expect(s.scaling.django).toMatchObject({ mode: "fixed", replicas: 2 });
        expect(s.scaling.idaes).toMatchObject({ mode: "fixed", replicas: 8 });
        // untouched by the experiment: the stack's own policy
        expect(s.scaling.frontend).toMatchObject({ mode: "fixed", replicas: 1, resources: { requests: { cpu: "50m" } } });
    });

    // Each row: what the user got wrong, and the exact message they see.
    it.each<[string, (v: Values, secrets: Set<string>) => void, string]>([
        ["a duplicate node name", (v) => (nodes(v)[3].name = "worker-1"), 'picluster:nodes[3].name: expected a name not used by another node (picluster:nodes[2] has it), got "worker-1"'],
        ["a duplicate MAC", (v) => (nodes(v)[2].mac = "02:50:69:64:00:79"), 'picluster:nodes[2].mac: expected a MAC not used by another node (picluster:nodes[1] has it), got "02:50:69:64:00:79"'],
        ["a duplicate IP", (v) => (nodes(v)[3].ip = "172.30.100.122"), 'picluster:nodes[3].ip: expected an IP not used by another node (picluster:nodes[2] has it), got "172.30.100.122"'],
        ["an IP outside the subnet", (v) => (nodes(v)[2].ip = "172.30.101.5"), 'picluster:nodes[2].ip: expected an address inside picluster:network.subnet 172.30.100.0/24, got "172.30.101.5"'],
        ["an IP inside the DHCP pool", (v) => (nodes(v)[2].ip = "172.30.100.210"), 'picluster:nodes[2].ip: expected an address outside the DHCP pool 172.30.100.200-172.30.100.250, got "172.30.100.210"'],
        ["no ingress", (v) => (nodes(v)[0].role = "agent"), 'picluster:nodes: expected exactly one node with role "ingress", got "0 ingress nodes"'],
        ["two ingress nodes", (v) => (nodes(v)[3].role = "ingress"), 'picluster:nodes: expected exactly one node with role "ingress", got "2 ingress nodes"'],
        ["no server", (v) => (nodes(v)[1].role = "agent"), 'picluster:nodes: expected exactly one node with role "server" (the K3s control node), got "0 server nodes"'],
        ["an unknown role", (v) => (nodes(v)[2].role = "worker"), 'picluster:nodes[2].role: expected one of "ingress", "server", "agent", got "worker"'],
        ["an upper-case MAC", (v) => (nodes(v)[2].mac = "02:50:69:64:00:7A"), 'picluster:nodes[2].mac: expected a lower-case MAC address like 2c:cf:67:00:00:79, got "02:50:69:64:00:7A"'],
        ["the database on the ingress", (v) => (v["picluster:database"].node = "ingress"), 'picluster:database.node: expected the name of a K3s server or agent node (control, worker-1, worker-2), got "ingress"'],
        ["the database on an unknown node", (v) => (v["picluster:database"].node = "worker-9"), 'picluster:database.node: expected the name of a K3s server or agent node (control, worker-1, worker-2), got "worker-9"'],
        ["HPA min > max", (v) => (scaling(v).django = { ...hpa, minReplicas: 5, maxReplicas: 3 }), "picluster:scaling.django.minReplicas: expected a value <= maxReplicas (3), got 5"],
        ["HPA min < 1", (v) => (scaling(v).django = { ...hpa, minReplicas: 0 }), "picluster:scaling.django.minReplicas: expected a value >= 1, got 0"],
        ["a CPU target of 0", (v) => (scaling(v).idaes = { ...hpa, cpuTarget: 0 }), "picluster:scaling.idaes.cpuTarget: expected a percentage from 1 to 100, got 0"],
        ["a CPU target of 120", (v) => (scaling(v).idaes = { ...hpa, cpuTarget: 120 }), "picluster:scaling.idaes.cpuTarget: expected a percentage from 1 to 100, got 120"],
        ["an HPA without a CPU request", (v) => (scaling(v).django = { ...hpa, resources: { requests: { memory: "256Mi" } } }), "picluster:scaling.django.resources.requests.cpu: expected a CPU request, because an HPA on CPU needs one, got nothing (the key is not set)"],
        ["an unknown scaling mode", (v) => (scaling(v).django = { mode: "auto" }), 'picluster:scaling.django.mode: expected one of "fixed", "hpa", got "auto"'],
        ["fractional replicas", (v) => (scaling(v).frontend = { mode: "fixed", replicas: 1.5 }), "picluster:scaling.frontend.replicas: expected an integer, got 1.5"],
        ["an unknown experiment", (v) => (v["picluster:experiment"] = "uor-replicas-3"), 'picluster:experiment: expected one of the experiments in experiments/catalog.yaml'],
        ["the SSH key in plain text", (_, secrets) => secrets.delete("picluster:sshPrivateKey"), "picluster:sshPrivateKey: expected a secret (pulumi config set --secret picluster:sshPrivateKey), got a plain-text value"],
        ["the OAuth client secret missing", (v) => delete v["picluster:oauthClientSecret"], "picluster:oauthClientSecret: expected a secret (pulumi config set --secret picluster:oauthClientSecret), got nothing (the key is not set)"],
        // auth.provider (issue #14)
        ["an unknown identity provider", (v) => (v["picluster:auth"].provider = "github"), 'picluster:auth.provider: expected one of "google", "oidc", got "github"'],
        ["oidc without an issuer", (v) => { v["picluster:auth"] = { provider: "oidc", clientId: "x", allowedEmails: ["a@b.nz"] }; }, "picluster:auth.issuerUrl: expected a string, got nothing (the key is not set)"],
        ["an http issuer", (v) => (v["picluster:auth"].issuerUrl = "http://keycloak.example.org/realms/ahuora"), 'picluster:auth.issuerUrl: expected an https issuer URL without credentials, query or fragment, like https://keycloak.example.org/realms/ahuora, got "http://keycloak.example.org/realms/ahuora"'],
        ["an issuer that is not a URL", (v) => (v["picluster:auth"].issuerUrl = "keycloak.example.org"), 'picluster:auth.issuerUrl: expected an https issuer URL without credentials, query or fragment, like https://keycloak.example.org/realms/ahuora, got "keycloak.example.org"'],
        ["an issuer with a query", (v) => (v["picluster:auth"].issuerUrl = "https://idp.example.org/?realm=x"), 'picluster:auth.issuerUrl: expected an https issuer URL without credentials, query or fragment'],
        ["an issuer with credentials", (v) => (v["picluster:auth"].issuerUrl = "https://admin:pw@idp.example.org/"), 'picluster:auth.issuerUrl: expected an https issuer URL without credentials, query or fragment'],
        ["an issuer for Google", (v) => { v["picluster:auth"] = { provider: "google", issuerUrl: "https://accounts.google.com", clientId: "x", allowedEmails: ["a@b.nz"] }; }, 'picluster:auth.issuerUrl: expected no such key (see the README\'s config reference), got "https://accounts.google.com"'],
        ["the old auth.googleClientId", (v) => { v["picluster:auth"] = { googleClientId: "x.apps.googleusercontent.com", allowedEmails: ["a@b.nz"] }; }, 'picluster:auth.googleClientId: expected it under its new name picluster:auth.clientId (with auth.provider: google, the default), got "x.apps.googleusercontent.com"'],
        ["the old googleClientSecret", (v, secrets) => { v["picluster:googleClientSecret"] = "old-secret-value-3f1"; secrets.add("picluster:googleClientSecret"); }, "picluster:googleClientSecret: expected it under its new name picluster:oauthClientSecret (pulumi config set --secret picluster:oauthClientSecret), got a value under the old name"],
        ["an unpinned image", (v) => (v["picluster:platform"].images.django = "ghcr.io/ahuora/django-api:latest"), 'picluster:platform.images.django: expected an image pinned by tag or digest (not \':latest\', not untagged), got "ghcr.io/ahuora/django-api:latest"'],
        ["an unpinned K3s version", (v) => (v["picluster:k3s"].version = "latest"), 'picluster:k3s.version: expected a pinned K3s version like v1.32.5+k3s1, got "latest"'],
        ["a misspelt key", (v) => (v["picluster:network"].domian = "lan"), 'picluster:network.domian: expected no such key (see the README\'s config reference), got "lan"'],
        ["a DHCP pool outside the subnet", (v) => (v["picluster:network"].dhcpRange.end = "172.30.101.10"), 'picluster:network.dhcpRange.end: expected an address inside 172.30.100.0/24, got "172.30.101.10"'],
        // First-boot files (issue #16): a node name cloud-init would set as the host name, the operator's key, Wi-Fi.
        ["a node name that is no host name", (v) => (nodes(v)[2].name = "Worker_1"), 'picluster:nodes[2].name: expected a lower-case RFC 1123 host name label like worker-1, got "Worker_1"'],
        ["a node name that ends in a hyphen", (v) => (nodes(v)[2].name = "worker-"), 'picluster:nodes[2].name: expected a lower-case RFC 1123 host name label like worker-1, got "worker-"'],
        ["a public key that does not parse", (v) => (v["picluster:bootstrap"] = { authorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh5 me@laptop"] }), "picluster:bootstrap.authorizedKeys[0]: expected an OpenSSH public key line like 'ssh-ed25519 AAAA... you@laptop' (an ed25519 key blob must hold exactly one 32-byte key), got \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh5 me@laptop\""],
        ["a private key pasted as a public one", (v) => (v["picluster:bootstrap"] = { authorizedKeys: ["-----BEGIN OPENSSH PRIVATE KEY-----"] }), "picluster:bootstrap.authorizedKeys[0]: expected an OpenSSH public key line like 'ssh-ed25519 AAAA... you@laptop' (not of the form 'TYPE BASE64 [comment]')"],
        ["Wi-Fi without a country", (v) => (v["picluster:bootstrap"] = { wifi: { ssid: "router" } }), "picluster:bootstrap.wifi.country: expected a string, got nothing (the key is not set)"],
        ["Wi-Fi without its passphrase", (v) => { v["picluster:bootstrap"] = { wifi: { ssid: "router", country: "NZ" } }; delete v["picluster:wifiPassword"]; }, "picluster:wifiPassword: expected a secret (pulumi config set --secret picluster:wifiPassword), got nothing (the key is not set)"],
        ["an unreadable known_hosts file", (v) => (v["picluster:ssh"].knownHostsFile = "/nonexistent/known_hosts"), 'picluster:ssh.knownHostsFile: expected a readable known_hosts file, got "/nonexistent/known_hosts (ENOENT'],
        // Inputs that would lose data or break the node (security review, issue #12).
        ...["/", "/var/lib/rancher/postgres", "/var/lib/kubelet/pg", "/etc/pg", "relative/pg", "/srv/../etc/pg", "/srv/pg/"].map(
            (p): [string, (v: Values) => void, string] => [`database.hostPath ${p}`, (v) => (v["picluster:database"].hostPath = p), `picluster:database.hostPath: expected an absolute, normalised path outside /etc, /usr, /bin, /sbin, /lib, /boot, /proc, /sys, /dev, /run, /var/lib/rancher, /var/lib/kubelet (the K3s uninstall deletes the last two), got ${JSON.stringify(p)}`],
        ),
        ["a /8 subnet", (v) => { v["picluster:network"].subnet = "172.0.0.0/8"; }, 'picluster:network.subnet: expected a prefix from /16 to /30, got "172.0.0.0/8"'],
        ["a subnet inside K3s's pod range", (v) => { v["picluster:network"] = { ...v["picluster:network"], subnet: "10.42.7.0/24", dhcpRange: { start: "10.42.7.200", end: "10.42.7.250" } }; nodes(v).forEach((n, i) => (n.ip = `10.42.7.${10 + i}`)); }, "picluster:network.subnet: expected a subnet that does not overlap K3s's pod addresses (10.42.0.0/16), got \"10.42.7.0/24\""],
        ["a service CIDR over the LAN", (v) => (v["picluster:k3s"].serverArgs = ["--service-cidr=172.30.0.0/16"]), "picluster:network.subnet: expected a subnet that does not overlap K3s's service addresses (172.30.0.0/16), got \"172.30.100.0/24\""],
        ["an NTP server with option text", (v) => (v["picluster:ntp"].upstreamServers = ["pool.ntp.org\nrestrict default"]), 'picluster:ntp.upstreamServers[0]: expected a host name or IPv4 address, got "pool.ntp.org\\nrestrict default"'],
        ["a cmdline outside /boot", (v) => (v["picluster:prereqs"] = { cmdlinePath: "/etc/shadow" }), 'picluster:prereqs.cmdlinePath: expected a normalised path under /boot/, got "/etc/shadow"'],
        ["an init= flag", (v) => (v["picluster:prereqs"] = { cgroupFlags: ["init=/bin/sh"] }), 'picluster:prereqs.cgroupFlags[0]: expected key=value with a key of cgroup_memory, cgroup_enable, cgroup_disable, swapaccount, systemd.unified_cgroup_hierarchy and a plain value, got "init=/bin/sh"'],
        ["a glob in a cgroup flag", (v) => (v["picluster:prereqs"] = { cgroupFlags: ["cgroup_enable=*"] }), 'picluster:prereqs.cgroupFlags[0]: expected key=value with a key of'],
        ["a server flag the program owns", (v) => (v["picluster:k3s"].serverArgs = ["--write-kubeconfig-mode=644"]), 'picluster:k3s.serverArgs[0]: expected a flag the program does not own (--write-kubeconfig-mode: the program keeps the kubeconfig root-only (0600)), got "--write-kubeconfig-mode=644"'],
        ["a token in server flags", (v) => (v["picluster:k3s"].serverArgs = ["--token=abc"]), "picluster:k3s.serverArgs[0]: expected a flag the program does not own (--token: the cluster token is generated and passed on standard input)"],
        ["network policies off", (v) => (v["picluster:k3s"].serverArgs = ["--disable-network-policy"]), "picluster:k3s.serverArgs[0]: expected a flag the program does not own (--disable-network-policy: the platform's NetworkPolicies would silently stop applying)"],
        ["two mirrors on one port", (v) => (v["picluster:mirror"].upstreams[1].port = 5000), "picluster:mirror.upstreams[1].port: expected a port not used by picluster:mirror.upstreams[0].port, got 5000"],
        ["a mirror on port 53", (v) => (v["picluster:mirror"].upstreams[2].port = 53), "picluster:mirror.upstreams[2].port: expected a port not used by dnsmasq, got 53"],
        ["a mirror on the artifact port", (v) => (v["picluster:mirror"].upstreams[0].port = 8088), "picluster:mirror.upstreams[0].port: expected a port not used by picluster:k3s.artifactPort, got 8088"],
        ["the artifact server on the K3s API port", (v) => (v["picluster:k3s"].artifactPort = 6443), "picluster:k3s.artifactPort: expected a port not used by the K3s API, got 6443"],
        ["a node-role label", (v) => (nodes(v)[2].labels = { "node-role.kubernetes.io/worker": "true" }), "picluster:nodes[2].labels.node-role.kubernetes.io/worker: expected a Kubernetes label key ([prefix/]name, name up to 63 characters); node-role.kubernetes.io/ is K3s's own"],
        ["a label value with a space", (v) => (nodes(v)[2].labels = { zone: "rack one" }), 'picluster:nodes[2].labels.zone: expected a Kubernetes label value (up to 63 of A-Z a-z 0-9 - _ .), got "rack one"'],
        ["no K3s node with the internet", (v) => { v["picluster:platform"].enabled = true; nodes(v).forEach((n) => (n.internet = n.role === "ingress")); }, 'picluster:nodes: expected at least one K3s node (server or agent) with internet: true, where OAuth2 Proxy and cloudflared can run, got "none"'],
        ["the platform in kube-system", (v) => (v["picluster:platform"].namespace = "kube-system"), 'picluster:platform.namespace: expected a namespace of its own (not default, kube-system, kube-public, kube-node-lease), got "kube-system"'],
    ])("rejects %s", (_, mutate, message) => {
        const problems = problemsOf(() => parseWith("dev", mutate));
        expect(problems).toContainEqual(expect.stringContaining(message));
    });

    it("accepts labels with a prefix, K3s CIDRs moved off the LAN, and a data path under /srv", () => {
        const s = parseWith("dev", (v) => {
            nodes(v)[2].labels = { "picluster.io/pool": "fs", zone: "rack-1" };
            v["picluster:k3s"].serverArgs = ["--cluster-cidr=10.52.0.0/16", "--service-cidr=10.53.0.0/16"];
            v["picluster:database"].hostPath = "/srv/picluster/postgres";
        });
        expect(s.nodes[2].labels).toEqual({ "picluster.io/pool": "fs", zone: "rack-1" });
        expect(s.database.hostPath).toBe("/srv/picluster/postgres");
    });

    it("lists every problem in one message, and never echoes a secret", () => {
        let message = "";
        try {
            parseWith("pi-cluster", (v, secrets) => {
                nodes(v)[7].ip = "192.168.100.121";
                v["picluster:experiment"] = "nope";
                secrets.delete("cloudflare:apiToken");
            });
        } catch (e) {
            message = (e as Error).message;
        }
        expect(message).toMatch(/^Invalid stack config:\n- /);
        expect(message).toContain("picluster:nodes[7].ip");
        expect(message).toContain("picluster:experiment");
        expect(message).toContain("cloudflare:apiToken: expected a secret");
        expect(message).not.toContain("test-cloudflare-api-token");
    });

    it("pins no host key for a node the config gives none: the program generates it", () => {
        const s = parseWith("dev", (v) => {
            v["picluster:ssh"] = { ...v["picluster:ssh"], knownHostsFile: undefined };
            nodes(v)[1].hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGOJZqtzcF8AWKfbgYm0jTRNjSLd/5aRPRyIdIdJc/1l";
        });
        expect(s.nodes.map((n) => n.hostKey)).toEqual([undefined, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGOJZqtzcF8AWKfbgYm0jTRNjSLd/5aRPRyIdIdJc/1l", undefined, undefined]);
    });

    it("refuses the Wi-Fi passphrase in plain text, naming the key and never echoing it", () => {
        const message = (() => {
            try {
                parseWith("pi-cluster", (_, secrets) => secrets.delete("picluster:wifiPassword"));
            } catch (e) {
                return (e as Error).message;
            }
            return "accepted";
        })();
        expect(message).toContain("picluster:wifiPassword: expected a secret (pulumi config set --secret picluster:wifiPassword), got a plain-text value");
        expect(message).not.toContain(TEST_SECRETS["picluster:wifiPassword"]);
        // Even where no Wi-Fi is configured: a plain-text passphrase in the stack file is a leak all the same.
        expect(problemsOf(() => parseWith("dev", (_, secrets) => secrets.delete("picluster:wifiPassword")))).toEqual([
            "picluster:wifiPassword: expected a secret (pulumi config set --secret picluster:wifiPassword), got a plain-text value",
        ]);
    });

    it("refuses a Wi-Fi passphrase WPA cannot use, without echoing it", () => {
        const problems = problemsOf(() => parseWith("pi-cluster", (v) => (v["picluster:wifiPassword"] = "short")));
        expect(problems).toEqual(["picluster:wifiPassword: expected a WPA passphrase of 8 to 63 printable ASCII characters, got a value that is not (not shown: it is a secret)"]);
    });

    it("always has the bootstrap settings, Wi-Fi only where configured", () => {
        expect(parseWith("dev").bootstrap).toEqual({ authorizedKeys: [] });
        expect(parseWith("pi-cluster").bootstrap.wifi).toEqual({ ssid: expect.any(String), country: "NZ" });
    });

    it("requires the Grafana token only when monitoring is on", () => {
        expect(() => parseWith("dev", (v) => delete v["picluster:grafanaCloudToken"])).not.toThrow();
        const problems = problemsOf(() => parseWith("pi-cluster", (v) => delete v["picluster:grafanaCloudToken"]));
        expect(problems).toContain(
            "picluster:grafanaCloudToken: expected a secret (pulumi config set --secret picluster:grafanaCloudToken), got nothing (the key is not set)",
        );
    });

    it("validates experiment policies like stack policies, naming the catalog entry", () => {
        const catalog = { broken: { description: "x", endpoint: "uor" as const, profiles: ["spike" as const], workloads: { django: { ...hpa, mode: "hpa" as const, minReplicas: 9, maxReplicas: 2, resources: { requests: { cpu: "1" }, limits: {} } } } } };
        const { values, secretKeys } = testConfig("dev", { "picluster:experiment": "broken" });
        const problems = problemsOf(() => parseStackConfig({ values, secretKeys: new Set(secretKeys) }, { catalog }));
        expect(problems).toEqual(["experiments/catalog.yaml:broken.workloads.django.minReplicas: expected a value <= maxReplicas (2), got 9"]);
    });
});

describe("parseKnownHosts", () => {
    it("maps every listed host (and [host]:port form) to its key, skipping hashed entries", () => {
        const keys = parseKnownHosts(
            ["# comment", "10.0.0.1,ingress ssh-ed25519 AAAAkey1 comment", "[10.0.0.2]:2222 ssh-ed25519 AAAAkey2", "|1|hash= ssh-ed25519 AAAAkey3", ""].join("\n"),
        );
        expect(keys.get("10.0.0.1")).toBe("ssh-ed25519 AAAAkey1");
        expect(keys.get("ingress")).toBe("ssh-ed25519 AAAAkey1");
        expect(keys.get("10.0.0.2")).toBe("ssh-ed25519 AAAAkey2");
        expect(keys.size).toBe(3);
    });
});
