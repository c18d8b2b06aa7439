/**
 * What the runner reads from the cluster: Deployments, HPAs and pod metrics of
 * the platform namespace, through the Kubernetes API with the kubeconfig's own
 * credentials (the client certificate or token K3s writes). Decisions
 * (settled?, sample rows) are pure functions of the answers.
 */
import * as fs from "fs";
import * as YAML from "yaml";
import { requestOk, RequestOptions } from "./http";

export interface KubeTarget {
    server: string;
    headers: Record<string, string>;
    tls: NonNullable<RequestOptions["tls"]>;
}

const b64 = (s: string) => Buffer.from(s, "base64");

/** The current context's server and credentials. Errors name the kubeconfig field. */
export function parseKubeconfig(text: string, source = "kubeconfig"): KubeTarget {
    const doc = YAML.parse(text) as Record<string, unknown> | null;
    const list = (key: string) => (Array.isArray(doc?.[key]) ? (doc![key] as Record<string, unknown>[]) : []);
    const contextName = doc?.["current-context"];
    if (typeof contextName !== "string") throw new Error(`${source}: current-context: expected a context name, got ${JSON.stringify(contextName)}`);
    const context = list("contexts").find((c) => c.name === contextName)?.context as Record<string, string> | undefined;
    if (!context) throw new Error(`${source}: contexts: expected one named ${JSON.stringify(contextName)}, got none`);
    const cluster = list("clusters").find((c) => c.name === context.cluster)?.cluster as Record<string, unknown> | undefined;
    if (!cluster || typeof cluster.server !== "string") throw new Error(`${source}: clusters.${context.cluster}.server: expected an API server URL, got none`);
    const user = (list("users").find((u) => u.name === context.user)?.user ?? {}) as Record<string, unknown>;
    if (user.exec || user["auth-provider"]) throw new Error(`${source}: users.${context.user}: expected a client certificate or token, got an exec/auth-provider plugin (not supported by the runner)`);
    const tls: KubeTarget["tls"] = { insecure: cluster["insecure-skip-tls-verify"] === true };
    if (typeof cluster["certificate-authority-data"] === "string") tls.ca = b64(cluster["certificate-authority-data"]);
    else if (typeof cluster["certificate-authority"] === "string") tls.ca = fs.readFileSync(cluster["certificate-authority"]);
    if (typeof user["client-certificate-data"] === "string") tls.cert = b64(user["client-certificate-data"]);
    if (typeof user["client-key-data"] === "string") tls.key = b64(user["client-key-data"]);
    const headers: Record<string, string> = {};
    if (typeof user.token === "string") headers.authorization = `Bearer ${user.token}`;
    return { server: cluster.server, headers, tls };
}

export interface DeploymentStatus {
    name: string;
    generation: number;
    observedGeneration: number;
    /** spec.replicas (under an HPA, the HPA's last decision). */
    replicas: number;
    updatedReplicas: number;
    readyReplicas: number;
    availableReplicas: number;
}

export interface HpaStatus {
    name: string;
    currentReplicas: number;
    desiredReplicas: number;
    /** Average CPU utilisation in percent of the request, when reported. */
    cpuUtilization: number | null;
}

export interface PodUsage {
    name: string;
    cpuMillicores: number;
    memoryBytes: number;
}

/** A pod as the simulated-usage driver sees it. */
export interface PodInfo {
    name: string;
    /** Its `app` label (the Deployment it belongs to in this platform). */
    app: string | null;
    /** Running and not being deleted: a pod that would take requests. */
    serving: boolean;
    containers: number;
    /** The sum of its containers' CPU limits; null when any container has none. */
    cpuLimitMillicores: number | null;
    annotations: Record<string, string>;
}

export interface ClusterState {
    deployments: DeploymentStatus[];
    hpas: HpaStatus[];
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function deploymentFrom(o: Obj): DeploymentStatus {
    return {
        name: o.metadata?.name,
        generation: o.metadata?.generation ?? 0,
        observedGeneration: o.status?.observedGeneration ?? 0,
        replicas: o.spec?.replicas ?? 1,
        updatedReplicas: o.status?.updatedReplicas ?? 0,
        readyReplicas: o.status?.readyReplicas ?? 0,
        availableReplicas: o.status?.availableReplicas ?? 0,
    };
}

export function hpaFrom(o: Obj): HpaStatus {
    const cpu = (o.status?.currentMetrics ?? []).find((m: Obj) => m.type === "Resource" && m.resource?.name === "cpu");
    return {
        name: o.metadata?.name,
        currentReplicas: o.status?.currentReplicas ?? 0,
        desiredReplicas: o.status?.desiredReplicas ?? 0,
        cpuUtilization: cpu?.resource?.current?.averageUtilization ?? null,
    };
}

/** Kubernetes quantities as numbers: cpu in millicores, memory in bytes. */
export function cpuMillicores(q: string): number {
    const m = /^([0-9.]+)(n|u|m)?$/.exec(q);
    if (!m) throw new Error(`cpu quantity: expected e.g. 250m or 12345n, got ${JSON.stringify(q)}`);
    const v = Number(m[1]);
    return m[2] === "n" ? v / 1e6 : m[2] === "u" ? v / 1e3 : m[2] === "m" ? v : v * 1000;
}

export function memoryBytes(q: string): number {
    const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
    if (!m) throw new Error(`memory quantity: expected e.g. 128Mi or 1024Ki, got ${JSON.stringify(q)}`);
    const unit: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
    return Number(m[1]) * (m[2] ? unit[m[2]] : 1);
}

export function podUsageFrom(o: Obj): PodUsage {
    let cpu = 0;
    let mem = 0;
    for (const c of o.containers ?? []) {
        cpu += cpuMillicores(c.usage?.cpu ?? "0");
        mem += memoryBytes(c.usage?.memory ?? "0");
    }
    return { name: o.metadata?.name, cpuMillicores: Math.round(cpu), memoryBytes: Math.round(mem) };
}

export function podFrom(o: Obj): PodInfo {
    const containers: Obj[] = o.spec?.containers ?? [];
    const limits = containers.map((c) => c.resources?.limits?.cpu as string | undefined);
    return {
        name: o.metadata?.name,
        app: o.metadata?.labels?.app ?? null,
        serving: o.status?.phase === "Running" && !o.metadata?.deletionTimestamp,
        containers: Math.max(1, containers.length),
        cpuLimitMillicores: limits.length > 0 && limits.every((l) => l !== undefined) ? limits.reduce((s, l) => s + cpuMillicores(l!), 0) : null,
        annotations: o.metadata?.annotations ?? {},
    };
}

/**
 * Why the cluster is not settled yet (empty when it is): every Deployment has
 * rolled out its current generation with all replicas ready, and every HPA's
 * desired count is what is running.
 */
export function unsettledReasons(state: ClusterState): string[] {
    const reasons: string[] = [];
    for (const d of state.deployments) {
        if (d.observedGeneration < d.generation) reasons.push(`deployment ${d.name}: generation ${d.generation} not observed yet`);
        else if (d.updatedReplicas < d.replicas) reasons.push(`deployment ${d.name}: ${d.updatedReplicas}/${d.replicas} replicas updated`);
        else if (d.readyReplicas < d.replicas || d.availableReplicas < d.replicas) reasons.push(`deployment ${d.name}: ${d.readyReplicas}/${d.replicas} replicas ready`);
    }
    for (const h of state.hpas) {
        if (h.desiredReplicas !== h.currentReplicas) reasons.push(`hpa ${h.name}: ${h.currentReplicas} replicas, wants ${h.desiredReplicas}`);
    }
    return reasons;
}

/** Sample rows (t_s,kind,name,field,value) for the analysis. */
export function sampleRows(tS: number, state: ClusterState, pods: readonly PodUsage[]): string[] {
    const t = tS.toFixed(3);
    const rows: string[] = [];
    for (const d of state.deployments) {
        rows.push(`${t},deployment,${d.name},replicas,${d.replicas}`, `${t},deployment,${d.name},readyReplicas,${d.readyReplicas}`);
    }
    for (const h of state.hpas) {
        rows.push(`${t},hpa,${h.name},currentReplicas,${h.currentReplicas}`, `${t},hpa,${h.name},desiredReplicas,${h.desiredReplicas}`);
        if (h.cpuUtilization !== null) rows.push(`${t},hpa,${h.name},currentCPUUtilizationPercentage,${h.cpuUtilization}`);
    }
    for (const p of pods) rows.push(`${t},pod,${p.name},cpuMillicores,${p.cpuMillicores}`, `${t},pod,${p.name},memoryBytes,${p.memoryBytes}`);
    return rows;
}

export class KubeClient {
    constructor(
        private readonly target: KubeTarget,
        readonly namespace: string,
    ) {}

    static fromFile(file: string, namespace: string): KubeClient {
        return new KubeClient(parseKubeconfig(fs.readFileSync(file, "utf8"), file), namespace);
    }

    private async list(apiPath: string): Promise<Obj[]> {
        const res = await requestOk(new URL(apiPath, this.target.server).toString(), { headers: this.target.headers, tls: this.target.tls, timeoutMs: 10_000 });
        return ((res.body as Obj)?.items ?? []) as Obj[];
    }

    async state(): Promise<ClusterState> {
        const ns = encodeURIComponent(this.namespace);
        const [deployments, hpas] = await Promise.all([
            this.list(`/apis/apps/v1/namespaces/${ns}/deployments`),
            this.list(`/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`),
        ]);
        return { deployments: deployments.map(deploymentFrom), hpas: hpas.map(hpaFrom) };
    }

    async pods(): Promise<PodInfo[]> {
        return (await this.list(`/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`)).map(podFrom);
    }

    /** Set annotations on one pod (a JSON merge patch: other annotations stay). */
    async annotatePod(name: string, annotations: Record<string, string>): Promise<void> {
        const url = new URL(`/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods/${encodeURIComponent(name)}`, this.target.server);
        await requestOk(url.toString(), {
            method: "PATCH",
            headers: { ...this.target.headers, "content-type": "application/merge-patch+json" },
            body: { metadata: { annotations } },
            tls: this.target.tls,
            timeoutMs: 10_000,
        });
    }

    /** Pod CPU/memory from metrics-server (K3s ships it); empty when it is not answering. */
    async podUsage(): Promise<PodUsage[]> {
        try {
            return (await this.list(`/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(this.namespace)}/pods`)).map(podUsageFrom);
        } catch {
            return [];
        }
    }
}
