import { rawDesired, scaleDownRules, scaleUpLimit, scaleUpRules, scaleUpViolations, settledReplicas } from "../../harness/hpa";
import type { HpaPolicy } from "../../config/schema";

const policy = (over: Partial<HpaPolicy> = {}): HpaPolicy => ({ mode: "hpa", minReplicas: 1, maxReplicas: 8, cpuTarget: 50, resources: { requests: { cpu: "500m" }, limits: {} }, ...over }) as HpaPolicy;

describe("the HPA algorithm", () => {
    it("desired = ceil(current × usage / target), unchanged within the 0.1 tolerance", () => {
        expect(rawDesired(1, 200, 50)).toBe(4);
        expect(rawDesired(3, 66.7, 50)).toBe(5); // ceil(3 × 1.334)
        expect(rawDesired(4, 54, 50)).toBe(4); // ratio 1.08: within tolerance
        expect(rawDesired(4, 56, 50)).toBe(5);
        expect(rawDesired(4, 10, 50)).toBe(1);
    });

    it("settles where the spread demand is within target, clamped to the bounds", () => {
        expect(settledReplicas(policy(), 1000, 500)).toBe(4); // 250m each = 50 %
        expect(settledReplicas(policy({ cpuTarget: 25 }), 1000, 500)).toBe(8);
        expect(settledReplicas(policy({ cpuTarget: 25, maxReplicas: 5 }), 1000, 500)).toBe(5);
        expect(settledReplicas(policy({ minReplicas: 2 }), 0, 500)).toBe(2);
    });

    it("limits scale-up per period by the behavior's policies and selectPolicy", () => {
        const one = scaleUpRules(policy({ behavior: { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 1, periodSeconds: 15 }] } } }));
        expect(scaleUpLimit(one, 1)).toBe(2);
        const defaults = scaleUpRules(policy()); // 4 pods or 100 %, whichever is more
        expect(scaleUpLimit(defaults, 1)).toBe(5);
        expect(scaleUpLimit(defaults, 6)).toBe(12);
        expect(scaleUpLimit({ ...defaults, selectPolicy: "Min" }, 6)).toBe(10);
        expect(scaleDownRules(policy()).stabilizationWindowSeconds).toBe(300);
    });

    it("flags a timeline that scales up faster than allowed, and passes one that does not", () => {
        const one = scaleUpRules(policy({ behavior: { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 1, periodSeconds: 15 }] } } }));
        const slow = [0, 5, 10, 16, 26, 31, 42, 47].map((t, i) => ({ t, replicas: [1, 1, 2, 2, 3, 3, 4, 4][i] }));
        expect(scaleUpViolations(slow, one)).toEqual([]);
        const fast = [
            { t: 0, replicas: 1 },
            { t: 5, replicas: 2 },
            { t: 10, replicas: 4 },
        ];
        expect(scaleUpViolations(fast, one)).toEqual(["t=10s: 4 replicas, but 15s earlier there were 1 and the policy allows at most 2"]);
    });
});
