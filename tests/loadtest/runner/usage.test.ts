/**
 * --usage simulated: the rate as CPU (pure functions), and the driver against
 * the stand-in's pods (list, merge-patch of annotations).
 */
import { loadLoadTable } from "../../../loadtest/profiles";
import { buildPlan } from "../../../loadtest/plan";
import { KubeClient, parseKubeconfig } from "../../../loadtest/runner/kube";
import { demandAt, driveUsage, podMillicores, rateAt, USAGE_CPU_ANNOTATION, usagePatches } from "../../../loadtest/runner/usage";
import { corePod, Standin, standinKubeconfig, startStandin } from "../../../harness/standin";
import { readCsv } from "../../helpers/loadgen";
import { scratchDir } from "../../helpers/tmp";
import * as path from "path";

const table = loadLoadTable();
const model = table.simulatedUsage;

describe("the arrival rate at a moment", () => {
    const plan = { startRate: 0, stages: [{ durationS: 160, target: 80 }, { durationS: 80, target: 0 }] };
    it.each([
        [0, 0],
        [80, 40],
        [159.999, 80],
        [160, 80],
        [200, 40],
        [240, 0],
        [500, 0],
    ])("is linear over each stage, as k6's ramping arrival rate: %d s -> %d/s", (t, rate) => {
        expect(rateAt(plan, t)).toBeCloseTo(rate, 2);
    });

    it("follows the table's spike profile, time-scaled", () => {
        const spike = buildPlan(table, { endpoint: "uor", profile: "spike", baseUrl: "https://api", flowsheetId: 1, timeScale: 0.5 });
        expect(rateAt(spike, 80)).toBeCloseTo(80, 5);
        expect(rateAt(spike, 40)).toBeCloseTo(40, 5);
        expect(rateAt(spike, 120)).toBe(0);
    });
});

describe("the CPU the rate costs", () => {
    it("is the rate times each Deployment's CPU per request, per endpoint", () => {
        expect(demandAt(model, "uor", 80)).toEqual(new Map([["django-api", 80 * model.cpuMsPerRequest.uor["django-api"]]]));
        expect([...demandAt(model, "fs", 8).keys()].sort()).toEqual(["django-api", "idaes-worker"]);
    });

    it("is spread evenly over the serving pods, on the idle floor, capped at the pod's limit", () => {
        expect(podMillicores(2400, 4, 5, null)).toBe(605);
        expect(podMillicores(2400, 4, 5, 500)).toBe(500);
        expect(podMillicores(0, 3, 5, null)).toBe(5);
        expect(podMillicores(100, 0, 0, null)).toBe(100); // no pod yet: a pod's worth, not a division by zero
        expect(podMillicores(0, 1, 0, null)).toBe(1); // kwok's own floor
    });

    it("patches only the serving pods of the named Deployments whose value changes, per container", () => {
        const pods = [
            corePod("api-1", "django-api"),
            corePod("api-2", "django-api", { containers: 2 }),
            corePod("api-3", "django-api", { phase: "Pending" }),
            corePod("api-4", "django-api", { deleting: true }),
            corePod("web-1", "frontend"),
        ].map((p) => ({ name: p.metadata.name, app: p.metadata.labels.app, serving: p.status.phase === "Running" && !p.metadata.deletionTimestamp, containers: p.spec.containers.length, cpuLimitMillicores: null, annotations: p.metadata.annotations }));
        pods[0].annotations[USAGE_CPU_ANNOTATION] = "1005m";
        const { patches, apps } = usagePatches(pods, new Map([["django-api", 2000]]), 5);
        expect(apps).toEqual([{ app: "django-api", servingPods: 2, millicoresPerPod: 1005 }]);
        expect(patches).toEqual([{ pod: "api-2", value: "503m" }]);
    });
});

describe("the usage driver against a Kubernetes API", () => {
    let standin: Standin;
    beforeAll(async () => {
        standin = await startStandin({ token: "t" });
    });
    afterAll(() => standin?.close());

    it("follows the rate through the plan, writes usage.csv, and leaves every pod idle", async () => {
        standin.k8s.corePods = [corePod("api-1", "django-api", { cpuLimit: "1" }), corePod("api-2", "django-api"), corePod("web-1", "frontend")];
        standin.k8s.annotationPatches.length = 0;
        const kube = new KubeClient(parseKubeconfig(standinKubeconfig(standin.url, "t")), "ahuora");
        const file = path.join(scratchDir("usage"), "usage.csv");
        const plan = { startRate: 0, stages: [{ durationS: 1, target: 80 }, { durationS: 0.5, target: 0 }] };
        await driveUsage({ kube, model, endpoint: "uor", plan, file, tickMs: 100, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), cancelled: () => false });
        const rows = readCsv(file);
        expect(rows.length).toBeGreaterThanOrEqual(8);
        expect(rows.every((r) => r.app === "django-api" && r.serving_pods === "2")).toBe(true);
        const peak = Math.max(...rows.map((r) => Number(r.target_rate)));
        expect(peak).toBeGreaterThan(60);
        // The rate's share of 30 ms a request, per pod, on 5m idle (usage.csv rounds the
        // rate to 3 decimals, so the exact rate may sit either side of a millicore).
        const atPeak = rows.find((r) => Number(r.target_rate) === peak)!;
        const perPod = (rate: number) => Math.ceil(5 + (rate * 30) / 2);
        expect([perPod(peak - 0.0005), perPod(peak + 0.0005)]).toContain(Number(atPeak.millicores_per_pod));
        expect(rows.at(-1)).toMatchObject({ target_rate: "0", millicores_per_pod: "5" });
        // Every change went to the API server; the front-end was never touched.
        const values = standin.k8s.annotationPatches.filter((p) => p.pod === "api-2").map((p) => Number(p.annotations[USAGE_CPU_ANNOTATION].slice(0, -1)));
        expect(Math.max(...values)).toBe(Number(atPeak.millicores_per_pod));
        expect(standin.k8s.annotationPatches.some((p) => p.pod === "web-1")).toBe(false);
        // The pod with a 1-CPU limit never went above it; both end idle.
        expect(Math.max(...standin.k8s.annotationPatches.filter((p) => p.pod === "api-1").map((p) => Number(p.annotations[USAGE_CPU_ANNOTATION].slice(0, -1))))).toBeLessThanOrEqual(1000);
        expect(standin.k8s.corePods.map((p) => p.metadata.annotations[USAGE_CPU_ANNOTATION])).toEqual(["5m", "5m", undefined]);
    });

    it("leaves every pod idle when cancelled half way", async () => {
        standin.k8s.corePods = [corePod("api-1", "django-api")];
        const kube = new KubeClient(parseKubeconfig(standinKubeconfig(standin.url, "t")), "ahuora");
        const file = path.join(scratchDir("usage-cancel"), "usage.csv");
        let ticks = 0;
        const plan = { startRate: 80, stages: [{ durationS: 60, target: 80 }] };
        await driveUsage({ kube, model, endpoint: "uor", plan, file, tickMs: 50, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), cancelled: () => ++ticks > 3 });
        expect(ticks).toBe(4);
        expect(standin.k8s.corePods[0].metadata.annotations[USAGE_CPU_ANNOTATION]).toBe("5m");
    });
});
