import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ClusterSettings, PlatformConfig, PlatformSecrets, StackSettings } from "../config/schema";
import { Auth, OAUTH2_PROXY_PORT } from "./auth";
import { Database } from "./database";
import { Foundation } from "./foundation";
import { Gateway } from "./gateway";
import { Monitoring, MONITORING_NAMESPACE } from "./monitoring";
import { internetK3sNodes } from "../lib/inventory";
import { NetworkPolicies, platformAllows } from "./networkPolicy";
import { Tunnel } from "./tunnel";
import { ScalableWorkload } from "./workload";
import { componentType, formerPlatformType, withFormerTypes } from "../lib/typeTokens";

export const DJANGO_PORT = 8000;
export const FRONTEND_PORT = 80;
export const IDAES_PORT = 8080;

/**
 * The kubeconfig the Kubernetes provider uses: the one read back from the K3s
 * server, or a file (a local control plane in the dev stack). Always secret.
 */
export function resolveKubeconfig(
    cluster: ClusterSettings,
    fromK3s: pulumi.Output<string>,
    readFile: (file: string) => string = (f) => fs.readFileSync(f, "utf8"),
): pulumi.Output<string> {
    const source = cluster.kubeconfig;
    switch (source.source) {
        case "k3s":
            return pulumi.secret(fromK3s);
        case "file":
            return pulumi.secret(readFile(path.resolve(source.path)));
        default: {
            const never: never = source;
            throw new Error(`unknown kubeconfig source ${JSON.stringify(never)}`);
        }
    }
}

/** Django's settings (no secrets). */
export function djangoEnv(config: Pick<StackSettings, "platform">, dbHost: string, dbName: string, idaesUrl: string): Record<string, string> {
    return {
        POSTGRES_HOST: dbHost,
        POSTGRES_PORT: "5432",
        POSTGRES_DB: dbName,
        IDAES_SERVICE_URL: idaesUrl,
        DJANGO_ALLOWED_HOSTS: [config.platform.domains.api, "django-api"].join(","),
        RUNTIME_MODE: config.platform.runtimeMode,
    };
}

export interface PlatformArgs {
    /** Its slice of the validated stack settings, with the selected experiment applied to `scaling`. */
    readonly settings: PlatformConfig;
    readonly secrets: PlatformSecrets;
    /** Admin kubeconfig of the cluster (secret). */
    readonly kubeconfig: pulumi.Input<string>;
    /** Stable identity of the cluster: kubeconfig edits must not replace everything. */
    readonly clusterIdentifier: string;
}

export const PLATFORM_TYPE = componentType("components", "Platform");

/**
 * The Ahuora platform on the cluster: foundation, database, the three scalable
 * workloads, auth, gateway, and optionally monitoring and the tunnel.
 */
export class Platform extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly hosts: readonly string[];
    public readonly tunnelId?: pulumi.Output<string>;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super(PLATFORM_TYPE, name, {}, withFormerTypes(opts, [formerPlatformType("Platform")]));
        const { settings, secrets } = args;
        const { platform } = settings;
        const provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: args.kubeconfig, clusterIdentifier: args.clusterIdentifier, enableServerSideApply: true },
            { parent: this },
        );
        // Every Kubernetes object below goes through this provider, never an ambient kubeconfig.
        const child = { parent: this, providers: { kubernetes: provider } };

        const foundation = new Foundation(`${name}-foundation`, { namespace: platform.namespace }, child);
        const ns = foundation.namespace;
        const pc = foundation.priorityClass;
        const internetNodes = internetK3sNodes(settings.nodes);
        this.namespace = ns;

        const db = new Database(
            `${name}-database`,
            {
                namespace: ns,
                settings: settings.database,
                images: platform.images,
                storageClass: foundation.storageClass,
                priorityClass: pc.database,
                clientApp: "django-api",
            },
            child,
        );
        const idaes = new ScalableWorkload(
            `${name}-idaes`,
            { appName: "idaes-worker", namespace: ns, image: platform.images.idaes, port: IDAES_PORT, scaling: settings.scaling.idaes, priorityClassName: pc.workload },
            child,
        );
        const django = new ScalableWorkload(
            `${name}-django`,
            {
                appName: "django-api",
                namespace: ns,
                image: platform.images.django,
                port: DJANGO_PORT,
                env: djangoEnv(settings, "pgbouncer", settings.database.name, `http://idaes-worker.${platform.namespace}.svc.cluster.local:${IDAES_PORT}`),
                secretEnv: { POSTGRES_USER: db.user, POSTGRES_PASSWORD: db.password },
                scaling: settings.scaling.django,
                priorityClassName: pc.workload,
            },
            { ...child, dependsOn: [db, idaes] },
        );
        const frontend = new ScalableWorkload(
            `${name}-frontend`,
            { appName: "frontend", namespace: ns, image: platform.images.frontend, port: FRONTEND_PORT, scaling: settings.scaling.frontend, probe: { httpPath: "/" }, priorityClassName: pc.workload },
            child,
        );
        const auth = new Auth(
            `${name}-auth`,
            {
                namespace: ns,
                settings: settings.auth,
                domains: platform.domains,
                image: platform.images.oauth2Proxy,
                clientSecret: secrets.oauthClientSecret,
                priorityClass: pc.auth,
                internetNodes,
            },
            child,
        );
        const gateway = new Gateway(
            `${name}-gateway`,
            {
                namespace: platform.namespace,
                domains: platform.domains,
                corsOrigins: platform.corsOrigins,
                frontend: { service: frontend.service!.metadata.name, port: FRONTEND_PORT },
                api: { service: django.service!.metadata.name, port: DJANGO_PORT },
                auth: { service: auth.serviceName, port: auth.port },
            },
            { ...child, dependsOn: [foundation] },
        );
        this.hosts = gateway.hosts;

        new NetworkPolicies(
            `${name}-network`,
            {
                namespace: ns,
                allows: platformAllows(
                    { frontend: FRONTEND_PORT, api: DJANGO_PORT, auth: OAUTH2_PROXY_PORT, idaes: IDAES_PORT },
                    settings.monitoring.enabled ? MONITORING_NAMESPACE : undefined,
                ),
            },
            { ...child, dependsOn: [foundation] },
        );

        if (settings.monitoring.enabled) {
            if (secrets.grafanaCloudToken === undefined) throw new Error("monitoring.enabled is true: expected the picluster:grafanaCloudToken secret, got none");
            new Monitoring(`${name}-monitoring`, { settings: settings.monitoring, token: secrets.grafanaCloudToken, internetNodes }, child);
        }
        if (settings.tunnel.enabled) {
            const tunnel = new Tunnel(
                `${name}-tunnel`,
                {
                    settings: settings.tunnel,
                    domains: platform.domains,
                    namespace: ns,
                    image: platform.images.cloudflared,
                    internetNodes,
                    priorityClass: pc.gateway,
                },
                child,
            );
            this.tunnelId = tunnel.tunnelId;
        }
        this.registerOutputs({ namespace: this.namespace, hosts: this.hosts });
    }
}
