/**
 * The local control plane (scripts/cluster.sh): which simulated nodes kwok plays,
 * and the cluster as scripts and tests drive it.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { k3sSchema, nodeSchema } from "../config/schema";
import { lastLines, ROOT } from "./engine";

/** Where `npm run cluster:up` keeps the dev cluster; its kubeconfig is what the dev stack's `cluster.kubeconfig` names. */
export const CLUSTER_DIR = path.join(ROOT, ".cache/cluster");

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
    return { nodes, arch: k3sSchema.shape.arch.parse(k3s.arch) };
}

/**
 * A local control plane run by scripts/cluster.sh from its own directory (data,
 * certificates, kubeconfig, logs). Only one runs at a time: they share the loopback
 * ports and the advertised address. The dev stack's is `DEV_CLUSTER`; the e2e suite
 * runs its own, so the user's cluster data is never touched.
 */
export class LocalCluster {
    constructor(public readonly dir: string) {}

    get kubeconfig(): string {
        return path.join(this.dir, "kubeconfig");
    }

    private script(args: readonly string[]): void {
        const r = spawnSync("bash", [path.join(ROOT, "scripts/cluster.sh"), ...args], {
            encoding: "utf8",
            timeout: 900_000,
            env: { ...process.env, PICLUSTER_CLUSTER_DIR: this.dir },
        });
        if (r.status !== 0) throw new Error(`scripts/cluster.sh ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    }

    /** `npm run cluster:up` for a stack's inventory (idempotent). */
    up(stack = "dev"): void {
        this.script(["up", stack]);
    }

    /** `npm run cluster:down`; `purge` also deletes its data and certificates. */
    down(purge = false): void {
        this.script(purge ? ["down", "--purge"] : ["down"]);
    }

    /** Whether its API server process runs. */
    running(): boolean {
        return pidAlive(path.join(this.dir, "kube-apiserver.pid"));
    }

    /**
     * What to look at when a deploy to this cluster failed: each component (every
     * `NAME.pid` of scripts/cluster.sh), whether it still runs, and the last `lines`
     * lines of its log.
     */
    status(lines = 8): string {
        if (!fs.existsSync(this.dir)) return `no cluster in ${this.dir}`;
        return fs
            .readdirSync(this.dir)
            .filter((f) => f.endsWith(".pid"))
            .sort()
            .map((f) => {
                const name = f.slice(0, -".pid".length);
                const log = path.join(this.dir, `${name}.log`);
                const tail = fs.existsSync(log) ? lastLines(fs.readFileSync(log, "utf8"), lines) : "(no log)";
                return `${name}: ${pidAlive(path.join(this.dir, f)) ? "running" : "NOT RUNNING"}\n${tail.replace(/^/gm, "    ")}`;
            })
            .join("\n");
    }

    /** kubectl (built by scripts/tools.sh) against this cluster; throws with its stderr. */
    kubectl(args: readonly string[], input?: string): string {
        return execFileSync(path.join(ROOT, ".tools/bin/kubectl"), ["--kubeconfig", this.kubeconfig, "--request-timeout=30s", ...args], {
            encoding: "utf8",
            input,
            stdio: ["pipe", "pipe", "pipe"],
            timeout: 60_000,
            // A thousand nodes as JSON run to megabytes.
            maxBuffer: 512 * 1024 * 1024,
        });
    }

    /** `kubectl get -o json` of one kind (all namespaces unless one is named), as its items. */
    items<T = Record<string, any>>(kind: string, namespace?: string): T[] {
        const ns = namespace === undefined ? ["--all-namespaces"] : ["-n", namespace];
        return (JSON.parse(this.kubectl(["get", kind, ...ns, "-o", "json"])) as { items: T[] }).items;
    }
}

/** Whether the process a pid file names runs. */
function pidAlive(pidFile: string): boolean {
    try {
        process.kill(Number(fs.readFileSync(pidFile, "utf8")), 0);
        return true;
    } catch {
        return false;
    }
}

/** The dev stack's local control plane (`npm run cluster:up`). */
export const DEV_CLUSTER = new LocalCluster(CLUSTER_DIR);
