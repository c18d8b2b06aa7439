import { loadCatalog, parseCatalog } from "../../experiments/catalog";
import { validateScalingPolicy } from "../../config/validate";

const catalog = loadCatalog();

/** FACTS.md, "Scaling variants": the values every experiment must carry. */
describe("the experiments catalog holds every scaling variant of FACTS.md", () => {
    it.each([1, 2, 4, 8])("UOR replica count: Django %i", (n) => {
        const e = catalog[`uor-replicas-${n}`];
        expect(e.endpoint).toBe("uor");
        expect(e.profiles).toEqual(["average", "stress", "spike", "breakpoint"]);
        expect(e.workloads.django).toMatchObject({ mode: "fixed", replicas: n });
        expect(e.workloads.idaes).toBeUndefined();
    });

    it.each([
        [1, 1], [2, 2], [4, 4], [8, 8], [1, 8], [2, 8], [4, 8],
    ])("FS replica count: Django %i, IDAES %i", (django, idaes) => {
        const e = catalog[`fs-replicas-${django}-${idaes}`];
        expect(e.endpoint).toBe("fs");
        expect(e.workloads.django).toMatchObject({ mode: "fixed", replicas: django });
        expect(e.workloads.idaes).toMatchObject({ mode: "fixed", replicas: idaes });
    });

    it.each([1, 2, 4])("HPA minimum replicas %i (UOR: Django; FS: Django and IDAES)", (min) => {
        expect(catalog[`uor-hpa-min-${min}`].workloads).toEqual({ django: expect.objectContaining({ mode: "hpa", minReplicas: min }) });
        const fs = catalog[`fs-hpa-min-${min}`].workloads;
        expect(fs.django).toMatchObject({ mode: "hpa", minReplicas: min });
        expect(fs.idaes).toMatchObject({ mode: "hpa", minReplicas: min });
        expect(catalog[`uor-hpa-min-${min}`].profiles).toEqual(["spike", "breakpoint"]);
    });

    it.each(["500m", "1000m", "2000m"])("CPU request %s", (cpu) => {
        const w = catalog[`cpu-request-${cpu}`].workloads;
        expect(w.django?.resources.requests.cpu).toBe(cpu);
        expect(w.idaes?.resources.requests.cpu).toBe(cpu);
    });

    it.each([25, 50, 75, 90])("HPA average CPU target %i %%", (target) => {
        const w = catalog[`cpu-target-${target}`].workloads;
        expect(w.django).toMatchObject({ mode: "hpa", cpuTarget: target });
        expect(w.idaes).toMatchObject({ mode: "hpa", cpuTarget: target });
    });

    it.each([1, 2, 4])("scale-up limit of %i pods per 15 s, as the only scale-up policy", (pods) => {
        for (const w of Object.values(catalog[`scaleup-limit-${pods}`].workloads)) {
            expect(w).toMatchObject({ mode: "hpa" });
            if (w?.mode !== "hpa") throw new Error("not an HPA");
            expect(w.behavior?.scaleUp?.policies).toEqual([{ type: "Pods", value: pods, periodSeconds: 15 }]);
        }
    });

    it.each([0, 60, 300])("scale-down stabilisation window %i s", (seconds) => {
        for (const w of Object.values(catalog[`stabilization-${seconds}`].workloads)) {
            if (w?.mode !== "hpa") throw new Error("not an HPA");
            expect(w.behavior?.scaleDown?.stabilizationWindowSeconds).toBe(seconds);
        }
    });

    it("has the baseline plus 30 variants, and nothing else", () => {
        expect(Object.keys(catalog)).toHaveLength(31);
        expect(catalog.baseline.workloads).toEqual({});
    });

    it("passes the same policy rules as stack config", () => {
        for (const [name, e] of Object.entries(catalog)) {
            for (const [w, policy] of Object.entries(e.workloads)) {
                const problems: string[] = [];
                validateScalingPolicy(`${name}.${w}`, policy!, problems);
                expect(problems).toEqual([]);
            }
        }
    });
});

describe("parseCatalog", () => {
    it("names the experiment and field of a malformed entry", () => {
        const text = "experiments:\n  bad:\n    description: x\n    endpoint: uor\n    profiles: [spike]\n    workloads:\n      django: { mode: fixed, replicas: many }\n";
        expect(() => parseCatalog(text, "catalog.yaml")).toThrow("catalog.yaml:experiments.bad.workloads.django.replicas");
    });

    it("rejects an unknown load profile", () => {
        const text = "experiments:\n  bad:\n    description: x\n    endpoint: uor\n    profiles: [marathon]\n    workloads: {}\n";
        expect(() => parseCatalog(text)).toThrow("experiments.bad.profiles.0");
    });
});
