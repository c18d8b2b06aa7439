import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { componentType, formerPlatformType, withFormerTypes } from "../lib/typeTokens";

/** Where allowed traffic comes from: a platform app, or pods in another namespace. */
export type Source = { readonly app: string } | { readonly namespace: string; readonly podLabels?: Readonly<Record<string, string>> };

/** One allowed path into an app of the platform namespace. */
export interface Allow {
    /** Name of the policy (`<to>-from-<source>`). */
    readonly name: string;
    /** `app` label of the pods it admits traffic to. */
    readonly to: string;
    readonly port?: number;
    readonly from: Source;
}

/** K3s's Traefik: namespace and pod labels of the packaged chart. */
export const TRAEFIK_SOURCE: Source = { namespace: "kube-system", podLabels: { "app.kubernetes.io/name": "traefik" } };

export interface PlatformPorts {
    readonly frontend: number;
    readonly api: number;
    readonly auth: number;
    readonly idaes: number;
}

/**
 * What may reach what in the platform namespace, besides the database's own
 * policies (Database): Traefik to the three front doors, Django to IDAES, and the
 * monitoring agents to every pod they scrape. Everything else is denied.
 */
export function platformAllows(ports: PlatformPorts, monitoringNamespace?: string): Allow[] {
    const fromTraefik = (to: string, port: number): Allow => ({ name: `${to}-from-traefik`, to, port, from: TRAEFIK_SOURCE });
    return [
        fromTraefik("frontend", ports.frontend),
        fromTraefik("django-api", ports.api),
        fromTraefik("oauth2-proxy", ports.auth),
        { name: "idaes-worker-from-django-api", to: "idaes-worker", port: ports.idaes, from: { app: "django-api" } },
        ...(monitoringNamespace ? [{ name: "all-from-monitoring", to: "*", from: { namespace: monitoringNamespace } }] : []),
    ];
}

/** The NetworkPolicy peer for a source. */
export function peerOf(from: Source): k8s.types.input.networking.v1.NetworkPolicyPeer {
    if ("app" in from) return { podSelector: { matchLabels: { app: from.app } } };
    return {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": from.namespace } },
        ...(from.podLabels ? { podSelector: { matchLabels: { ...from.podLabels } } } : {}),
    };
}

export interface NetworkPoliciesArgs {
    readonly namespace: pulumi.Input<string>;
    readonly allows: readonly Allow[];
}

export const NETWORK_POLICIES_TYPE = componentType("components", "NetworkPolicies");

/** Default-deny ingress for the platform namespace, plus the allowed paths. */
export class NetworkPolicies extends pulumi.ComponentResource {
    constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(NETWORK_POLICIES_TYPE, name, {}, withFormerTypes(opts, [formerPlatformType("NetworkPolicies")]));
        const labels = { "app.kubernetes.io/part-of": "picluster" };
        new k8s.networking.v1.NetworkPolicy(
            `${name}-default-deny`,
            { metadata: { name: "default-deny-ingress", namespace: args.namespace, labels }, spec: { podSelector: {}, policyTypes: ["Ingress"] } },
            { parent: this },
        );
        for (const allow of args.allows) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${allow.name}`,
                {
                    metadata: { name: allow.name, namespace: args.namespace, labels },
                    spec: {
                        podSelector: allow.to === "*" ? {} : { matchLabels: { app: allow.to } },
                        policyTypes: ["Ingress"],
                        ingress: [{ from: [peerOf(allow.from)], ...(allow.port ? { ports: [{ protocol: "TCP", port: allow.port }] } : {}) }],
                    },
                },
                { parent: this },
            );
        }
        this.registerOutputs({});
    }
}
