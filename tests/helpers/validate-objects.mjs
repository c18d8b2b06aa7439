// Validates Kubernetes objects against the Kubernetes OpenAPI schema
// (kubernetes-models) and Traefik's CRD schema. The model packages are ES
// modules only, so tests run this file in a child Node process.
// stdin: JSON [{ type, name, object }]; stdout: JSON [{ name, error }].
import { readFileSync } from "node:fs";

const MODELS = {
    "kubernetes:core/v1:Namespace": ["kubernetes-models/v1", "Namespace"],
    "kubernetes:core/v1:ConfigMap": ["kubernetes-models/v1", "ConfigMap"],
    "kubernetes:core/v1:Secret": ["kubernetes-models/v1", "Secret"],
    "kubernetes:core/v1:Service": ["kubernetes-models/v1", "Service"],
    "kubernetes:core/v1:PersistentVolume": ["kubernetes-models/v1", "PersistentVolume"],
    "kubernetes:core/v1:PersistentVolumeClaim": ["kubernetes-models/v1", "PersistentVolumeClaim"],
    "kubernetes:apps/v1:Deployment": ["kubernetes-models/apps/v1", "Deployment"],
    "kubernetes:apps/v1:StatefulSet": ["kubernetes-models/apps/v1", "StatefulSet"],
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": ["kubernetes-models/autoscaling/v2", "HorizontalPodAutoscaler"],
    "kubernetes:networking.k8s.io/v1:Ingress": ["kubernetes-models/networking.k8s.io/v1", "Ingress"],
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": ["kubernetes-models/networking.k8s.io/v1", "NetworkPolicy"],
    "kubernetes:policy/v1:PodDisruptionBudget": ["kubernetes-models/policy/v1", "PodDisruptionBudget"],
    "kubernetes:scheduling.k8s.io/v1:PriorityClass": ["kubernetes-models/scheduling.k8s.io/v1", "PriorityClass"],
    "kubernetes:storage.k8s.io/v1:StorageClass": ["kubernetes-models/storage.k8s.io/v1", "StorageClass"],
    "kubernetes:traefik.io/v1alpha1:Middleware": ["@kubernetes-models/traefik/traefik.io/v1alpha1", "Middleware"],
};

const input = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const { type, name, object } of input) {
    const entry = MODELS[type];
    if (!entry) {
        results.push({ name, error: `no schema registered for ${type}: add it to tests/helpers/validate-objects.mjs` });
        continue;
    }
    const mod = await import(entry[0]);
    try {
        new mod[entry[1]](object).validate();
    } catch (e) {
        results.push({ name, error: `${type} ${name} is invalid: ${e.message}` });
    }
}
process.stdout.write(JSON.stringify(results));
