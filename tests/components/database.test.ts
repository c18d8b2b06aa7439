import { CLAIM_BOUND, pinnedVolumeSpec } from "../../components/database";
import { ProgramRun, runProgram } from "../helpers/program";

let pi: ProgramRun;
beforeAll(async () => {
    pi = await runProgram("pi-cluster");
});

const one = (run: ProgramRun, type: string, name: string) => run.ofType(type).find((r) => r.inputs.metadata.name === name)!;

describe("Database", () => {
    it("keeps its 5Gi volume on the configured node, with Retain", () => {
        const pv = one(pi, "kubernetes:core/v1:PersistentVolume", "postgres-data");
        expect(pv.inputs.spec).toMatchObject({
            capacity: { storage: "5Gi" },
            persistentVolumeReclaimPolicy: "Retain",
            local: { path: "/var/lib/picluster/postgres" },
            nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["worker-1"] }] }] } },
        });
    });

    it("follows the database node when it is configured elsewhere", () => {
        const spec = pinnedVolumeSpec({ node: "worker-4", size: "5Gi", hostPath: "/data", name: "a", user: "b", pool: { defaultPoolSize: 1, maxClientConn: 1 } }, "sc");
        expect(spec.nodeAffinity).toEqual({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["worker-4"] }] }] } });
    });

    it("protects the volume, its claim and the StatefulSet, and retains them on delete", () => {
        for (const [type, name] of [
            ["kubernetes:core/v1:PersistentVolume", "postgres-data"],
            ["kubernetes:core/v1:PersistentVolumeClaim", "postgres-data"],
            ["kubernetes:apps/v1:StatefulSet", "postgres"],
        ]) {
            const r = one(pi, type, name);
            expect({ name: r.name, protect: r.opts.protect, retainOnDelete: r.opts.retainOnDelete }).toEqual({ name: r.name, protect: true, retainOnDelete: true });
        }
    });

    it("runs Postgres 16.4 as one replica behind a headless Service, on the claimed volume, password from a Secret", () => {
        const sts = one(pi, "kubernetes:apps/v1:StatefulSet", "postgres");
        expect(sts.inputs.spec.replicas).toBe(1);
        expect(sts.inputs.spec.serviceName).toBe("postgres");
        const c = sts.inputs.spec.template.spec.containers[0];
        expect(c.image).toBe("docker.io/library/postgres:16.4");
        expect(c.envFrom).toEqual([{ secretRef: { name: "postgres-credentials" } }]);
        expect(sts.inputs.spec.template.spec.volumes).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "postgres-data" } }]);
        expect(one(pi, "kubernetes:core/v1:Service", "postgres").inputs.spec.clusterIP).toBe("None");
        expect(one(pi, "kubernetes:core/v1:PersistentVolumeClaim", "postgres-data").inputs.spec.volumeName).toBe("postgres-data");
        const secret = one(pi, "kubernetes:core/v1:Secret", "postgres-credentials");
        expect(secret.secretInputs).toContain("stringData");
        expect(secret.inputs.stringData.POSTGRES_PASSWORD).toBe("mock-random-secret-platform-database-password");
    });

    it("has the engine wait for its claim to be Bound, not for the Pending that a claim naming its volume may never show", () => {
        const claim = one(pi, "kubernetes:core/v1:PersistentVolumeClaim", "postgres-data");
        expect(claim.inputs.metadata.annotations).toEqual({ "pulumi.com/waitFor": "jsonpath={.status.phase}=Bound" });
        expect(claim.inputs.metadata.annotations).toEqual(CLAIM_BOUND);
        const storageClass = pi.ofType("kubernetes:storage.k8s.io/v1:StorageClass")[0];
        expect(storageClass.inputs.volumeBindingMode).toBe("WaitForFirstConsumer");
    });

    it("puts PgBouncer between Django and Postgres, with a fixed pool", () => {
        const bouncer = one(pi, "kubernetes:core/v1:ConfigMap", "pgbouncer-config");
        expect(bouncer.inputs.data).toMatchObject({ DB_HOST: "postgres", DEFAULT_POOL_SIZE: "20", MAX_CLIENT_CONN: "500" });
        const django = one(pi, "kubernetes:core/v1:ConfigMap", "django-api-config");
        expect(django.inputs.data.POSTGRES_HOST).toBe("pgbouncer");
    });

    it("lets only PgBouncer reach Postgres and only Django reach PgBouncer", () => {
        const policies = Object.fromEntries(pi.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => [p.inputs.metadata.name, p.inputs.spec]));
        expect(policies["postgres-from-pgbouncer"]).toEqual({
            podSelector: { matchLabels: { app: "postgres" } },
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ podSelector: { matchLabels: { app: "pgbouncer" } } }], ports: [{ protocol: "TCP", port: 5432 }] }],
        });
        expect(policies["pgbouncer-from-django-api"].ingress[0].from).toEqual([{ podSelector: { matchLabels: { app: "django-api" } } }]);
        // No other policy opens the database pods to an app (the namespace denies by default; monitoring may scrape every pod).
        const toDatabase = Object.entries(policies).filter(([, spec]) => ["postgres", "pgbouncer"].includes((spec as { podSelector: { matchLabels?: { app?: string } } }).podSelector.matchLabels?.app ?? "")).map(([n]) => n);
        expect(toDatabase.sort()).toEqual(["pgbouncer-from-django-api", "postgres-from-pgbouncer"]);
    });
});
