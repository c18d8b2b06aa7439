import * as fs from "fs";
import * as path from "path";
import { clusterInventory, kwokNodes, LocalCluster, PI5_CAPACITY } from "../../harness/cluster";
import { scratchDir } from "../helpers/tmp";
import { readStackFile } from "../../config/stackFile";

describe("kwokNodes", () => {
    const { nodes, arch } = clusterInventory(readStackFile("dev").config);

    it("plays one node per K3s node of the dev inventory, not the ingress", () => {
        const names = kwokNodes(nodes, arch).map((n) => (n as { metadata: { name: string } }).metadata.name);
        expect(names).toEqual(nodes.filter((n) => n.role !== "ingress").map((n) => n.name));
        expect(names).not.toContain("ingress");
    });

    it("carries the labels K3s sets and the inventory's own, with a Pi 5's capacity", () => {
        const withLabels = nodes.map((n) => (n.name === "worker-2" ? { ...n, labels: { "picluster.dev/disk": "ssd" } } : n));
        const byName = new Map(kwokNodes(withLabels, "arm64").map((n) => [(n as { metadata: { name: string } }).metadata.name, n as Record<string, any>]));
        expect(byName.get("control")!.metadata.labels).toMatchObject({
            "kubernetes.io/hostname": "control",
            "kubernetes.io/arch": "arm64",
            "node-role.kubernetes.io/control-plane": "true",
        });
        expect(byName.get("worker-2")!.metadata.labels).toEqual({
            "picluster.dev/disk": "ssd",
            "kubernetes.io/hostname": "worker-2",
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "arm64",
        });
        expect(byName.get("worker-2")!.status.capacity).toEqual(PI5_CAPACITY);
        expect(byName.get("worker-2")!.metadata.annotations).toMatchObject({
            "kwok.x-k8s.io/node": "fake",
            "metrics.k8s.io/resource-metrics-path": "/metrics/nodes/worker-2/metrics/resource",
        });
    });

    it("refuses an inventory that is not one", () => {
        expect(() => clusterInventory({ "picluster:nodes": [{ name: "x" }] })).toThrow(/role/);
    });
});

describe("LocalCluster.status", () => {
    it("names each component, whether its process runs, and the end of its log", () => {
        const dir = scratchDir("cluster");
        fs.writeFileSync(path.join(dir, "kube-apiserver.pid"), String(process.pid)); // this process: alive
        fs.writeFileSync(path.join(dir, "kube-apiserver.log"), Array.from({ length: 20 }, (_, i) => `apiserver line ${i}`).join("\n") + "\n");
        fs.writeFileSync(path.join(dir, "kwok.pid"), "2147483646"); // no such process
        fs.writeFileSync(path.join(dir, "kwok.log"), "E1201 06:00:00 kwok: lost its lease\n");
        fs.writeFileSync(path.join(dir, "traefik.pid"), String(process.pid));
        const report = new LocalCluster(dir).status(2).split("\n");
        expect(report).toEqual([
            "kube-apiserver: running",
            "    apiserver line 18",
            "    apiserver line 19",
            "kwok: NOT RUNNING",
            "    E1201 06:00:00 kwok: lost its lease",
            "traefik: running",
            "    (no log)",
        ]);
    });

    it("says so when the cluster was never started", () => {
        expect(new LocalCluster("/nonexistent/cluster").status()).toBe("no cluster in /nonexistent/cluster");
    });
});
