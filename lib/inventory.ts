import type { NodeSpec } from "../config/schema";

/** The K3s nodes (server and agents; the ingress runs no K3s) that reach the internet, in inventory order. */
export function internetK3sNodes(nodes: readonly Pick<NodeSpec, "name" | "role" | "internet">[]): string[] {
    return nodes.filter((n) => n.role !== "ingress" && n.internet).map((n) => n.name);
}
