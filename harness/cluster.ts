/**
 * The local control plane (scripts/cluster.sh): which simulated nodes kwok plays,
 * and a kubectl bound to the cluster's admin kubeconfig for scripts and tests.
 */
import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { z } from "zod";
import { nodeSchema } from "../schema/stack";
import { ROOT } from "./engine";

/** What `npm run cluster:up` writes and the dev stack's `cluster.kubeconfig` names. */
export const CLUSTER_DIR = path.join(ROOT, ".cache/cluster");
export const CLUSTER_KUBECONFIG = path.join(CLUSTER_DIR, "kubeconfig");

/** A Raspberry Pi 5 (8 GB) as the scheduler sees it; 110 pods is K3s's default. */
export const PI5_CAPACITY = { cpu: "4", memory: "8Gi", pods: "110", "ephemeral-storage": "64Gi" } as const;

type InventoryNode = z.infer<typeof nodeSchema>;

/**
 * The Node objects kwok plays for a stack's inventory: one per K3s node (the ingress
 * runs no K3s), with the name, the labels K3s sets (hostname, OS, architecture, the
 * server's roles) plus the inventory's own, and a Pi 5's capacity. Addresses are left
 * to kwok, so that metrics-server reaches kwok's kubelet endpoints.
 */
export function kwokNodes(nodes: readonly InventoryNode[], arch: string): object[] {
    return nodes
        .filter((n) => n.role !== "ingress")
        .map((n) => ({
            apiVersion: "v1",
            kind: "Node",
            metadata: {
                name: n.name,
                labels: {
                    ...n.labels,
                    "kubernetes.io/hostname": n.name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": arch,
                    ...(n.role === "server" ? { "node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true" } : {}),
                },
                annotations: {
                    "kwok.x-k8s.io/node": "fake",
                    "node.alpha.kubernetes.io/ttl": "0",
                    // Where metrics-server reads this node's resource metrics on kwok's endpoint.
                    "metrics.k8s.io/resource-metrics-path": `/metrics/nodes/${n.name}/metrics/resource`,
                },
            },
            status: { capacity: PI5_CAPACITY, allocatable: PI5_CAPACITY },
        }));
}

/** The inventory of a stack file's config (only the keys the cluster needs), validated. */
export function clusterInventory(config: Record<string, unknown>): { nodes: InventoryNode[]; arch: string } {
    const nodes = z.array(nodeSchema).parse(config["picluster:nodes"]);
    const k3s = (config["picluster:k3s"] ?? {}) as { arch?: string };
    return { nodes, arch: k3s.arch ?? "arm64" };
}

/** kubectl (built by scripts/tools.sh) against the local cluster; throws with its stderr. */
export function kubectl(args: readonly string[], input?: string): string {
    return execFileSync(path.join(ROOT, ".tools/bin/kubectl"), ["--kubeconfig", CLUSTER_KUBECONFIG, "--request-timeout=30s", ...args], {
        encoding: "utf8",
        input,
        stdio: ["pipe", "pipe", "pipe"],
        timeout: 60_000,
    });
}

/** scripts/cluster.sh, failing with its output. */
function clusterScript(args: readonly string[]): void {
    const r = spawnSync("bash", [path.join(ROOT, "scripts/cluster.sh"), ...args], { encoding: "utf8", timeout: 900_000 });
    if (r.status !== 0) throw new Error(`scripts/cluster.sh ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
}

/** `npm run cluster:up` for a stack's inventory (idempotent). */
export function clusterUp(stack = "dev"): void {
    clusterScript(["up", stack]);
}

/** `npm run cluster:down`; `purge` also deletes the cluster's data and certificates. */
export function clusterDown(purge = false): void {
    clusterScript(purge ? ["down", "--purge"] : ["down"]);
}

/** `kubectl get -o json` of one kind, as its items. */
export function kubeItems<T = Record<string, any>>(kind: string, namespace?: string): T[] {
    const ns = namespace === undefined ? ["--all-namespaces"] : ["-n", namespace];
    return (JSON.parse(kubectl(["get", kind, ...ns, "-o", "json"])) as { items: T[] }).items;
}
