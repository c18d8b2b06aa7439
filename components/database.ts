import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { DatabaseSettings, PlatformSettings } from "../config/schema";
import { POSTGRES_UID } from "../lib/postgres";
import { ScalableWorkload } from "./workload";
import { componentType, formerPlatformType, withFormerTypes } from "../lib/typeTokens";

export const POSTGRES_PORT = 5432;
export const PGBOUNCER_PORT = 5432;

export interface DatabaseArgs {
    readonly namespace: pulumi.Input<string>;
    readonly settings: DatabaseSettings;
    readonly images: Pick<PlatformSettings["images"], "postgres" | "pgbouncer">;
    readonly storageClass: pulumi.Input<string>;
    readonly priorityClass: pulumi.Input<string>;
    /** App label of the only client allowed to reach PgBouncer. */
    readonly clientApp: string;
}

/** The local PersistentVolume spec: the data lives on one named node, never elsewhere. */
export function pinnedVolumeSpec(settings: DatabaseSettings, storageClass: pulumi.Input<string>): k8s.types.input.core.v1.PersistentVolumeSpec {
    return {
        capacity: { storage: settings.size },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: storageClass,
        volumeMode: "Filesystem",
        local: { path: settings.hostPath },
        nodeAffinity: {
            required: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [settings.node] }] }],
            },
        },
    };
}

/**
 * When the engine counts the claim as deployed: once it is Bound to the pinned volume.
 *
 * Without this, @pulumi/kubernetes (4.25) waits for a claim of a WaitForFirstConsumer
 * class to show "Pending", for up to five minutes. This claim names its volume, and
 * the volume controller binds such a claim at once, consumer or not. So the first up
 * passed only if the engine read the claim before the controller bound it, and any
 * later update of the claim always failed. CI lost that race once: the first up failed
 * after 365 s, and every later up waited out its timeout.
 */
export const CLAIM_BOUND = { "pulumi.com/waitFor": "jsonpath={.status.phase}=Bound" } as const;

/** What keeps the data: these survive experiment swaps, renames and `pulumi destroy`. */
const DATA_BEARING: pulumi.CustomResourceOptions = { protect: true, retainOnDelete: true };

export const DATABASE_TYPE = componentType("components", "Database");

/**
 * Postgres 16 as a one-replica StatefulSet on a pinned local volume, behind
 * PgBouncer. Only PgBouncer may reach Postgres, and only `clientApp` may reach
 * PgBouncer.
 */
export class Database extends pulumi.ComponentResource {
    /** Host name clients use: PgBouncer's Service. */
    public readonly host: pulumi.Output<string>;
    public readonly port = PGBOUNCER_PORT;
    public readonly user: string;
    public readonly name: string;
    /** Database password (secret). */
    public readonly password: pulumi.Output<string>;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super(DATABASE_TYPE, name, {}, withFormerTypes(opts, [formerPlatformType("Database")]));
        const { settings, namespace } = args;
        this.user = settings.user;
        this.name = settings.name;
        const labels = { app: "postgres", "app.kubernetes.io/part-of": "ahuora" };

        const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this, protect: true });
        this.password = pulumi.secret(password.result);
        const secret = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: { name: "postgres-credentials", namespace, labels },
                type: "Opaque",
                stringData: pulumi.secret(
                    this.password.apply((pw) => ({ POSTGRES_USER: settings.user, POSTGRES_PASSWORD: pw, POSTGRES_DB: settings.name })),
                ),
            },
            { parent: this },
        );

        const pv = new k8s.core.v1.PersistentVolume(
            `${name}-volume`,
            { metadata: { name: "postgres-data", labels }, spec: pinnedVolumeSpec(settings, args.storageClass) },
            { parent: this, ...DATA_BEARING },
        );
        const pvc = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-claim`,
            {
                metadata: { name: "postgres-data", namespace, labels, annotations: CLAIM_BOUND },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: args.storageClass,
                    volumeName: pv.metadata.name,
                    resources: { requests: { storage: settings.size } },
                },
            },
            { parent: this, ...DATA_BEARING, dependsOn: [pv] },
        );

        const headless = new k8s.core.v1.Service(
            `${name}-postgres-service`,
            {
                metadata: { name: "postgres", namespace, labels },
                spec: { clusterIP: "None", selector: { app: "postgres" }, ports: [{ name: "postgres", port: POSTGRES_PORT, targetPort: POSTGRES_PORT }] },
            },
            { parent: this },
        );

        new k8s.apps.v1.StatefulSet(
            `${name}-postgres`,
            {
                metadata: { name: "postgres", namespace, labels },
                spec: {
                    replicas: 1,
                    serviceName: headless.metadata.name,
                    selector: { matchLabels: { app: "postgres" } },
                    template: {
                        metadata: { labels },
                        spec: {
                            priorityClassName: args.priorityClass,
                            securityContext: { fsGroup: POSTGRES_UID },
                            containers: [
                                {
                                    name: "postgres",
                                    image: args.images.postgres,
                                    ports: [{ name: "postgres", containerPort: POSTGRES_PORT }],
                                    envFrom: [{ secretRef: { name: secret.metadata.name } }],
                                    env: [{ name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" }],
                                    volumeMounts: [{ name: "data", mountPath: "/var/lib/postgresql/data" }],
                                    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
                                    readinessProbe: { exec: { command: ["pg_isready", "-U", settings.user, "-d", settings.name] }, periodSeconds: 10 },
                                    livenessProbe: { exec: { command: ["pg_isready", "-U", settings.user, "-d", settings.name] }, initialDelaySeconds: 30, periodSeconds: 20, failureThreshold: 6 },
                                },
                            ],
                            volumes: [{ name: "data", persistentVolumeClaim: { claimName: pvc.metadata.name } }],
                        },
                    },
                },
            },
            { parent: this, ...DATA_BEARING },
        );

        const bouncer = new ScalableWorkload(
            `${name}-pgbouncer`,
            {
                appName: "pgbouncer",
                namespace,
                image: args.images.pgbouncer,
                port: PGBOUNCER_PORT,
                env: {
                    // The headless Service, in the same namespace.
                    DB_HOST: "postgres",
                    DB_PORT: String(POSTGRES_PORT),
                    DB_NAME: settings.name,
                    POOL_MODE: "transaction",
                    AUTH_TYPE: "scram-sha-256",
                    // A fixed pool of server connections; excess clients wait in the queue.
                    DEFAULT_POOL_SIZE: String(settings.pool.defaultPoolSize),
                    MAX_CLIENT_CONN: String(settings.pool.maxClientConn),
                },
                secretEnv: { DB_USER: settings.user, DB_PASSWORD: this.password },
                scaling: { mode: "fixed", replicas: 1, resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } } },
                priorityClassName: args.priorityClass,
            },
            { parent: this },
        );
        this.host = bouncer.service!.metadata.name;

        const policy = (suffix: string, app: string, from: string, port: number) =>
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${suffix}`,
                {
                    metadata: { name: `${app}-from-${from}`, namespace, labels },
                    spec: {
                        podSelector: { matchLabels: { app } },
                        policyTypes: ["Ingress"],
                        ingress: [{ from: [{ podSelector: { matchLabels: { app: from } } }], ports: [{ protocol: "TCP", port }] }],
                    },
                },
                { parent: this },
            );
        policy("postgres-policy", "postgres", "pgbouncer", POSTGRES_PORT);
        policy("pgbouncer-policy", "pgbouncer", args.clientApp, PGBOUNCER_PORT);
        this.registerOutputs({ host: this.host });
    }
}
