import { PRIORITY_CLASSES } from "../../components/foundation";
import { ProgramRun, runProgram, withPlatform } from "../helpers/program";

let dev: ProgramRun;
beforeAll(async () => {
    dev = await runProgram("dev", withPlatform("dev"));
});

describe("Foundation", () => {
    it("ranks database, gateway and auth above the workloads", () => {
        const value = (name: string) => dev.ofType("kubernetes:scheduling.k8s.io/v1:PriorityClass").find((p) => p.inputs.metadata.name === name)!.inputs.value;
        for (const tier of ["database", "gateway", "auth"] as const) {
            expect(value(PRIORITY_CLASSES[tier].name)).toBeGreaterThan(value(PRIORITY_CLASSES.workload.name));
        }
        for (const pc of dev.ofType("kubernetes:scheduling.k8s.io/v1:PriorityClass")) expect(pc.inputs.globalDefault).toBe(false);
    });

    it("assigns the tiers: Postgres and PgBouncer database, OAuth2 Proxy auth, the rest workload", () => {
        const tierOf = (kind: string, name: string) =>
            dev.ofType(kind).find((d) => d.inputs.metadata.name === name)!.inputs.spec.template.spec.priorityClassName;
        expect(tierOf("kubernetes:apps/v1:StatefulSet", "postgres")).toBe("picluster-database");
        expect(tierOf("kubernetes:apps/v1:Deployment", "pgbouncer")).toBe("picluster-database");
        expect(tierOf("kubernetes:apps/v1:Deployment", "oauth2-proxy")).toBe("picluster-auth");
        for (const app of ["django-api", "frontend", "idaes-worker"]) expect(tierOf("kubernetes:apps/v1:Deployment", app)).toBe("picluster-workload");
    });

    it("creates the platform namespace and a no-provisioner storage class for pinned volumes", () => {
        expect(dev.ofType("kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name)).toEqual(["ahuora"]);
        const [sc] = dev.ofType("kubernetes:storage.k8s.io/v1:StorageClass");
        expect(sc.inputs).toMatchObject({ provisioner: "kubernetes.io/no-provisioner", volumeBindingMode: "WaitForFirstConsumer", reclaimPolicy: "Retain" });
    });

    it("keeps the namespace on destroy or rename: deleting it would take the database's StatefulSet and claim with it", () => {
        const [ns] = dev.ofType("kubernetes:core/v1:Namespace");
        expect(ns.opts.retainOnDelete).toBe(true);
    });
});
