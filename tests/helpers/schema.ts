/**
 * Validation of registered Kubernetes objects against the Kubernetes OpenAPI
 * schema (kubernetes-models) and Traefik's CRD schema, in a child Node process
 * because those model packages are ES modules only.
 */
import * as path from "path";
import { execFileSync } from "child_process";
import { Registered } from "./program";

/** Kubernetes resources that are not API objects of their own. */
const NOT_OBJECTS = new Set(["kubernetes:helm.sh/v3:Release", "pulumi:providers:kubernetes"]);

export function isKubernetesObject(r: Registered): boolean {
    return r.type.startsWith("kubernetes:") && !NOT_OBJECTS.has(r.type);
}

/** Validate objects; returns one message per invalid object (empty when all are valid). */
export function schemaErrors(objects: readonly Registered[]): string[] {
    const input = JSON.stringify(objects.map((r) => ({ type: r.type, name: r.name, object: r.inputs })));
    const out = execFileSync(process.execPath, [path.join(__dirname, "validate-objects.mjs")], { input, encoding: "utf8", cwd: path.join(__dirname, "../..") });
    return (JSON.parse(out) as { name: string; error: string }[]).map((r) => r.error);
}
