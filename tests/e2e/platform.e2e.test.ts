/**
 * End to end: `pulumi up` of the whole dev stack with the real engine: the simulated
 * nodes provisioned over SSH, and the platform deployed to the local control plane
 * (scripts/cluster.sh: a real API server, controller manager and scheduler, Traefik,
 * and kwok playing the kubelets of the K3s nodes). Checked on the API server.
 *
 * Its own stack, `e2e-platform`, on its own backend; the cluster is started afresh
 * and stopped afterwards.
 */
import * as fs from "fs";
import * as path from "path";
import { clusterDown, clusterUp, kubeItems } from "../../harness/cluster";
import { EngineResult, EngineStack, previewSteps, pulumi, pulumiOk, ROOT, writeStackConfig } from "../../harness/engine";
import { freshStackOnBareNodes, simConfig, simDown } from "../../harness/sim";
import { loadCatalog } from "../../experiments/catalog";
import { readStackFile } from "../../harness/engine";

const STACK: EngineStack = { name: "e2e-platform", stateDir: path.join(ROOT, ".cache/e2e-platform/state"), passphrase: "picluster-e2e" };
const STACK_FILE = path.join(ROOT, "Pulumi.e2e-platform.yaml");
const SECRETS = { "picluster:googleClientSecret": "e2e-google-client-secret-8d02" };
const dev = readStackFile("dev").config;
const NS = ((dev["picluster:platform"] as { namespace?: string }).namespace ?? "ahuora") as string;
const DB_NODE = (dev["picluster:database"] as { node: string }).node;

let first: EngineResult;

function log(name: string, r: EngineResult): void {
    const file = path.join(ROOT, ".cache/e2e-platform", `${name}.log`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${r.stdout}\n${r.stderr}`, { mode: 0o600 });
}

const tail = (r: EngineResult) => `${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-40).join("\n");
const ok = (r: EngineResult) => ({ code: r.code, output: r.code === 0 ? "" : tail(r) });

/** The e2e stack's config with an experiment selected. */
function selectExperiment(experiment: string): void {
    writeStackConfig(STACK_FILE, "dev", { ...simConfig(), "picluster:experiment": experiment });
}

beforeAll(async () => {
    clusterDown(true);
    clusterUp("dev");
    await freshStackOnBareNodes(STACK, STACK_FILE, SECRETS);
    first = await pulumi(STACK, ["up", "--yes", "--skip-preview"], { timeoutMs: 25 * 60_000 });
    log("first-up", first);
    process.stdout.write(`pulumi up -s ${STACK.name} (nodes and platform): exit ${first.code} in ${(first.ms / 1000).toFixed(1)} s\n`);
}, 1_800_000);

afterAll(() => {
    simDown();
    clusterDown(true);
}, 300_000);

describe("the platform on the local control plane", () => {
    it("pulumi up provisions the nodes and deploys the platform without error", () => {
        expect(ok(first)).toEqual({ code: 0, output: "" });
    });

    it("every Deployment and the StatefulSet are ready, their pods on the kwok nodes", () => {
        const nodes = new Set(kubeItems("nodes").map((n) => n.metadata.name as string));
        const deployments = kubeItems("deployments", NS);
        expect(deployments.map((d) => d.metadata.name).sort()).toEqual(expect.arrayContaining(["django-api", "frontend", "idaes-worker"]));
        for (const d of [...deployments, ...kubeItems("statefulsets", NS)]) {
            expect({ name: d.metadata.name, ready: d.status.readyReplicas ?? 0 }).toEqual({ name: d.metadata.name, ready: d.spec.replicas });
        }
        const pods = kubeItems("pods", NS);
        expect(pods.length).toBeGreaterThan(0);
        for (const p of pods) expect(nodes).toContain(p.spec.nodeName);
    });

    it("schedules Postgres on its pinned node, its claim bound to the pinned volume", () => {
        const [pod] = kubeItems("pods", NS).filter((p) => p.metadata.labels?.["app.kubernetes.io/name"] === "postgres" || p.metadata.name.startsWith("postgres-0"));
        expect(pod.spec.nodeName).toBe(DB_NODE);
        const pvcs = kubeItems("persistentvolumeclaims", NS);
        const claim = pvcs.find((c) => c.metadata.name.startsWith("postgres-data"))!;
        expect(claim.status.phase).toBe("Bound");
        expect(claim.spec.volumeName).toBe("postgres-data");
    });

    it("the API server holds every object the program declared, of every kind it checks", async () => {
        const state = JSON.parse((await pulumiOk(STACK, ["stack", "export"])).stdout) as { deployment: { resources?: { type: string; outputs?: any }[] } };
        const declared = (type: string) =>
            (state.deployment.resources ?? [])
                .filter((r) => r.type === type)
                .map((r) => r.outputs?.metadata?.name as string)
                .sort();
        const onServer = (kind: string, namespaced = true) =>
            kubeItems(kind, namespaced ? NS : undefined)
                .map((o) => o.metadata.name as string)
                .sort();
        const kinds: [string, string, boolean][] = [
            ["kubernetes:traefik.io/v1alpha1:Middleware", "middlewares.traefik.io", true],
            ["kubernetes:networking.k8s.io/v1:Ingress", "ingresses", true],
            ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "networkpolicies", true],
            ["kubernetes:policy/v1:PodDisruptionBudget", "poddisruptionbudgets", true],
            ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "horizontalpodautoscalers", true],
        ];
        for (const [type, kind, namespaced] of kinds) {
            expect({ kind, names: onServer(kind, namespaced) }).toEqual({ kind, names: declared(type) });
        }
        const priorityClasses = new Set(onServer("priorityclasses", false));
        for (const name of declared("kubernetes:scheduling.k8s.io/v1:PriorityClass")) expect(priorityClasses).toContain(name);
        expect(declared("kubernetes:networking.k8s.io/v1:Ingress").length).toBeGreaterThan(0);
        expect(declared("kubernetes:networking.k8s.io/v1:NetworkPolicy").length).toBeGreaterThan(0);
    });

    it("Traefik picked up every Ingress and published its address, as on K3s", () => {
        for (const ing of kubeItems("ingresses", NS)) {
            expect({ name: ing.metadata.name, lb: ing.status?.loadBalancer?.ingress }).toEqual({ name: ing.metadata.name, lb: [{ ip: "198.18.0.1" }] });
        }
    });

    it("a second up changes nothing", async () => {
        const again = await pulumi(STACK, ["up", "--yes", "--skip-preview", "--expect-no-changes"], { timeoutMs: 10 * 60_000 });
        log("second-up", again);
        expect(ok(again)).toEqual({ code: 0, output: "" });
    }, 900_000);
});

describe("swapping experiments", () => {
    const catalog = loadCatalog();
    const names = Object.keys(catalog);
    // Kinds an experiment may touch: the Deployments (replicas, resources) and HPAs.
    const SCALING_TYPES = new Set(["kubernetes:apps/v1:Deployment", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"]);

    it("each switch between consecutive catalog entries plans only Deployment replicas/resources and HPA changes, never a replacement; up applies it", async () => {
        const problems: string[] = [];
        for (let i = 0; i + 1 < names.length; i++) {
            const [from, to] = [names[i], names[i + 1]];
            selectExperiment(to);
            const preview = await pulumi(STACK, ["preview", "--json", "--diff"], { timeoutMs: 5 * 60_000 });
            if (preview.code !== 0) {
                problems.push(`${from} -> ${to}: preview failed:\n${tail(preview)}`);
                break;
            }
            for (const step of previewSteps(preview.stdout).filter((s) => s.op !== "same")) {
                const fullType = step.urn.split("::")[2].split("$").pop()!;
                const allowed =
                    SCALING_TYPES.has(fullType) &&
                    (step.op === "create" || step.op === "delete" || (step.op === "update" && fullType.endsWith("HorizontalPodAutoscaler")) || (step.op === "update" && step.diffs.every((d) => d === "spec")));
                if (!allowed || step.op === "replace" || step.op.includes("replace")) problems.push(`${from} -> ${to}: ${step.op} ${fullType} ${step.name} (${step.diffs.join(", ")})`);
            }
            const up = await pulumi(STACK, ["up", "--yes", "--skip-preview"], { timeoutMs: 10 * 60_000 });
            if (up.code !== 0) {
                problems.push(`${from} -> ${to}: up failed:\n${tail(up)}`);
                break;
            }
        }
        expect(problems).toEqual([]);
    }, 3_600_000);
});
