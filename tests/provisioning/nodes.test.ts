import { dependencyNames, chainOf, stepsOf } from "../helpers/graph";
import * as pulumi from "@pulumi/pulumi";
import { MOCK_ARTIFACT_SUMS, MOCK_SECRETS, ProgramRun, runComponents, runProgram, scriptOf, sliceOf, stackConfig, TEST_SECRETS, testSettings, withPlatform } from "../helpers/program";
import { AgentNode } from "../../provisioning/agentNode";
import { IngressNode } from "../../provisioning/ingressNode";
import { parseArtifactSums } from "../../provisioning/render";
import { ServerNode } from "../../provisioning/serverNode";
import { secretNeedles } from "../../harness/engine";

let pi: ProgramRun;
let dev: ProgramRun;
beforeAll(async () => {
    pi = await runProgram("pi-cluster");
    dev = await runProgram("dev");
});

describe("IngressNode", () => {
    it("runs its steps in order: prereqs, online, dnsmasq, ntp, mirror, K3s artifacts", () => {
        expect(chainOf(pi, "ingress", "k3s-artifacts")).toEqual(["prereqs", "online", "dnsmasq", "ntp", "mirror", "k3s-artifacts"]);
        expect(pi.byName("ingress").type).toBe("picluster:provisioning:IngressNode");
    });

    it("adds ZeroTier only when a network id is configured", async () => {
        expect(stepsOf(pi, "ingress").has("zerotier")).toBe(false);
        const run = await runProgram("pi-cluster", { "picluster:zerotier": { networkId: "8056c2e21c000001" } });
        expect(chainOf(run, "ingress", "k3s-artifacts")).toEqual(["prereqs", "online", "dnsmasq", "ntp", "mirror", "zerotier", "k3s-artifacts"]);
        expect(stepsOf(run, "ingress").get("zerotier")!.inputs.delete).toContain("zerotier-cli leave");
    });

    it("is dialled directly at its ssh address with its host key pinned", () => {
        const c = pi.byName("ingress-dnsmasq").inputs.connection;
        expect(c).toMatchObject({ host: "192.168.100.101", port: 22, user: "pi" });
        expect(c.hostKey).toMatch(/^ssh-ed25519 /);
        expect(c.proxy).toBeUndefined();
        expect(dev.byName("ingress-dnsmasq").inputs.connection.host).toBe("172.30.200.101");
    });

    it("writes the rendered dnsmasq leases, and its prereqs never touch cgroups or reboot", () => {
        expect(pi.byName("ingress-dnsmasq").inputs.create).toContain("dhcp-host=2c:cf:67:00:01:27,worker-6,192.168.100.127,infinite");
        const prereqs = scriptOf(pi.byName("ingress-prereqs").inputs.create);
        expect(prereqs).toContain("\nCGROUP_FLAGS=''\n");
        expect(prereqs).toContain("\nSTATIC_LAN='true'\n");
        expect(scriptOf(pi.byName("control-prereqs").inputs.create)).toContain("\nCGROUP_FLAGS='cgroup_memory=1 cgroup_enable=memory'\n");
    });
});

describe("ServerNode and AgentNode", () => {
    it("chain each node's steps; only airgapped nodes get the nftables step", () => {
        expect(chainOf(pi, "control", "k3s")).toEqual(["prereqs", "online", "ntp", "registries", "k3s"]);
        expect(chainOf(pi, "worker-2", "k3s-install")).toEqual(["prereqs", "online", "ntp", "registries", "airgap", "k3s-install"]);
        expect(chainOf(pi, "worker-2", "uncordon")).toEqual(["prereqs", "online", "ntp", "registries", "airgap", "k3s-install", "drain", "k3s-upgrade", "uncordon"]);
    });

    it("reach every node but the ingress through the ingress as jump host, host keys pinned on both hops", () => {
        for (const node of ["control", "worker-1", "worker-6"]) {
            const c = pi.byName(`${node}-online`).inputs.connection;
            expect(c.proxy).toMatchObject({ host: "192.168.100.101", user: "pi", port: 22 });
            expect(c.proxy.hostKey).toBe(pi.byName("ingress-online").inputs.connection.hostKey);
            expect(c.hostKey).toMatch(/^ssh-ed25519 /);
            expect(c.hostKey).not.toBe(c.proxy.hostKey);
        }
        expect(dev.byName("worker-1-online").inputs.connection).toMatchObject({ host: "172.30.100.122", proxy: { host: "172.30.200.101" } });
    });

    it("provision K3s nodes in parallel: no node waits for another's base steps, only for the ingress", () => {
        for (const node of ["control", "worker-1", "worker-2"]) {
            for (const [suffix, step] of stepsOf(pi, node)) {
                if (["k3s", "k3s-install", "drain", "k3s-upgrade", "uncordon"].includes(suffix)) continue;
                // The host keys it pins (its own and the ingress's, its jump host) are no node's steps.
                const foreign = dependencyNames(step).filter((d) => !d.startsWith(`${node}-`) && !d.startsWith("host-keys-"));
                expect({ step: step.name, foreign }).toEqual({ step: step.name, foreign: suffix === "prereqs" ? ["ingress-k3s-artifacts"] : [] });
            }
        }
    });

    it("come after every ingress step, so that destroy (the reverse order) removes the ingress, their jump host, last", async () => {
        // The ingress's last step chains back through all of its steps...
        const ingressSteps = [...stepsOf(pi, "ingress").keys()].sort();
        expect(chainOf(pi, "ingress", "k3s-artifacts").sort()).toEqual(ingressSteps);
        // ...and every other node's chain starts from it.
        for (const node of ["control", "worker-1", "worker-6"]) {
            const first = dependencyNames(pi.byName(`${node}-prereqs`)).filter((d) => !d.startsWith("host-keys-"));
            expect({ node, first }).toEqual({ node, first: ["ingress-k3s-artifacts"] });
        }
        // ZeroTier (often how the operator reaches the ingress) is in that chain too: left last.
        const zt = await runProgram("pi-cluster", { "picluster:zerotier": { networkId: "8056c2e21c000001" } });
        expect(chainOf(zt, "ingress", "k3s-artifacts")).toContain("zerotier");
        expect(dependencyNames(zt.byName("worker-1-prereqs")).filter((d) => !d.startsWith("host-keys-"))).toEqual(["ingress-k3s-artifacts"]);
    });

    it("start K3s on the server first, install agents in parallel, and upgrade agents one at a time", () => {
        expect(dependencyNames(pi.byName("control-k3s"))).toContain("ingress-k3s-artifacts");
        for (let i = 1; i <= 6; i++) {
            const install = dependencyNames(pi.byName(`worker-${i}-k3s-install`));
            expect(install).toContain("control-k3s");
            expect(install.filter((d) => /^worker-\d/.test(d) && !d.startsWith(`worker-${i}-`))).toEqual([]);
        }
        expect(dependencyNames(pi.byName("worker-1-drain"))).not.toContain(expect.stringMatching(/uncordon/));
        for (let i = 2; i <= 6; i++) {
            expect(dependencyNames(pi.byName(`worker-${i}-drain`))).toContain(`worker-${i - 1}-uncordon`);
        }
    });

    it("drain and uncordon run on the server, the upgrade on the agent", () => {
        expect(pi.byName("worker-3-drain").inputs.connection.host).toBe("192.168.100.121");
        expect(pi.byName("worker-3-uncordon").inputs.connection.host).toBe("192.168.100.121");
        expect(pi.byName("worker-3-k3s-upgrade").inputs.connection.host).toBe("192.168.100.124");
        expect(scriptOf(pi.byName("worker-3-drain").inputs.create)).toContain("\nNODE_NAME='worker-3'\n");
    });

    it("first install is create-only; later changes converge through the upgrade chain", () => {
        expect(pi.byName("worker-1-k3s-install").opts.ignoreChanges).toEqual(["create", "stdin"]);
        expect(pi.byName("worker-1-k3s-upgrade").opts.ignoreChanges ?? []).toEqual([]);
    });

    it("a K3s version change re-runs the server, drain, upgrade and uncordon steps, and nothing else", async () => {
        const k3s = stackConfig("pi-cluster")["picluster:k3s"] as object;
        const upgraded = await runProgram("pi-cluster", { "picluster:k3s": { ...k3s, version: "v1.33.3+k3s1" } });
        const changed = pi
            .ofType("command:remote:Command")
            .filter((r) => r.inputs.create !== upgraded.byName(r.name).inputs.create)
            .map((r) => r.name.replace(/^worker-\d+-/, "worker-N-"));
        expect([...new Set(changed)].sort()).toEqual(
            ["control-k3s", "ingress-k3s-artifacts", "worker-N-drain", "worker-N-k3s-install", "worker-N-k3s-upgrade", "worker-N-uncordon"].sort(),
        );
    });

    it("put the database's host directory on the pinned node only, with no delete command", () => {
        expect(stepsOf(pi, "worker-1").has("data-dir")).toBe(true);
        expect(scriptOf(pi.byName("worker-1-data-dir").inputs.create)).toContain("\nDATA_DIR='/var/lib/picluster/postgres'\n");
        expect(pi.byName("worker-1-data-dir").inputs.delete).toBeUndefined();
        expect(stepsOf(pi, "worker-2").has("data-dir")).toBe(false);
        expect(stepsOf(pi, "control").has("data-dir")).toBe(false);
    });

    it("read the kubeconfig without logging and keep it secret", () => {
        const read = pi.byName("control-kubeconfig");
        expect(read.inputs.logging).toBe("none");
        expect(read.opts.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout"]));
        expect(scriptOf(read.inputs.create)).toContain("\nAPI_URL='https://192.168.100.121:6443'\n");
    });

    it("check K3s downloads against the sums the ingress verified, passed to them by the program", () => {
        const [k3s, install] = MOCK_ARTIFACT_SUMS.trim().split("\n").map((l) => l.split("=")[1]);
        for (const step of ["control-k3s", "worker-1-k3s-install", "worker-1-k3s-upgrade"]) {
            const create = pi.byName(step).inputs.create as string;
            // The value sits in quotes (themselves quoted for `bash -c`): skip them.
            const quoted = (name: string) => new RegExp(`${name}=\\W*([0-9a-f]{64})`).exec(create)?.[1];
            expect({ step, k3s: quoted("K3S_SHA256"), install: quoted("INSTALL_SHA256") }).toEqual({ step, k3s, install });
        }
    });

    it("pass the cluster token on standard input only, as a secret, never in command text", () => {
        const token = `${MOCK_SECRETS.randomPrefix}-control-token`;
        const holders = pi.ofType("command:remote:Command").filter((r) => JSON.stringify(r.inputs).includes(token));
        expect(holders.map((r) => r.name).sort()).toEqual(
            ["control-k3s", ...[1, 2, 3, 4, 5, 6].flatMap((i) => [`worker-${i}-k3s-install`, `worker-${i}-k3s-upgrade`])].sort(),
        );
        for (const r of holders) {
            expect({ step: r.name, stdin: r.inputs.stdin, secret: r.secretInputs.includes("stdin") }).toEqual({ step: r.name, stdin: `${token}\n`, secret: true });
            expect(r.inputs.create).toContain("IFS= read -r K3S_TOKEN");
        }
    });
});

describe.each(["pi-cluster", "dev"])("the %s stack's command texts", (stack) => {
    it("hold no secret value: config secrets and generated ones reach a node only on standard input", async () => {
        const run = await runProgram(stack, withPlatform(stack));
        const needles = [...Object.values(TEST_SECRETS).flatMap(secretNeedles), MOCK_SECRETS.randomPrefix, MOCK_SECRETS.tunnelToken];
        const commands = run.resources.filter((r) => r.type.startsWith("command:"));
        expect(commands.length).toBeGreaterThan(20);
        const leaks = commands.flatMap((r) =>
            ["create", "update", "delete", "environment", "triggers"].filter((k) => r.inputs[k] !== undefined && needles.some((n) => JSON.stringify(r.inputs[k]).includes(n))).map((k) => `${r.name}.${k}`),
        );
        expect(leaks).toEqual([]);
    });
});

describe("every step", () => {
    const undoable = ["prereqs", "dnsmasq", "ntp", "mirror", "registries", "airgap", "k3s", "k3s-install", "k3s-artifacts", "zerotier"];

    it("that changes a node has a delete command that undoes it", () => {
        for (const r of pi.ofType("command:remote:Command")) {
            const suffix = r.name.replace(/^(ingress|control|worker-\d+)-/, "");
            if (undoable.includes(suffix)) expect({ step: r.name, hasDelete: typeof r.inputs.delete === "string" }).toEqual({ step: r.name, hasDelete: true });
        }
        expect(pi.byName("control-k3s").inputs.delete).toContain("k3s-uninstall.sh");
        expect(pi.byName("worker-1-k3s-install").inputs.delete).toContain("k3s-agent-uninstall.sh");
        expect(pi.byName("ingress-dnsmasq").inputs.delete).toContain("/etc/dnsmasq.d/picluster.conf");
    });

    it("carries the hash of its script and inputs on its first line, and is a child of its node", () => {
        for (const r of pi.ofType("command:remote:Command")) {
            expect(r.inputs.create).toMatch(/^# picluster step sha256=[0-9a-f]{64}\n/);
            expect(["ingress", "control", ...[1, 2, 3, 4, 5, 6].map((i) => `worker-${i}`)]).toContain(r.parent);
        }
    });

    it("is unchanged when the program runs again with the same config (so `up` re-runs nothing)", async () => {
        const again = await runProgram("pi-cluster");
        for (const r of pi.ofType("command:remote:Command")) {
            expect(again.byName(r.name).inputs.create).toBe(r.inputs.create);
        }
    });

    it("adding a node changes only the node-list steps (dnsmasq leases) and adds the new node's own", async () => {
        const cfgNodes = stackConfig("dev")["picluster:nodes"] as object[];
        const grown = await runProgram("dev", {
            "picluster:nodes": [...cfgNodes, { name: "worker-3", role: "agent", mac: "02:50:69:64:00:7c", ip: "172.30.100.124", internet: false }],
        });
        const changed = dev.ofType("command:remote:Command").filter((r) => r.inputs.create !== grown.byName(r.name).inputs.create).map((r) => r.name);
        expect(changed).toEqual(["ingress-dnsmasq"]);
        const added = grown.ofType("command:remote:Command").filter((r) => !dev.resources.some((o) => o.name === r.name)).map((r) => r.name);
        expect(added.every((n) => n.startsWith("worker-3-"))).toBe(true);
        expect(added.length).toBeGreaterThan(5);
    });
});

describe("each node built alone, from its slice of the settings", () => {
    const K3S_NODE_KEYS = ["ingress", "server", "ssh", "network", "prereqs", "mirror", "k3s", "database"] as const;
    const INGRESS_KEYS = ["nodes", "ingress", "ssh", "network", "prereqs", "mirror", "ntp", "zerotier", "k3s"] as const;

    /** A node's commands as the engine would get them, by name: what the node runs and where. */
    const commandsOf = (run: ProgramRun, node: string) =>
        Object.fromEntries([...stepsOf(run, node)].map(([suffix, r]) => [suffix, { create: r.inputs.create, update: r.inputs.update, delete: r.inputs.delete, stdin: r.inputs.stdin, connection: r.inputs.connection }]));

    it("the ingress, a server and an agent given only their slices register exactly the steps they do inside the program", async () => {
        const settings = testSettings("pi-cluster");
        const hostKeys = pi.outputs.hostKeys as Record<string, string>;
        const privateKey = pulumi.secret(TEST_SECRETS["picluster:sshPrivateKey"]);
        const agent = settings.agents[0];
        const alone = await runComponents(() => {
            // Stand-ins for what the other nodes hand over: a finished ingress, a server's K3s step and token.
            const ingressReady = new pulumi.ComponentResource("test:index:Ready", "ingress-ready");
            const serverK3s = new pulumi.ComponentResource("test:index:Ready", "server-k3s");
            const artifactSums = parseArtifactSums(MOCK_ARTIFACT_SUMS);
            new IngressNode(settings.ingress.name, { settings: sliceOf(settings, INGRESS_KEYS), privateKey, hostKeys });
            const k3sSettings = sliceOf(settings, K3S_NODE_KEYS);
            new ServerNode(settings.server.name, { settings: k3sSettings, privateKey, hostKeys, ingressReady, artifactSums });
            new AgentNode(agent.name, { settings: k3sSettings, node: agent, privateKey, hostKeys, ingressReady, artifactSums, serverK3s, token: pulumi.secret(`${MOCK_SECRETS.randomPrefix}-control-token`) });
        });
        for (const node of [settings.ingress.name, settings.server.name, agent.name]) {
            expect(commandsOf(alone, node)).toEqual(commandsOf(pi, node));
        }
        expect(Object.keys(commandsOf(alone, agent.name)).sort()).toEqual(["airgap", "data-dir", "drain", "k3s-install", "k3s-upgrade", "ntp", "online", "prereqs", "registries", "uncordon"]);
    });
});
