import { isDeepStrictEqual } from "util";
import { loadCatalog } from "../experiments/catalog";
import { isKubernetesObject, schemaErrors } from "./helpers/schema";
import { platformEnabled } from "../harness/stacks";
import * as programHelpers from "./helpers/program";
import { hostKeyFromSeed } from "../provisioning/hostKeys";
import { isSecret, mockSeed, MOCK_SECRETS, ProgramRun, Registered, runProgram, TEST_SECRETS, withPlatform } from "./helpers/program";

const EXPERIMENTS = Object.keys(loadCatalog());
const runs = new Map<string, ProgramRun>();
let invalid: string[] = [];

beforeAll(async () => {
    for (const e of EXPERIMENTS) runs.set(e, await runProgram("dev", withPlatform("dev", { "picluster:experiment": e })));
    // One validator process for all experiments; errors name the object and experiment.
    invalid = schemaErrors(
        EXPERIMENTS.flatMap((e) => runs.get(e)!.resources.filter(isKubernetesObject).map((r) => ({ ...r, name: `${e}/${r.name}` }))),
    );
}, 120_000);

const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

/** A Deployment minus the fields a scaling swap may change. */
function withoutScaling(d: Registered) {
    const spec = { ...d.inputs.spec };
    delete spec.replicas;
    const containers = spec.template.spec.containers.map((c: Record<string, unknown>) => ({ ...c, resources: undefined }));
    return { ...d.inputs, spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers } } } };
}

/** What a swap from `a` to `b` would change other than Deployment replicas/resources and HPAs. */
function nonScalingChanges(a: ProgramRun, b: ProgramRun): string[] {
    const changes: string[] = [];
    const names = new Set([...a.resources, ...b.resources].map((r) => r.name));
    for (const name of names) {
        const before = a.resources.find((r) => r.name === name);
        const after = b.resources.find((r) => r.name === name);
        const type = (before ?? after)!.type;
        if (type === HPA) continue;
        if (!before || !after) {
            changes.push(`${before ? "deletes" : "creates"} ${type} ${name}`);
        } else if (type === DEPLOYMENT ? !isDeepStrictEqual(withoutScaling(before), withoutScaling(after)) : !isDeepStrictEqual(before.inputs, after.inputs)) {
            changes.push(`updates ${type} ${name}`);
        }
    }
    return changes;
}

describe("every named experiment", () => {
    it.each(EXPERIMENTS)("%s deploys objects that pass the Kubernetes schema", (e) => {
        const run = runs.get(e)!;
        expect(run.outputs.experiment).toBe(e);
        expect(run.resources.filter(isKubernetesObject).length).toBeGreaterThan(30);
        expect(invalid.filter((m) => m.includes(` ${e}/`))).toEqual([]);
    });

    it.each(EXPERIMENTS)("%s sets no replicas on a Deployment an HPA owns, and an HPA for every HPA policy", (e) => {
        const run = runs.get(e)!;
        const experiment = loadCatalog()[e];
        const hpaTargets = run.ofType(HPA).map((h) => h.inputs.spec.scaleTargetRef.name).sort();
        const expected = Object.entries(experiment.workloads)
            .filter(([, p]) => p?.mode === "hpa")
            .map(([w]) => ({ django: "django-api", idaes: "idaes-worker", frontend: "frontend" })[w]!)
            .sort();
        expect(hpaTargets).toEqual(expected);
        for (const d of run.ofType(DEPLOYMENT)) {
            expect({ name: d.inputs.metadata.name, hasReplicas: "replicas" in d.inputs.spec }).toEqual({
                name: d.inputs.metadata.name,
                hasReplicas: !hpaTargets.includes(d.inputs.metadata.name),
            });
        }
        // Each HPA carries its own workload's policy (not merely the first HPA policy found).
        for (const [w, policy] of Object.entries(experiment.workloads)) {
            if (policy?.mode !== "hpa") continue;
            const name = { django: "django-api", idaes: "idaes-worker", frontend: "frontend" }[w]!;
            const h = run.ofType(HPA).find((x) => x.inputs.spec.scaleTargetRef.name === name)!;
            expect({ workload: w, spec: h.inputs.spec }).toMatchObject({
                workload: w,
                spec: {
                    minReplicas: policy.minReplicas,
                    maxReplicas: policy.maxReplicas,
                    metrics: [{ resource: { name: "cpu", target: { averageUtilization: policy.cpuTarget } } }],
                    ...(policy.behavior ? { behavior: policy.behavior } : {}),
                },
            });
        }
    });

    it.each(EXPERIMENTS.filter((e) => e !== "baseline"))("swapping baseline -> %s changes only scaling objects", (e) => {
        expect(nonScalingChanges(runs.get("baseline")!, runs.get(e)!)).toEqual([]);
    });

    it("swapping between consecutive variants in the catalog changes only scaling objects", () => {
        for (let i = 1; i < EXPERIMENTS.length; i++) {
            expect({ pair: [EXPERIMENTS[i - 1], EXPERIMENTS[i]], changes: nonScalingChanges(runs.get(EXPERIMENTS[i - 1])!, runs.get(EXPERIMENTS[i])!) }).toEqual({
                pair: [EXPERIMENTS[i - 1], EXPERIMENTS[i]],
                changes: [],
            });
        }
    });

    it("the swap check does notice a non-scaling change", () => {
        const a = runs.get("baseline")!;
        const b = { ...a, resources: a.resources.map((r) => (r.name === "platform-gateway-api" ? { ...r, inputs: { ...r.inputs, spec: {} } } : r)) };
        expect(nonScalingChanges(a, b)).toEqual(["updates kubernetes:networking.k8s.io/v1:Ingress platform-gateway-api"]);
    });

    it("a swap leaves the database volume untouched", () => {
        const pv = (e: string) => runs.get(e)!.byName("platform-database-volume").inputs;
        for (const e of EXPERIMENTS) expect(pv(e)).toEqual(pv("baseline"));
    });
});

describe("secrets", () => {
    let pi: ProgramRun;
    beforeAll(async () => {
        pi = await runProgram("pi-cluster");
    });

    const secretValues = () => [
        ...Object.values(TEST_SECRETS),
        MOCK_SECRETS.kubeconfig,
        MOCK_SECRETS.tunnelToken,
        ...pi.ofType("random:index/randomPassword:RandomPassword").map((r) => `${MOCK_SECRETS.randomPrefix}-${r.name}`),
        // Generated host keys: their seeds and private halves (the public halves are meant to be seen).
        ...pi.ofType("random:index/randomPassword:RandomPassword").filter((r) => r.name.startsWith("host-keys-")).map((r) => hostKeyFromSeed(mockSeed(r.name), "").privateKey.split("\n")[1]),
    ];

    /** Inputs that carry a known secret value but are not marked secret. */
    const unmarkedSecrets = (resources: readonly Registered[]) =>
        resources.flatMap((r) =>
            Object.entries(r.inputs)
                .filter(([key, value]) => secretValues().some((v) => (JSON.stringify(value) ?? "").includes(v)) && !r.secretInputs.includes(key))
                .map(([key]) => `${r.name}.${key}`),
        );

    it("every input that carries a secret value is marked secret", () => {
        expect(unmarkedSecrets(pi.resources)).toEqual([]);
    });

    it("no secret reaches a ConfigMap, a resource name or a plain stack output", async () => {
        const configMaps = JSON.stringify(pi.ofType("kubernetes:core/v1:ConfigMap").map((c) => c.inputs));
        const names = pi.resources.map((r) => r.name).join(" ");
        for (const s of secretValues()) {
            expect(configMaps).not.toContain(s);
            expect(names).not.toContain(s);
        }
        for (const [key, value] of Object.entries(pi.rawOutputs)) {
            const text = JSON.stringify(pi.outputs[key]) ?? "";
            if (secretValues().some((s) => text.includes(s))) {
                expect({ key, secret: await isSecret(value as any) }).toEqual({ key, secret: true });
            }
        }
        expect(await isSecret(pi.rawOutputs.kubeconfig as any)).toBe(true);
    });

    it("a step that prints a secret does not log", () => {
        for (const r of pi.ofType("command:remote:Command")) {
            if ((r.opts.additionalSecretOutputs ?? []).includes("stdout")) expect(r.inputs.logging).toBe("none");
        }
        expect(pi.ofType("command:remote:Command").filter((r) => r.inputs.logging === "none").map((r) => r.name)).toEqual(["control-kubeconfig"]);
    });

    it("the check does catch a leak", () => {
        const config = pi.byName("platform-django-config");
        const leaky = { ...config, inputs: { ...config.inputs, data: { X: TEST_SECRETS["picluster:oauthClientSecret"] } } };
        expect(unmarkedSecrets([leaky])).toEqual(["platform-django-config.data"]);
    });
});

describe("bad input", () => {
    it("stops the program with the config error before any resource is registered", async () => {
        await expect(runProgram("pi-cluster", { "picluster:experiment": "cpu-target-95" })).rejects.toThrow(
            /^Invalid stack config:\n- picluster:experiment: expected one of the experiments in experiments\/catalog.yaml \(.*\), got "cpu-target-95"$/,
        );
        expect(programHelpers.lastRegistered).toEqual([]);
    });
});

describe("the stacks", () => {
    it("pi-cluster exports its nodes and public hosts", async () => {
        const run = await runProgram("pi-cluster");
        expect(run.outputs.nodes).toHaveLength(8);
        expect(run.outputs.hosts).toEqual(["ahuora.org.nz", "api.ahuora.org.nz", "auth.ahuora.org.nz"]);
        expect(run.outputs.namespace).toBe("ahuora");
    });

    it("dev, as committed, provisions its 4 nodes and K3s and deploys the platform through the local control plane's kubeconfig", async () => {
        const run = await runProgram("dev");
        expect(run.outputs.nodes).toHaveLength(4);
        expect(run.resources.filter((r) => r.type === "command:remote:Command").length).toBeGreaterThan(20);
        expect(run.resources.filter((r) => r.type === "pulumi:providers:kubernetes")).toHaveLength(1);
        expect(run.resources.filter(isKubernetesObject).length).toBeGreaterThan(30);
        expect(run.outputs.hosts).toEqual(["ahuora.org.nz", "api.ahuora.org.nz", "auth.ahuora.org.nz"]);
        // No tunnel in the dev stack: no tunnelId output (not an undefined one the engine warns about).
        expect(Object.keys(run.outputs)).not.toContain("tunnelId");
    });

    it("with the platform off (platform.enabled: false), no Kubernetes object and no kubeconfig file is needed", async () => {
        const off = { ...platformEnabled("dev", false), "picluster:cluster": { kubeconfig: { source: "file", path: "/nonexistent/kubeconfig" } } };
        const run = await runProgram("dev", off);
        expect(run.outputs.nodes).toHaveLength(4);
        expect(run.resources.filter(isKubernetesObject)).toEqual([]);
        expect(run.resources.filter((r) => r.type === "pulumi:providers:kubernetes")).toEqual([]);
        expect(run.outputs.hosts).toBeUndefined();
        await expect(runProgram("dev", withPlatform("dev", { "picluster:cluster": { kubeconfig: { source: "file", path: "/nonexistent/kubeconfig" } } }))).rejects.toThrow(
            /picluster:cluster\.kubeconfig\.path: expected a readable kubeconfig file, got "\/nonexistent\/kubeconfig \(ENOENT/,
        );
    });
});
