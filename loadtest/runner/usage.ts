/**
 * `--usage simulated`: the load played as CPU on a cluster whose pods run
 * nothing (the local control plane's kwok nodes). The profile's arrival rate,
 * times what a request costs each Deployment (profiles.yaml `simulatedUsage`),
 * is spread over that Deployment's serving pods through kwok's
 * `kwok.x-k8s.io/usage-cpu` annotation; kwok serves it as kubelet metrics,
 * metrics-server collects it and the real HPA controller acts on it.
 *
 * The decisions (rate at a moment, CPU per pod) are pure functions; the driver
 * only reads pods and patches annotations.
 */
import * as fs from "fs";
import { Endpoint, SimulatedUsage } from "../profiles";
import { LoadPlan } from "../plan";
import { KubeClient, PodInfo } from "./kube";

/** The annotation kwok's usage-from-annotation reads (scripts/tools.sh puts it in kwok.yaml). */
export const USAGE_CPU_ANNOTATION = "kwok.x-k8s.io/usage-cpu";

/** The plan's target arrival rate `tS` seconds in: linear over each stage, as k6's ramping-arrival-rate; 0 after the last. */
export function rateAt(plan: Pick<LoadPlan, "startRate" | "stages">, tS: number): number {
    let from = plan.startRate;
    let start = 0;
    for (const s of plan.stages) {
        if (tS < start + s.durationS) return from + ((s.target - from) * Math.max(0, tS - start)) / s.durationS;
        start += s.durationS;
        from = s.target;
    }
    return 0;
}

/** Total CPU (millicores) each Deployment needs at `rate` requests per second on `endpoint`. */
export function demandAt(model: SimulatedUsage, endpoint: Endpoint, rate: number): Map<string, number> {
    return new Map(Object.entries(model.cpuMsPerRequest[endpoint]).map(([app, ms]) => [app, rate * ms]));
}

/**
 * One pod's share of `totalMillicores` over `servingPods`, on top of the idle
 * floor, capped at the pod's CPU limit (the kernel would throttle it there).
 * Whole millicores, at least 1 (kwok's own default).
 */
export function podMillicores(totalMillicores: number, servingPods: number, idleMillicores: number, cpuLimitMillicores: number | null): number {
    const share = idleMillicores + totalMillicores / Math.max(1, servingPods);
    const capped = cpuLimitMillicores === null ? share : Math.min(share, cpuLimitMillicores);
    return Math.max(1, Math.ceil(capped));
}

export interface PodPatch {
    pod: string;
    value: string;
}

export interface AppUsage {
    app: string;
    servingPods: number;
    /** Each serving pod's share before any CPU-limit cap (a capped pod uses its limit instead); usage.csv records this. */
    millicoresPerPod: number;
}

/**
 * The annotation patches that make each listed Deployment's serving pods use
 * their share of its demand. kwok gives every container of a pod the
 * annotation's value, so the value is the pod's share over its containers.
 * Pods already carrying the right value are left alone.
 */
export function usagePatches(pods: readonly PodInfo[], demand: ReadonlyMap<string, number>, idleMillicores: number): { patches: PodPatch[]; apps: AppUsage[] } {
    const patches: PodPatch[] = [];
    const apps: AppUsage[] = [];
    for (const [app, total] of demand) {
        const serving = pods.filter((p) => p.app === app && p.serving);
        apps.push({ app, servingPods: serving.length, millicoresPerPod: podMillicores(total, serving.length, idleMillicores, null) });
        for (const p of serving) {
            const perContainer = Math.max(1, Math.ceil(podMillicores(total, serving.length, idleMillicores, p.cpuLimitMillicores) / p.containers));
            const value = `${perContainer}m`;
            if (p.annotations[USAGE_CPU_ANNOTATION] !== value) patches.push({ pod: p.name, value });
        }
    }
    return { patches, apps };
}

/** Give each Deployment in `demand` that CPU, spread over its serving pods, now. */
export async function applyUsage(kube: KubeClient, demand: ReadonlyMap<string, number>, idleMillicores: number): Promise<AppUsage[]> {
    const { patches, apps } = usagePatches(await kube.pods(), demand, idleMillicores);
    // A pod deleted between the list and the patch (a scale-down) is not an error.
    await Promise.all(patches.map((p) => kube.annotatePod(p.pod, { [USAGE_CPU_ANNOTATION]: p.value }).catch(() => undefined)));
    return apps;
}

export interface DriveOptions {
    kube: KubeClient;
    model: SimulatedUsage;
    endpoint: Endpoint;
    plan: Pick<LoadPlan, "startRate" | "stages">;
    /** usage.csv: t_s,target_rate,app,serving_pods,millicores_per_pod */
    file: string;
    /** How often the usage follows the rate. @default 1000 */
    tickMs?: number;
    /** Resolves early (the run was cancelled). */
    sleep: (ms: number) => Promise<void>;
    cancelled: () => boolean;
}

/**
 * Play the plan's arrival rate as CPU until its stages end (or the run is
 * cancelled), then put every pod back on the idle floor, whatever happened.
 */
export async function driveUsage(o: DriveOptions): Promise<void> {
    const tickMs = o.tickMs ?? 1000;
    const out = fs.createWriteStream(o.file);
    out.write("t_s,target_rate,app,serving_pods,millicores_per_pod\n");
    const endS = o.plan.stages.reduce((s, st) => s + st.durationS, 0);
    const start = Date.now();
    const idle = new Map(Object.keys(o.model.cpuMsPerRequest[o.endpoint]).map((app) => [app, 0]));
    try {
        for (;;) {
            const tS = (Date.now() - start) / 1000;
            if (tS >= endS || o.cancelled()) break;
            const rate = rateAt(o.plan, tS);
            const apps = await applyUsage(o.kube, demandAt(o.model, o.endpoint, rate), o.model.idleMillicores);
            out.write(apps.map((a) => `${tS.toFixed(3)},${rate.toFixed(3)},${a.app},${a.servingPods},${a.millicoresPerPod}`).join("\n") + "\n");
            await o.sleep(Math.max(0, tickMs - ((Date.now() - start) % tickMs)));
        }
    } finally {
        const tS = (Date.now() - start) / 1000;
        try {
            const apps = await applyUsage(o.kube, idle, o.model.idleMillicores);
            out.write(apps.map((a) => `${tS.toFixed(3)},0,${a.app},${a.servingPods},${a.millicoresPerPod}`).join("\n") + "\n");
        } finally {
            await new Promise<void>((resolve) => out.end(resolve));
        }
    }
}
