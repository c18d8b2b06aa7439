import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { MonitoringSettings } from "../config/schema";
import { onlyOnNodes } from "./placement";
import { componentType, formerPlatformType, withFormerTypes } from "../lib/typeTokens";

export const K8S_MONITORING_REPO = "https://grafana.github.io/helm-charts";

type EnabledMonitoring = Extract<MonitoringSettings, { enabled: true }>;

/**
 * Node-exporter filesystem metrics of the SD cards (`/dev/mmcblk*`) are kept:
 * on the Pis these are the only disks, and the default tuning drops them.
 */
export const SD_CARD_RELABEL_RULES = [
    "rule {",
    '  source_labels = ["__name__", "device"]',
    '  regex = "node_filesystem_.+;/dev/mmcblk.*"',
    '  target_label = "sd_card"',
    '  replacement = "true"',
    "}",
].join("\n");

/**
 * Values of the `k8s-monitoring` chart (1.x schema); `password` is the Grafana Cloud
 * token. Every Alloy instance pushes to Grafana Cloud, so every one runs only on
 * `internetNodes`; airgapped nodes' firewalls reject pod egress. Node-exporter stays
 * on every node and is scraped over the LAN. Pod logs are read through the Kubernetes
 * API (the API server proxies to each kubelet over the LAN) by a clustered Deployment
 * instead of the chart's default DaemonSet, which would push from every node.
 */
export function monitoringValues(settings: EnabledMonitoring, password: string, internetNodes: readonly string[]) {
    const onInternet = { controller: { affinity: onlyOnNodes(internetNodes) } };
    return {
        cluster: { name: settings.clusterName },
        alloy: onInternet,
        "alloy-events": onInternet,
        "alloy-logs": {
            controller: { ...onInternet.controller, type: "deployment", replicas: 1 },
            // The chart requires clustering when logs come from the API; no node's
            // log files are read, so no host mounts.
            alloy: { clustering: { enabled: true }, mounts: { varlog: false, dockercontainers: false } },
        },
        externalServices: {
            prometheus: { host: settings.prometheus.url, basicAuth: { username: settings.prometheus.username, password } },
            loki: { host: settings.loki.url, basicAuth: { username: settings.loki.username, password } },
        },
        metrics: {
            enabled: true,
            // Ship every minute, as the thesis did over the 4G link.
            scrapeInterval: "60s",
            "node-exporter": {
                metricsTuning: {
                    includeMetrics: [
                        "node_filesystem_avail_bytes",
                        "node_filesystem_size_bytes",
                        "node_filesystem_files",
                        "node_filesystem_files_free",
                        "node_filesystem_readonly",
                    ],
                    dropMetricsForFilesystem: ["tmpfs"],
                },
                extraMetricRelabelingRules: SD_CARD_RELABEL_RULES,
            },
            cost: { enabled: false },
        },
        opencost: { enabled: false },
        logs: { enabled: true, pod_logs: { enabled: true, gatherMethod: "api" }, cluster_events: { enabled: true } },
    };
}

export interface MonitoringArgs {
    readonly settings: EnabledMonitoring;
    /** K3s nodes that reach the internet: the pushing agents run only there. */
    readonly internetNodes: readonly string[];
    /** Grafana Cloud access token (secret). */
    readonly token: pulumi.Input<string>;
    readonly namespace?: string;
}

/** Namespace of the monitoring agents (the chart's release). */
export const MONITORING_NAMESPACE = "monitoring";

export const MONITORING_TYPE = componentType("components", "Monitoring");

/** Grafana's k8s-monitoring chart (Alloy, kube-state-metrics, node-exporter) shipping to Grafana Cloud. */
export class Monitoring extends pulumi.ComponentResource {
    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super(MONITORING_TYPE, name, {}, withFormerTypes(opts, [formerPlatformType("Monitoring")]));
        // Helm keeps release values in a Secret; in Pulumi state they stay secret too.
        const values = pulumi.secret(pulumi.output(args.token).apply((token) => monitoringValues(args.settings, token, args.internetNodes)));
        new k8s.helm.v3.Release(
            `${name}-k8s-monitoring`,
            {
                name: "k8s-monitoring",
                chart: "k8s-monitoring",
                version: args.settings.chartVersion,
                repositoryOpts: { repo: K8S_MONITORING_REPO },
                namespace: args.namespace ?? MONITORING_NAMESPACE,
                createNamespace: true,
                values,
                atomic: true,
                timeout: 600,
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
