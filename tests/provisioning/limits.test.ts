/**
 * The config limits keep every step's command text below what the kernel accepts
 * as one argument (MAX_ARG_STRLEN, 128 KiB: the command reaches the node as
 * `sh -c <command>`). GIVEN the largest config the limits allow, THEN every
 * command renders well below it; one item more is refused with the key named.
 */
import { LIMITS } from "../../config/schema";
import { runProgram, stackConfig, testConfig } from "../helpers/program";
import { parseStackConfig, ConfigError } from "../../config/validate";

const MAX_ARG_STRLEN = 128 * 1024;
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAw5b9D6CDjnREiV8l/qwTNZ6nl/aEYilsxJeiQ3n88e";
const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** The pi-cluster stack stretched to every limit. */
function largest(): Record<string, unknown> {
    const base = stackConfig("pi-cluster");
    const nodes = Array.from({ length: LIMITS.nodes }, (_, i) => ({
        name: i === 0 ? "ingress" : i === 1 ? "control" : `worker-${String(i).padStart(3, "0")}`,
        role: i === 0 ? "ingress" : i === 1 ? "server" : "agent",
        mac: `2c:cf:67:00:${hex2(i >> 8)}:${hex2(i & 0xff)}`,
        ip: `10.20.${i >> 8}.${(i & 0xff) + (i >> 8 === 0 ? 2 : 0)}`,
        internet: i < 2,
        hostKey: KEY,
        labels: Object.fromEntries(Array.from({ length: LIMITS.labelsPerNode }, (_, j) => [`${"p".repeat(60)}.example.org/${"k".repeat(60)}${hex2(j)}`, "v".repeat(63)])),
    }));
    const url = (n: number) => `http://${"u".repeat(480)}.example.org:${5000 + n}/v2`;
    return {
        ...base,
        "picluster:nodes": nodes,
        "picluster:network": { subnet: "10.20.0.0/16", dhcpRange: { start: "10.20.255.200", end: "10.20.255.250" }, domain: "picluster.lan", upstreamDns: Array.from({ length: LIMITS.upstreamDns }, (_, i) => `9.9.9.${i + 1}`), interface: "eth0" },
        "picluster:k3s": { ...(base["picluster:k3s"] as object), serverArgs: Array.from({ length: LIMITS.serverArgs }, (_, i) => `--kube-apiserver-arg=x${i}=${"a".repeat(220)}`) },
        "picluster:mirror": { upstreams: Array.from({ length: LIMITS.mirrors }, (_, i) => ({ registry: `r${i}.${"m".repeat(60)}.example.org`, url: url(i), port: 5000 + i })) },
        "picluster:ntp": { upstreamServers: Array.from({ length: LIMITS.ntpServers }, (_, i) => `${"n".repeat(60)}.${"t".repeat(60)}.${"p".repeat(60)}.ntp${i}.org`) },
        "picluster:database": { ...(base["picluster:database"] as object), node: "worker-002" },
        "picluster:prereqs": { cgroupFlags: Array.from({ length: LIMITS.cgroupFlags }, (_, i) => `cgroup_enable=${"c".repeat(40)}${i}`) },
    };
}

describe("command size", () => {
    it("GIVEN the largest config the limits allow, THEN every step's command stays far below the kernel's 128 KiB", async () => {
        const run = await runProgram("pi-cluster", largest());
        const sizes = run
            .ofType("command:remote:Command")
            .flatMap((r) => ["create", "delete"].filter((k) => typeof r.inputs[k] === "string").map((k) => ({ step: `${r.name}.${k}`, bytes: Buffer.byteLength(r.inputs[k] as string) })));
        expect(sizes.length).toBeGreaterThan(LIMITS.nodes * 5);
        const biggest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
        expect({ ...biggest, underTwoThirds: biggest.bytes < (MAX_ARG_STRLEN * 2) / 3 }).toEqual({ ...biggest, underTwoThirds: true });
    }, 300_000);

    it.each<[string, (v: Record<string, any>) => void, string]>([
        ["one node too many", (v) => v["picluster:nodes"].push({ ...v["picluster:nodes"][2], name: "worker-x", mac: "2c:cf:67:00:0f:ff", ip: "10.20.15.1" }), `picluster:nodes: expected a list of <= ${LIMITS.nodes} items`],
        ["one server flag too many", (v) => v["picluster:k3s"].serverArgs.push("--debug"), `picluster:k3s.serverArgs: expected a list of <= ${LIMITS.serverArgs} items`],
        ["one mirror too many", (v) => v["picluster:mirror"].upstreams.push({ registry: "x.org", url: "http://x.org", port: 6000 }), `picluster:mirror.upstreams: expected a list of <= ${LIMITS.mirrors} items`],
        ["a server flag too long", (v) => (v["picluster:k3s"].serverArgs[0] = `--kube-apiserver-arg=${"a".repeat(300)}`), "picluster:k3s.serverArgs[0]: expected a value <= 256"],
        ["a server flag with a quote", (v) => (v["picluster:k3s"].serverArgs[0] = "--node-label=a'b"), "picluster:k3s.serverArgs[0]: expected '--flag' or '--flag=value' (no quotes, backslashes or line breaks)"],
        ["too many labels", (v) => (v["picluster:nodes"][2].labels.extra = "1"), `picluster:nodes[2].labels: expected at most ${LIMITS.labelsPerNode} labels`],
    ])("refuses %s, naming the key", (_, grow, message) => {
        const values = { ...testConfig("pi-cluster").values, ...largest() } as Record<string, any>;
        grow(values);
        let problems: readonly string[] = [];
        try {
            parseStackConfig({ values, secretKeys: new Set(testConfig("pi-cluster").secretKeys) });
        } catch (e) {
            if (!(e instanceof ConfigError)) throw e;
            problems = e.problems;
        }
        expect(problems).toContainEqual(expect.stringContaining(message));
    });
});
