import { probesFor } from "../../components/workload";
import { ProgramRun, runProgram, withPlatform } from "../helpers/program";

let fixed: ProgramRun;
let autoscaled: ProgramRun;
beforeAll(async () => {
    fixed = await runProgram("dev", withPlatform("dev", { "picluster:experiment": "fs-replicas-2-8" }));
    autoscaled = await runProgram("dev", withPlatform("dev", { "picluster:experiment": "fs-hpa-min-2" }));
});

const deployment = (run: ProgramRun, app: string) => run.ofType("kubernetes:apps/v1:Deployment").find((d) => d.inputs.metadata.name === app)!;
const hpas = (run: ProgramRun) => run.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler");

describe("ScalableWorkload", () => {
    it("with fixed replicas: Deployment replicas as configured, no HPA", () => {
        expect(deployment(fixed, "django-api").inputs.spec.replicas).toBe(2);
        expect(deployment(fixed, "idaes-worker").inputs.spec.replicas).toBe(8);
        expect(hpas(fixed)).toEqual([]);
    });

    it("with an HPA: the Deployment sets no replicas and the HPA owns it", () => {
        for (const app of ["django-api", "idaes-worker"]) {
            expect(deployment(autoscaled, app).inputs.spec).not.toHaveProperty("replicas");
            const hpa = hpas(autoscaled).find((h) => h.inputs.metadata.name === app)!;
            expect(hpa.inputs.spec).toMatchObject({ scaleTargetRef: { kind: "Deployment", name: app }, minReplicas: 2, maxReplicas: 8 });
        }
        // the front-end keeps the stack's fixed policy
        expect(deployment(autoscaled, "frontend").inputs.spec.replicas).toBe(1);
    });

    it("has a ClusterIP Service, a PDB and probes, and reads env from a ConfigMap and a Secret", () => {
        const django = deployment(fixed, "django-api");
        const container = django.inputs.spec.template.spec.containers[0];
        expect(container.envFrom).toEqual([{ configMapRef: { name: "django-api-config" } }, { secretRef: { name: "django-api-secret" } }]);
        expect(container.ports).toEqual([expect.objectContaining({ containerPort: 8000 })]);
        // Django is checked on its TCP port; readiness reacts within 30 s, liveness gives up only after 2 min.
        expect(container.readinessProbe).toEqual({ tcpSocket: { port: 8000 }, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3 });
        expect(container.livenessProbe).toEqual({ tcpSocket: { port: 8000 }, initialDelaySeconds: 30, periodSeconds: 20, failureThreshold: 6 });
        // The front-end serves its page: an HTTP check of "/" on its own port.
        const web = deployment(fixed, "frontend").inputs.spec.template.spec.containers[0];
        const webPort = web.ports[0].containerPort;
        expect(web.readinessProbe).toMatchObject({ httpGet: { path: "/", port: webPort }, periodSeconds: 10 });
        expect(web.livenessProbe).toMatchObject({ httpGet: { path: "/", port: webPort }, periodSeconds: 20 });
        expect(container.resources).toEqual({ requests: { cpu: "500m", memory: "512Mi" }, limits: { memory: "1Gi" } });
        const svc = fixed.ofType("kubernetes:core/v1:Service").find((s) => s.inputs.metadata.name === "django-api")!;
        expect(svc.inputs.spec).toMatchObject({ type: "ClusterIP", selector: { app: "django-api" }, ports: [{ port: 8000 }] });
        const pdb = fixed.ofType("kubernetes:policy/v1:PodDisruptionBudget").find((p) => p.inputs.metadata.name === "django-api")!;
        expect(pdb.inputs.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { app: "django-api" } } });
    });

    it("every Deployment's pods carry a priority class", () => {
        for (const d of fixed.ofType("kubernetes:apps/v1:Deployment")) {
            expect(d.inputs.spec.template.spec.priorityClassName).toMatch(/^picluster-/);
        }
    });

    it("probes readiness faster than liveness gives up", () => {
        const { readinessProbe, livenessProbe } = probesFor(8000, { httpPath: "/healthz" });
        expect(readinessProbe.httpGet).toEqual({ path: "/healthz", port: 8000 });
        expect((livenessProbe.periodSeconds as number) * (livenessProbe.failureThreshold as number)).toBeGreaterThan(
            (readinessProbe.periodSeconds as number) * (readinessProbe.failureThreshold as number),
        );
        expect(probesFor(5432, undefined).readinessProbe.tcpSocket).toEqual({ port: 5432 });
    });
});
