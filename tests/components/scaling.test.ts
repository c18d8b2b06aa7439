import { containerResources, deploymentReplicas, hpaSpec } from "../../components/scaling";
import { HpaPolicy } from "../../config/schema";

const hpa: HpaPolicy = {
    mode: "hpa",
    minReplicas: 2,
    maxReplicas: 8,
    cpuTarget: 75,
    resources: { requests: { cpu: "1000m", memory: "512Mi" }, limits: { memory: "1Gi" } },
    behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 2, periodSeconds: 15 }] },
        scaleDown: { stabilizationWindowSeconds: 60 },
    },
};

describe("scaling decisions", () => {
    it("a fixed policy sets replicas; an HPA leaves them to the autoscaler", () => {
        expect(deploymentReplicas({ mode: "fixed", replicas: 4, resources: { requests: {}, limits: {} } })).toBe(4);
        expect(deploymentReplicas({ mode: "fixed", replicas: 0, resources: { requests: {}, limits: {} } })).toBe(0);
        expect(deploymentReplicas(hpa)).toBeUndefined();
    });

    it("an HPA targets the Deployment with min, max, CPU utilisation and behavior", () => {
        expect(hpaSpec(hpa, "django-api")).toEqual({
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "django-api" },
            minReplicas: 2,
            maxReplicas: 8,
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 75 } } }],
            behavior: {
                scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 2, periodSeconds: 15 }] },
                scaleDown: { stabilizationWindowSeconds: 60 },
            },
        });
        expect(hpaSpec({ ...hpa, behavior: undefined }, "x")).not.toHaveProperty("behavior");
        expect(hpaSpec({ mode: "fixed", replicas: 1, resources: { requests: {}, limits: {} } }, "x")).toBeUndefined();
    });

    it("resources drop what is not set", () => {
        expect(containerResources(hpa.resources)).toEqual({ requests: { cpu: "1000m", memory: "512Mi" }, limits: { memory: "1Gi" } });
        expect(containerResources({ requests: { cpu: "100m" }, limits: {} })).toEqual({ requests: { cpu: "100m" } });
        expect(containerResources({ requests: {}, limits: {} })).toEqual({});
    });
});
