import { MONITORING_TYPE, monitoringValues } from "../../components/monitoring";
import { onlyOnNodes } from "../../components/placement";
import { ProgramRun, runProgram, TEST_SECRETS, withPlatform } from "../helpers/program";

let pi: ProgramRun;
let dev: ProgramRun;
beforeAll(async () => {
    pi = await runProgram("pi-cluster");
    dev = await runProgram("dev", withPlatform("dev"));
});

describe("Monitoring", () => {
    it("installs the pinned k8s-monitoring chart with secret values pointing at Grafana Cloud", () => {
        const [release] = pi.ofType("kubernetes:helm.sh/v3:Release");
        expect(release.inputs).toMatchObject({ chart: "k8s-monitoring", version: "1.6.4", repositoryOpts: { repo: "https://grafana.github.io/helm-charts" } });
        expect(release.secretInputs).toContain("values");
        expect(release.inputs.values.externalServices.prometheus.basicAuth.password).toBe(TEST_SECRETS["picluster:grafanaCloudToken"]);
        expect(release.inputs.values.metrics.scrapeInterval).toBe("60s");
    });

    it("keeps the SD cards' filesystem metrics", () => {
        const values = monitoringValues(
            { enabled: true, clusterName: "c", chartVersion: "1.0.0", prometheus: { url: "https://p", username: "u" }, loki: { url: "https://l", username: "u" } },
            "pw",
            ["control"],
        );
        const node = values.metrics["node-exporter"];
        expect(node.metricsTuning.includeMetrics).toEqual(expect.arrayContaining(["node_filesystem_avail_bytes", "node_filesystem_size_bytes"]));
        expect(node.extraMetricRelabelingRules).toContain('regex = "node_filesystem_.+;/dev/mmcblk.*"');
    });

    it("runs the agents that push to Grafana Cloud only on the K3s nodes with the internet", () => {
        const release = pi.ofType("kubernetes:helm.sh/v3:Release")[0];
        const pinned = { controller: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["control"] }] }] } } } } };
        expect(release.inputs.values.alloy).toEqual(pinned);
        expect(release.inputs.values["alloy-events"]).toEqual(pinned);
    });

    it("collects pod logs from airgapped nodes through the API, pushing only from an internet node", () => {
        const values = pi.ofType("kubernetes:helm.sh/v3:Release")[0].inputs.values;
        expect(values.logs.pod_logs.gatherMethod).toBe("api");
        // Not the chart's DaemonSet, which would run (and push) on every node.
        expect(values["alloy-logs"].controller).toMatchObject({ type: "deployment", affinity: onlyOnNodes(["control"]) });
        expect(values["alloy-logs"].alloy.clustering.enabled).toBe(true);
        expect(values["alloy-logs"].alloy.mounts).toEqual({ varlog: false, dockercontainers: false });
    });

    it("is off in the dev stack", () => {
        expect(dev.ofType("kubernetes:helm.sh/v3:Release")).toEqual([]);
        expect(dev.ofType(MONITORING_TYPE)).toEqual([]);
        expect(pi.ofType(MONITORING_TYPE).map((r) => r.name)).toEqual(["platform-monitoring"]);
    });
});
