/**
 * sudo npm run bench:cluster [-- --sizes 8,100,1000]
 *
 * What the local control plane (scripts/cluster.sh) costs and how it holds as the
 * cluster grows, as a Markdown report. On a cluster of its own (.cache/bench/cluster;
 * a running dev cluster is stopped first, its data kept):
 * - cold start (no data, no certificates) and warm start (data kept) to all nodes Ready;
 * - for each size: that many kwok nodes (a Pi 5's capacity each) and a Deployment with
 *   one pod per node; the time until all nodes and all pods are Ready, the API
 *   server's and etcd's resident memory, a `kubectl get pods -A` round trip, and
 *   `pulumi preview -s dev` against it (the Kubernetes provider's server-side dry
 *   run of the platform's 60-odd objects).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEV_CLUSTER, kwokNodes, LocalCluster } from "../harness/cluster";
import { ROOT } from "../harness/engine";
import { previewWithTestSecrets } from "../harness/preview";

const CLUSTER = new LocalCluster(path.join(ROOT, ".cache/bench/cluster"));
const NS = "bench";
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function rssMiB(daemon: string): number {
    const pid = fs.readFileSync(path.join(CLUSTER.dir, `${daemon}.pid`), "utf8").trim();
    const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
    return Math.round(kb / 1024);
}

function timed(f: () => void): number {
    const t = Date.now();
    f();
    return Date.now() - t;
}

/** Wait (bounded) until `done` holds, polling every half second. */
async function until(what: string, timeoutS: number, done: () => boolean): Promise<void> {
    const end = Date.now() + timeoutS * 1000;
    while (!done()) {
        if (Date.now() > end) throw new Error(`${what}: not done after ${timeoutS} s`);
        await new Promise((r) => setTimeout(r, 500));
    }
}

async function grow(n: number): Promise<string> {
    const nodes = kwokNodes(
        Array.from({ length: n }, (_, i) => ({ name: `bench-${i}`, role: "agent" as const, mac: "02:00:00:00:00:00", ip: "10.0.0.1", internet: false, labels: {} })),
        "arm64",
    );
    const start = Date.now();
    CLUSTER.kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: nodes }));
    const benchNodes = () => CLUSTER.items("nodes").filter((x) => x.metadata.name.startsWith("bench-"));
    const ready = (x: Record<string, any>) => (x.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");
    await until(`${n} nodes Ready`, 900, () => benchNodes().filter(ready).length >= n);
    const nodesMs = Date.now() - start;
    const podsStart = Date.now();
    CLUSTER.kubectl(["-n", NS, "scale", "deployment", "pause", `--replicas=${n}`]);
    await until(`${n} pods Ready`, 1800, () => (JSON.parse(CLUSTER.kubectl(["-n", NS, "get", "deployment", "pause", "-o", "json"])).status.readyReplicas ?? 0) >= n);
    const podsMs = Date.now() - podsStart;
    const listMs = timed(() => CLUSTER.kubectl(["get", "pods", "-A", "-o", "name"]));
    const preview = await previewWithTestSecrets("dev", { "picluster:cluster": { kubeconfig: { source: "file", path: CLUSTER.kubeconfig } } });
    if (preview.result.code !== 0) throw new Error(`preview against ${n} nodes failed:\n${preview.result.stderr}`);
    return `| ${n} | ${secs(nodesMs)} | ${secs(podsMs)} | ${rssMiB("kube-apiserver")} MiB | ${rssMiB("etcd")} MiB | ${secs(listMs)} | ${secs(preview.result.ms)} |`;
}

async function main(argv: string[]): Promise<void> {
    const i = argv.indexOf("--sizes");
    const sizes = (i >= 0 ? argv[i + 1] : "8,100,1000").split(",").map(Number);
    if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes: expected sizes like 8,100,1000, got ${argv[i + 1]}`);
    if (DEV_CLUSTER.running()) DEV_CLUSTER.down();
    const rows: string[] = [];
    try {
        CLUSTER.down(true);
        const cold = timed(() => CLUSTER.up("dev"));
        CLUSTER.down();
        const warm = timed(() => CLUSTER.up("dev"));
        rows.push(`| control plane, cold start (certificates, empty etcd) | ${secs(cold)} |`, `| control plane, warm start | ${secs(warm)} |`, "");
        CLUSTER.kubectl(["create", "namespace", NS]);
        CLUSTER.kubectl(["-n", NS, "create", "deployment", "pause", "--image=registry.k8s.io/pause:3.10", "--replicas=0"]);
        rows.push("| kwok nodes | nodes Ready | pods Ready (one per node) | kube-apiserver RSS | etcd RSS | `kubectl get pods -A` | `pulumi preview -s dev` |", "|---|---|---|---|---|---|---|");
        for (const n of sizes) rows.push(await grow(n));
    } finally {
        CLUSTER.down(true);
    }
    process.stdout.write(
        [`cluster benchmark: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`, "", "| what | time |", "|---|---|", ...rows, ""].join("\n"),
    );
}

main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 1;
});
