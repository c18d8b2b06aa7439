/**
 * What Kubernetes' HPA controller must do for a policy (the algorithm of
 * pkg/controller/podautoscaler, autoscaling/v2 semantics), as pure functions that
 * the end-to-end suite and the benchmark hold an observed replica timeline against.
 */
import type { HpaPolicy } from "../config/schema";

/** The controller's default tolerance: no scaling while |usage/target - 1| <= 0.1. */
export const HPA_TOLERANCE = 0.1;

/** Kubernetes' defaults for a behavior the policy leaves out. */
const DEFAULT_SCALE_UP = { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }] };
const DEFAULT_SCALE_DOWN = { stabilizationWindowSeconds: 300, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] };

type Rules = NonNullable<NonNullable<HpaPolicy["behavior"]>["scaleUp"]>;
export type ResolvedRules = { stabilizationWindowSeconds: number; selectPolicy: string; policies: { type: string; value: number; periodSeconds: number }[] };

function resolve(rules: Rules | undefined, defaults: ResolvedRules): ResolvedRules {
    return {
        stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
        selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
        policies: (rules?.policies ?? defaults.policies).map((p) => ({ ...p })),
    };
}

export function scaleUpRules(policy: HpaPolicy): ResolvedRules {
    return resolve(policy.behavior?.scaleUp, DEFAULT_SCALE_UP);
}

export function scaleDownRules(policy: HpaPolicy): ResolvedRules {
    return resolve(policy.behavior?.scaleDown, DEFAULT_SCALE_DOWN);
}

/** desired = ceil(current × usage / target), unchanged within the tolerance. */
export function rawDesired(current: number, usagePercent: number, targetPercent: number): number {
    const ratio = usagePercent / targetPercent;
    if (Math.abs(ratio - 1) <= HPA_TOLERANCE) return current;
    return Math.ceil(current * ratio);
}

/**
 * Where the HPA settles for a total CPU demand spread evenly over the pods: the
 * smallest count whose per-pod utilisation is within target (and the tolerance),
 * clamped to the policy's bounds.
 */
export function settledReplicas(policy: HpaPolicy, totalMillicores: number, requestMillicores: number): number {
    let n = Math.max(1, policy.minReplicas);
    while (n < policy.maxReplicas && rawDesired(n, (100 * totalMillicores) / n / requestMillicores, policy.cpuTarget) > n) n++;
    return Math.min(policy.maxReplicas, Math.max(policy.minReplicas, n));
}

/** Most replicas the scale-up rules allow at the end of a period that started at `start`. */
export function scaleUpLimit(rules: ResolvedRules, start: number): number {
    const limits = rules.policies.map((p) => (p.type === "Pods" ? start + p.value : Math.ceil(start * (1 + p.value / 100))));
    if (rules.selectPolicy === "Disabled") return start;
    return rules.selectPolicy === "Min" ? Math.min(...limits) : Math.max(...limits);
}

export interface ReplicaSample {
    /** Seconds since the timeline began. */
    readonly t: number;
    /** The Deployment's `spec.replicas`, as the HPA set it. */
    readonly replicas: number;
}

/**
 * Scale-ups faster than the policy allows: for each sample, the replicas one
 * period earlier (the first sample at or after t - period; under a rising count
 * that is at least the controller's own period start) bound how many it may add.
 */
export function scaleUpViolations(samples: readonly ReplicaSample[], rules: ResolvedRules): string[] {
    const period = Math.max(...rules.policies.map((p) => p.periodSeconds));
    const problems: string[] = [];
    for (const s of samples) {
        const earlier = samples.find((e) => e.t >= s.t - period);
        if (earlier === undefined || earlier === s) continue;
        const limit = scaleUpLimit(rules, earlier.replicas);
        if (s.replicas > limit) problems.push(`t=${s.t.toFixed(0)}s: ${s.replicas} replicas, but ${period}s earlier there were ${earlier.replicas} and the policy allows at most ${limit}`);
    }
    return problems;
}

/** The first sample at or after `from` with at least `replicas`, or undefined. */
export function firstReaching(samples: readonly ReplicaSample[], replicas: number, from = 0): ReplicaSample | undefined {
    return samples.find((s) => s.t >= from && s.replicas >= replicas);
}
