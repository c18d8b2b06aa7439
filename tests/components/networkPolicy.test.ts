import { peerOf, platformAllows } from "../../components/networkPolicy";
import { ProgramRun, runProgram, withPlatform } from "../helpers/program";

const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
let pi: ProgramRun;
let dev: ProgramRun;
beforeAll(async () => {
    pi = await runProgram("pi-cluster");
    dev = await runProgram("dev", withPlatform("dev"));
});

/** [policy name, pods it selects ("*" for all), source, port] for a run's policies. */
function paths(run: ProgramRun): [string, string, string, number | undefined][] {
    return run
        .ofType(POLICY)
        .filter((p) => p.inputs.spec.ingress !== undefined)
        .map((p) => {
            const rule = p.inputs.spec.ingress[0];
            const peer = rule.from[0];
            const source = peer.podSelector?.matchLabels?.app ?? `${peer.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]}${peer.podSelector ? `/${Object.values(peer.podSelector.matchLabels).join(",")}` : ""}`;
            return [p.inputs.metadata.name, p.inputs.spec.podSelector.matchLabels?.app ?? "*", source, rule.ports?.[0]?.port] as [string, string, string, number | undefined];
        })
        .sort((a, b) => a[0].localeCompare(b[0]));
}

describe("the platform namespace's NetworkPolicies", () => {
    it("deny all ingress by default", () => {
        const deny = pi.ofType(POLICY).find((p) => p.inputs.metadata.name === "default-deny-ingress")!;
        expect(deny.inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
        expect(deny.inputs.metadata.namespace).toBe("ahuora");
    });

    it("allow exactly Traefik to the three front doors, Django to PgBouncer and IDAES, PgBouncer to Postgres, and the monitoring agents", () => {
        expect(paths(pi)).toEqual([
            ["all-from-monitoring", "*", "monitoring", undefined],
            ["django-api-from-traefik", "django-api", "kube-system/traefik", 8000],
            ["frontend-from-traefik", "frontend", "kube-system/traefik", 80],
            ["idaes-worker-from-django-api", "idaes-worker", "django-api", 8080],
            ["oauth2-proxy-from-traefik", "oauth2-proxy", "kube-system/traefik", 4180],
            ["pgbouncer-from-django-api", "pgbouncer", "django-api", 5432],
            ["postgres-from-pgbouncer", "postgres", "pgbouncer", 5432],
        ]);
    });

    it("leave the monitoring path out when monitoring is off (the dev stack)", () => {
        expect(paths(dev).map((p) => p[0])).not.toContain("all-from-monitoring");
        expect(paths(dev)).toHaveLength(6);
    });

    it("admit every app that serves something from at least one source", () => {
        const served = new Set(paths(pi).map((p) => p[1]));
        const services = pi.ofType("kubernetes:core/v1:Service").filter((s) => s.inputs.metadata.namespace === "ahuora").map((s) => s.inputs.spec.selector.app);
        expect(services.filter((app) => !served.has(app))).toEqual([]);
    });
});

describe("peerOf", () => {
    it("selects an app in the same namespace, or pods by label in another namespace", () => {
        expect(peerOf({ app: "django-api" })).toEqual({ podSelector: { matchLabels: { app: "django-api" } } });
        expect(peerOf({ namespace: "monitoring" })).toEqual({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } });
        expect(platformAllows({ frontend: 1, api: 2, auth: 3, idaes: 4 }).map((a) => a.name)).toEqual(["frontend-from-traefik", "django-api-from-traefik", "oauth2-proxy-from-traefik", "idaes-worker-from-django-api"]);
    });
});
