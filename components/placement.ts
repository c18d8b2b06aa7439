/**
 * Where pods may run. Only some nodes reach the internet (FACTS: the ingress and the
 * control node, over Wi-Fi); the airgapped agents' firewall rejects pod egress. So a
 * pod that must reach the outside (OAuth2 Proxy to Google, cloudflared to Cloudflare)
 * is scheduled only on K3s nodes that have the internet. Pure decisions, no resources.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { NodeSpec } from "../schema/stack";

/** The K3s nodes (server and agents; the ingress runs no K3s) that reach the internet, in inventory order. */
export function internetK3sNodes(nodes: readonly Pick<NodeSpec, "name" | "role" | "internet">[]): string[] {
    return nodes.filter((n) => n.role !== "ingress" && n.internet).map((n) => n.name);
}

/** A required node affinity to exactly these nodes, by host name. */
export function onlyOnNodes(names: readonly string[]): k8s.types.input.core.v1.Affinity {
    if (names.length === 0) throw new Error("onlyOnNodes: expected at least one node name, got none");
    return {
        nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [...names] }] }],
            },
        },
    };
}
