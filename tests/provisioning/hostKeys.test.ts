import { HOST_KEYS_ONLY_ENV, hostKeyFromSeed, hostKeyUrns, seedName } from "../../provisioning/hostKeys";
import { isSecret, mockSeed, ProgramRun, runProgram, stackConfig } from "../helpers/program";

const PI_NODES = ["ingress", "control", "worker-1", "worker-2", "worker-3", "worker-4", "worker-5", "worker-6"];
const keyOf = (node: string) => hostKeyFromSeed(mockSeed(`host-keys-${node}`), node).publicLine;

let pi: ProgramRun;
beforeAll(async () => {
    pi = await runProgram("pi-cluster");
});

describe("HostKeys", () => {
    it("generates a seed per node the config pins no key for, under one component: a RandomPassword, whose id is no secret", () => {
        const seeds = pi.ofType("random:index/randomPassword:RandomPassword").filter((r) => r.parentType === "picluster:provisioning:HostKeys");
        expect(seeds.map((r) => r.name).sort()).toEqual(PI_NODES.map((n) => `host-keys-${n}`).sort());
        for (const s of seeds) expect(s.inputs).toEqual({ length: 64, special: false });
        // Not a RandomBytes: the random provider makes its base64 value the resource id, kept in plain text in the state.
        expect(pi.ofType("random:index/randomBytes:RandomBytes").filter((r) => r.parentType === "picluster:provisioning:HostKeys")).toEqual([]);
        expect(pi.byName("host-keys").type).toBe("picluster:provisioning:HostKeys");
    });

    it("pins each node's generated public key on every dial to it, and the ingress's on the jump hop", () => {
        const byHost = new Map((stackConfig("pi-cluster")["picluster:nodes"] as { name: string; ip: string }[]).map((n) => [n.ip, n.name]));
        const commands = pi.ofType("command:remote:Command");
        expect(commands.length).toBeGreaterThan(40);
        for (const c of commands) {
            const conn = c.inputs.connection;
            expect({ step: c.name, hostKey: conn.hostKey }).toEqual({ step: c.name, hostKey: keyOf(byHost.get(conn.host)!) });
            if (conn.proxy) expect({ step: c.name, proxyKey: conn.proxy.hostKey }).toEqual({ step: c.name, proxyKey: keyOf("ingress") });
        }
    });

    it("pins the public half in the clear (not a secret), and exports it for the operator's known_hosts", async () => {
        const c = pi.byName("worker-3-prereqs");
        expect(c.inputs.connection.hostKey).toBe(keyOf("worker-3"));
        expect(pi.outputs.hostKeys).toEqual(Object.fromEntries(PI_NODES.map((n) => [n, keyOf(n)])));
        expect(await isSecret(pi.rawOutputs.hostKeys as any)).toBe(false);
    });

    it("keeps a key the config pins, and makes no seed for that node", async () => {
        const nodes = (stackConfig("pi-cluster")["picluster:nodes"] as Record<string, unknown>[]).map((n) => ({ ...n }));
        const pinned = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGOJZqtzcF8AWKfbgYm0jTRNjSLd/5aRPRyIdIdJc/1l";
        nodes[1].hostKey = pinned;
        const run = await runProgram("pi-cluster", { "picluster:nodes": nodes });
        expect(run.byName("control-k3s").inputs.connection.hostKey).toBe(pinned);
        expect(run.resources.some((r) => r.name === "host-keys-control")).toBe(false);
        expect(run.byName("worker-1-prereqs").inputs.connection.hostKey).toBe(keyOf("worker-1"));
    });

    it("names the seeds' URNs as the engine does, so the bootstrap can create exactly them", () => {
        const dependencyUrns = new Set(pi.resources.flatMap((r) => r.opts.dependsOn ?? []));
        const urns = hostKeyUrns("pi-cluster", "picluster", "host-keys", ["control", "worker-6"]);
        expect(urns[0]).toBe("urn:pulumi:pi-cluster::picluster::picluster:provisioning:HostKeys::host-keys");
        for (const urn of urns.slice(1)) expect(dependencyUrns).toContain(urn);
        expect(seedName("host-keys", "worker-6")).toBe("host-keys-worker-6");
    });

    it("derives the key pair from the seed as the state stores it, one pair per seed", () => {
        const pair = hostKeyFromSeed(mockSeed("host-keys-ingress"), "ingress");
        expect(pair.publicLine).toBe(keyOf("ingress"));
        expect(pair.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
        expect(hostKeyFromSeed("a".repeat(64), "x").publicLine).not.toBe(hostKeyFromSeed("b".repeat(64), "x").publicLine);
        expect(hostKeyFromSeed("a".repeat(64), "x")).toEqual(hostKeyFromSeed("a".repeat(64), "x"));
    });
});

describe("the host-keys-only program (npm run bootstrap's targeted up)", () => {
    afterEach(() => {
        delete process.env[HOST_KEYS_ONLY_ENV];
    });

    it("registers only the HostKeys component and its seeds, and exports the keys", async () => {
        process.env[HOST_KEYS_ONLY_ENV] = "1";
        const run = await runProgram("pi-cluster");
        expect(run.resources.map((r) => r.type).filter((t) => t !== "pulumi:providers:random").sort()).toEqual(
            ["picluster:provisioning:HostKeys", ...PI_NODES.map(() => "random:index/randomPassword:RandomPassword")].sort(),
        );
        expect(run.outputs).toEqual({ hostKeys: Object.fromEntries(PI_NODES.map((n) => [n, keyOf(n)])) });
    });

    it("still validates the whole config first", async () => {
        process.env[HOST_KEYS_ONLY_ENV] = "1";
        await expect(runProgram("pi-cluster", { "picluster:wifiPassword": "short" })).rejects.toThrow("picluster:wifiPassword: expected a WPA passphrase");
    });

    it("is off unless set to 1: the full program runs", async () => {
        process.env[HOST_KEYS_ONLY_ENV] = "yes";
        const run = await runProgram("dev");
        expect(run.ofType("command:remote:Command").length).toBeGreaterThan(20);
    });
});
