import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ScalingPolicy } from "../config/schema";
import { containerResources, deploymentReplicas, hpaSpec } from "./scaling";
import { componentType, formerPlatformType, withFormerTypes } from "../lib/typeTokens";

type Probe = k8s.types.input.core.v1.Probe;

export interface ScalableWorkloadArgs {
    /** Kubernetes name and `app` label of every object. */
    readonly appName: string;
    readonly namespace: pulumi.Input<string>;
    /** Pinned image reference. */
    readonly image: string;
    /** Container port; also the Service port. */
    readonly port: number;
    /** Container args. @default the image's */
    readonly args?: string[];
    /** Plain settings, delivered through a ConfigMap. @default {} */
    readonly env?: Readonly<Record<string, string>>;
    /** Secret settings, delivered through a Secret (never a ConfigMap). @default {} */
    readonly secretEnv?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Fixed replicas or an HPA, with resources. */
    readonly scaling: ScalingPolicy;
    /** Readiness and liveness check. @default a TCP check on `port` */
    readonly probe?: { readonly httpPath: string } | { readonly exec: string[] };
    readonly priorityClassName: pulumi.Input<string>;
    /** Pin to nodes by label. @default none */
    readonly nodeSelector?: Readonly<Record<string, string>>;
    /** Node affinity (see placement.ts). @default none */
    readonly affinity?: k8s.types.input.core.v1.Affinity;
    /** Extra volumes and where to mount them. @default none */
    readonly volumes?: k8s.types.input.core.v1.Volume[];
    readonly volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
    /** Create a ClusterIP Service. @default true */
    readonly service?: boolean;
}

/** Readiness/liveness probes for a workload. */
export function probesFor(port: number, probe: ScalableWorkloadArgs["probe"]): { readinessProbe: Probe; livenessProbe: Probe } {
    const check: Probe =
        probe === undefined
            ? { tcpSocket: { port } }
            : "httpPath" in probe
              ? { httpGet: { path: probe.httpPath, port } }
              : { exec: { command: probe.exec } };
    return {
        readinessProbe: { ...check, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3 },
        // Liveness is slower to give up than readiness: a busy pod is taken out of
        // rotation long before it is restarted.
        livenessProbe: { ...check, initialDelaySeconds: 30, periodSeconds: 20, failureThreshold: 6 },
    };
}

export const SCALABLE_WORKLOAD_TYPE = componentType("components", "ScalableWorkload");

/**
 * One scalable workload: Deployment, ClusterIP Service, env from a ConfigMap
 * and a Secret, a PodDisruptionBudget, and an HPA when the policy asks for one.
 * When an HPA owns the Deployment, the Deployment sets no `replicas`.
 *
 * The PDB exists for every workload (maxUnavailable 1), so swapping between a
 * single replica and many changes only replicas and HPA objects.
 */
export class ScalableWorkload extends pulumi.ComponentResource {
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service?: k8s.core.v1.Service;
    public readonly hpa?: k8s.autoscaling.v2.HorizontalPodAutoscaler;
    /** In-cluster URL of the Service (`http://<name>.<ns>.svc.cluster.local:<port>`). */
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: ScalableWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super(SCALABLE_WORKLOAD_TYPE, name, {}, withFormerTypes(opts, [formerPlatformType("ScalableWorkload")]));
        const labels = { app: args.appName, "app.kubernetes.io/part-of": "ahuora", "app.kubernetes.io/managed-by": "pulumi" };
        const selector = { app: args.appName };
        const meta = { name: args.appName, namespace: args.namespace, labels };
        const envFrom: k8s.types.input.core.v1.EnvFromSource[] = [];

        if (args.env && Object.keys(args.env).length > 0) {
            const cm = new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: { ...meta, name: `${args.appName}-config` }, data: { ...args.env } }, { parent: this });
            envFrom.push({ configMapRef: { name: cm.metadata.name } });
        }
        if (args.secretEnv && Object.keys(args.secretEnv).length > 0) {
            const secret = new k8s.core.v1.Secret(
                `${name}-secret`,
                { metadata: { ...meta, name: `${args.appName}-secret` }, type: "Opaque", stringData: pulumi.secret(pulumi.output(args.secretEnv)) },
                { parent: this },
            );
            envFrom.push({ secretRef: { name: secret.metadata.name } });
        }

        const replicas = deploymentReplicas(args.scaling);
        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: meta,
                spec: {
                    ...(replicas !== undefined ? { replicas } : {}),
                    selector: { matchLabels: selector },
                    template: {
                        metadata: { labels },
                        spec: {
                            priorityClassName: args.priorityClassName,
                            ...(args.nodeSelector ? { nodeSelector: { ...args.nodeSelector } } : {}),
                            ...(args.affinity ? { affinity: args.affinity } : {}),
                            ...(args.volumes ? { volumes: args.volumes } : {}),
                            containers: [
                                {
                                    name: args.appName,
                                    image: args.image,
                                    ...(args.args ? { args: args.args } : {}),
                                    ports: [{ name: "http", containerPort: args.port }],
                                    ...(envFrom.length > 0 ? { envFrom } : {}),
                                    resources: containerResources(args.scaling.resources),
                                    ...probesFor(args.port, args.probe),
                                    ...(args.volumeMounts ? { volumeMounts: args.volumeMounts } : {}),
                                },
                            ],
                        },
                    },
                },
            },
            { parent: this },
        );

        if (args.service ?? true) {
            this.service = new k8s.core.v1.Service(
                `${name}-service`,
                { metadata: meta, spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: args.port, targetPort: args.port }] } },
                { parent: this },
            );
        }
        this.url = pulumi.interpolate`http://${args.appName}.${args.namespace}.svc.cluster.local:${args.port}`;

        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            { metadata: meta, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
            { parent: this },
        );

        const spec = hpaSpec(args.scaling, args.appName);
        if (spec) {
            this.hpa = new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, { metadata: meta, spec }, { parent: this, dependsOn: [this.deployment] });
        }
        this.registerOutputs({ url: this.url });
    }
}
