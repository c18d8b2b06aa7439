import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { componentType, formerPlatformType, withFormerTypes } from "../lib/typeTokens";

/** PriorityClasses: database, gateway and auth above the platform's workloads. */
export const PRIORITY_CLASSES = {
    database: { name: "picluster-database", value: 100000 },
    gateway: { name: "picluster-gateway", value: 90000 },
    auth: { name: "picluster-auth", value: 90000 },
    workload: { name: "picluster-workload", value: 10000 },
} as const;

export type PriorityTier = keyof typeof PRIORITY_CLASSES;

/** Storage class of the pinned local volumes: no provisioner, bind when a pod is scheduled. */
export const LOCAL_STORAGE_CLASS = "picluster-local";

export interface FoundationArgs {
    /** Namespace of the platform. */
    readonly namespace: string;
}

export const FOUNDATION_TYPE = componentType("components", "Foundation");

/** Cluster-wide basics the platform's components build on. */
export class Foundation extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly priorityClass: Readonly<Record<PriorityTier, pulumi.Output<string>>>;
    public readonly storageClass: pulumi.Output<string>;

    constructor(name: string, args: FoundationArgs, opts?: pulumi.ComponentResourceOptions) {
        super(FOUNDATION_TYPE, name, {}, withFormerTypes(opts, [formerPlatformType("Foundation")]));
        // Kept on destroy and on a rename: deleting it would delete the database's
        // StatefulSet and claim inside it, which are kept themselves (database.ts).
        const ns = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: args.namespace } }, { parent: this, retainOnDelete: true });
        this.namespace = ns.metadata.name;

        const classes = Object.entries(PRIORITY_CLASSES).map(([tier, pc]) => {
            const r = new k8s.scheduling.v1.PriorityClass(
                `${name}-priority-${tier}`,
                {
                    metadata: { name: pc.name },
                    value: pc.value,
                    globalDefault: false,
                    preemptionPolicy: "PreemptLowerPriority",
                    description: `picluster ${tier} tier`,
                },
                { parent: this },
            );
            return [tier, r.metadata.name] as const;
        });
        this.priorityClass = Object.fromEntries(classes) as Record<PriorityTier, pulumi.Output<string>>;

        const sc = new k8s.storage.v1.StorageClass(
            `${name}-local-storage`,
            {
                metadata: { name: LOCAL_STORAGE_CLASS },
                provisioner: "kubernetes.io/no-provisioner",
                volumeBindingMode: "WaitForFirstConsumer",
                reclaimPolicy: "Retain",
            },
            { parent: this },
        );
        this.storageClass = sc.metadata.name;
        this.registerOutputs({ namespace: this.namespace });
    }
}
