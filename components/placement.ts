/**
 * Where pods may run. Only some nodes reach the internet (FACTS: the ingress and the
 * control node, over Wi-Fi); the airgapped agents' firewall rejects pod egress. So a
 * pod that must reach the outside (OAuth2 Proxy to Google, cloudflared to Cloudflare)
 * is scheduled only on K3s nodes that have the internet (lib/inventory.ts says which).
 * Pure decisions, no resources.
 */
import type * as k8s from "@pulumi/kubernetes";

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
