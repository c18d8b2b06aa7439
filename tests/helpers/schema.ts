/**
 * Validation of registered Kubernetes objects against the Kubernetes OpenAPI
 * schema (kubernetes-models) and Traefik's CRD schema.
 */
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { PriorityClass } from "kubernetes-models/scheduling.k8s.io/v1";
import { StorageClass } from "kubernetes-models/storage.k8s.io/v1";
import { ConfigMap, Namespace, PersistentVolume, PersistentVolumeClaim, Secret, Service } from "kubernetes-models/v1";
import { Middleware } from "@kubernetes-models/traefik/traefik.io/v1alpha1";
import { Registered } from "./program";

type Model = new (data: any) => { validate(): void };

export const SCHEMAS: Readonly<Record<string, Model>> = {
    "kubernetes:core/v1:Namespace": Namespace,
    "kubernetes:core/v1:ConfigMap": ConfigMap,
    "kubernetes:core/v1:Secret": Secret,
    "kubernetes:core/v1:Service": Service,
    "kubernetes:core/v1:PersistentVolume": PersistentVolume,
    "kubernetes:core/v1:PersistentVolumeClaim": PersistentVolumeClaim,
    "kubernetes:apps/v1:Deployment": Deployment,
    "kubernetes:apps/v1:StatefulSet": StatefulSet,
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": HorizontalPodAutoscaler,
    "kubernetes:networking.k8s.io/v1:Ingress": Ingress,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": NetworkPolicy,
    "kubernetes:policy/v1:PodDisruptionBudget": PodDisruptionBudget,
    "kubernetes:scheduling.k8s.io/v1:PriorityClass": PriorityClass,
    "kubernetes:storage.k8s.io/v1:StorageClass": StorageClass,
    "kubernetes:traefik.io/v1alpha1:Middleware": Middleware,
};

/** Kubernetes resources that are not API objects of their own. */
const NOT_OBJECTS = new Set(["kubernetes:helm.sh/v3:Release"]);

export function isKubernetesObject(r: Registered): boolean {
    return r.type.startsWith("kubernetes:") && !NOT_OBJECTS.has(r.type);
}

/** Throws, naming the resource, when the object does not match its schema. */
export function validateObject(r: Registered): void {
    const Model = SCHEMAS[r.type];
    if (!Model) throw new Error(`no schema registered for ${r.type} (${r.name}): add it to tests/helpers/schema.ts`);
    try {
        new Model(r.inputs).validate();
    } catch (e) {
        throw new Error(`${r.type} ${r.name} is invalid: ${(e as Error).message}`);
    }
}
