/**
 * The Docker Compose baseline runs the cluster's own containers with the
 * cluster's own settings, so "cluster vs local" compares placement, not
 * configuration. (Docker cannot run here; the file is checked against the
 * program's registered objects.)
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ProgramRun, ROOT, runProgram } from "../helpers/program";

const compose = YAML.parse(fs.readFileSync(path.join(ROOT, "baseline/compose.yaml"), "utf8"));
const services = compose.services as Record<string, { image: string; environment?: Record<string, string>; ports?: string[]; volumes?: string[] }>;

let pi: ProgramRun;
beforeAll(async () => {
    pi = await runProgram("pi-cluster");
});

const configMap = (name: string) => pi.ofType("kubernetes:core/v1:ConfigMap").find((r) => r.inputs.metadata.name === name)!.inputs.data as Record<string, string>;
const secretKeys = (name: string) => Object.keys(pi.ofType("kubernetes:core/v1:Secret").find((r) => r.inputs.metadata.name === name)!.inputs.stringData ?? {});
const deploymentImage = (name: string) => pi.ofType("kubernetes:apps/v1:Deployment").find((r) => r.inputs.metadata.name === name)!.inputs.spec.template.spec.containers[0].image;

describe("the Docker Compose baseline", () => {
    it("has exactly the four containers of the thesis's baseline", () => {
        expect(Object.keys(services).sort()).toEqual(["django-api", "idaes-worker", "pgbouncer", "postgres"]);
    });

    it("runs the images the cluster runs", () => {
        expect(services["django-api"].image).toBe(deploymentImage("django-api"));
        expect(services["idaes-worker"].image).toBe(deploymentImage("idaes-worker"));
        expect(services.pgbouncer.image).toBe(deploymentImage("pgbouncer"));
        const sts = pi.ofType("kubernetes:apps/v1:StatefulSet").find((r) => r.inputs.metadata.name === "postgres")!;
        expect(services.postgres.image).toBe(sts.inputs.spec.template.spec.containers[0].image);
    });

    it("configures Django and PgBouncer as the cluster does, with service names for hosts", () => {
        const django = services["django-api"].environment!;
        const cluster = configMap("django-api-config");
        expect(Object.keys(django).sort()).toEqual([...Object.keys(cluster), ...secretKeys("django-api-secret")].sort());
        for (const key of ["POSTGRES_PORT", "POSTGRES_DB", "RUNTIME_MODE"]) expect(django[key]).toBe(cluster[key]);
        expect(django.POSTGRES_HOST).toBe("pgbouncer");
        expect(django.IDAES_SERVICE_URL).toBe("http://idaes-worker:8080");
        expect(cluster.IDAES_SERVICE_URL).toMatch(/:8080$/);

        const bouncer = services.pgbouncer.environment!;
        const clusterBouncer = configMap("pgbouncer-config");
        expect(Object.keys(bouncer).sort()).toEqual([...Object.keys(clusterBouncer), ...secretKeys("pgbouncer-secret")].sort());
        for (const [k, v] of Object.entries(clusterBouncer)) expect({ [k]: bouncer[k] }).toEqual({ [k]: v });
    });

    it("takes the password from the environment and commits none", () => {
        for (const [name, svc] of Object.entries(services)) {
            for (const [key, value] of Object.entries(svc.environment ?? {})) {
                if (/PASSWORD/.test(key)) expect({ service: name, key, value }).toEqual({ service: name, key, value: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" });
            }
        }
    });

    it("keeps the database on a named volume and serves the API on loopback only", () => {
        expect(services.postgres.volumes).toEqual(["postgres-data:/var/lib/postgresql/data"]);
        expect(compose.volumes).toHaveProperty("postgres-data");
        expect(services["django-api"].ports).toEqual(["127.0.0.1:8000:8000"]);
        const published = Object.entries(services).filter(([, s]) => s.ports).map(([n]) => n);
        expect(published).toEqual(["django-api"]);
    });

    it("pins every image by version", () => {
        for (const svc of Object.values(services)) expect(svc.image).toMatch(/:[^:/]+$/);
        for (const svc of Object.values(services)) expect(svc.image).not.toMatch(/:latest$/);
    });
});
