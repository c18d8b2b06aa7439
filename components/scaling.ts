/**
 * Scaling decisions, as pure functions: what a Deployment's `replicas` is, what
 * its containers request, and what HPA (if any) owns it.
 */
import * as k8s from "@pulumi/kubernetes";
import { HpaPolicy, Resources, ScalingPolicy } from "../config/schema";

type HpaSpec = k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerSpec;
type HpaRules = k8s.types.input.autoscaling.v2.HPAScalingRules;

/**
 * `spec.replicas` of the Deployment: the fixed count, or nothing when an HPA
 * owns it (setting it would fight the HPA on every `pulumi up`).
 */
export function deploymentReplicas(policy: ScalingPolicy): number | undefined {
    switch (policy.mode) {
        case "fixed":
            return policy.replicas;
        case "hpa":
            return undefined;
        default: {
            const never: never = policy;
            throw new Error(`unhandled scaling mode ${JSON.stringify(never)}`);
        }
    }
}

/** Container resources of the policy, without empty maps. */
export function containerResources(resources: Resources): { requests?: Record<string, string>; limits?: Record<string, string> } {
    const clean = (m: Record<string, string | undefined>) => {
        const entries = Object.entries(m).filter((e): e is [string, string] => e[1] !== undefined);
        return entries.length > 0 ? Object.fromEntries(entries) : undefined;
    };
    const requests = clean(resources.requests);
    const limits = clean(resources.limits);
    return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

function rules(r: NonNullable<NonNullable<HpaPolicy["behavior"]>["scaleUp"]> | undefined): HpaRules | undefined {
    if (r === undefined) return undefined;
    return {
        ...(r.stabilizationWindowSeconds !== undefined ? { stabilizationWindowSeconds: r.stabilizationWindowSeconds } : {}),
        ...(r.selectPolicy !== undefined ? { selectPolicy: r.selectPolicy } : {}),
        ...(r.policies !== undefined ? { policies: r.policies.map((p) => ({ ...p })) } : {}),
    };
}

/** The autoscaling/v2 HPA spec for a Deployment, or undefined for a fixed policy. */
export function hpaSpec(policy: ScalingPolicy, deploymentName: string): HpaSpec | undefined {
    if (policy.mode !== "hpa") return undefined;
    const scaleUp = rules(policy.behavior?.scaleUp);
    const scaleDown = rules(policy.behavior?.scaleDown);
    return {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deploymentName },
        minReplicas: policy.minReplicas,
        maxReplicas: policy.maxReplicas,
        metrics: [
            {
                type: "Resource",
                resource: { name: "cpu", target: { type: "Utilization", averageUtilization: policy.cpuTarget } },
            },
        ],
        ...(scaleUp || scaleDown ? { behavior: { ...(scaleUp ? { scaleUp } : {}), ...(scaleDown ? { scaleDown } : {}) } } : {}),
    };
}
