import { chainAnnotation, CHAINS, middlewareSpecs } from "../../components/gateway";
import { ProgramRun, runProgram } from "../helpers/program";

let pi: ProgramRun;
beforeAll(async () => {
    pi = await runProgram("pi-cluster");
});

const ingress = (name: string) => pi.ofType("kubernetes:networking.k8s.io/v1:Ingress").find((i) => i.inputs.metadata.name === name)!;

describe("Gateway", () => {
    it.each([
        ["frontend-ingress", "ahuora.org.nz", "frontend", 80, "ahuora-oauth-signin@kubernetescrd,ahuora-oauth-forwarder@kubernetescrd"],
        ["api-ingress", "api.ahuora.org.nz", "django-api", 8000, "ahuora-django-cors@kubernetescrd,ahuora-oauth-forwarder@kubernetescrd"],
        ["auth-ingress", "auth.ahuora.org.nz", "oauth2-proxy", 4180, undefined],
    ])("%s routes %s to %s:%i through the chain of FACTS.md", (name, host, service, port, chain) => {
        const i = ingress(name);
        expect(i.inputs.spec.rules).toEqual([{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service, port: { number: port } } } }] } }]);
        expect(i.inputs.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"]).toBe(chain);
        expect(i.inputs.spec.ingressClassName).toBe("traefik");
        expect(i.inputs.spec.tls).toEqual([{ hosts: [host] }]);
    });

    it("orders each chain as FACTS.md says Traefik needs it (outermost first)", () => {
        // Outermost first: the errors middleware must wrap forwardAuth to catch its 401.
        expect(CHAINS).toEqual({ frontend: ["oauth-signin", "oauth-forwarder"], api: ["django-cors", "oauth-forwarder"], auth: [] });
        expect(chainAnnotation("ns", [])).toBe("");
    });

    it("forwards auth to OAuth2 Proxy, which answers the API with 401 (never a redirect), and sends the front-end to sign-in with a 302", () => {
        const mw = Object.fromEntries(pi.ofType("kubernetes:traefik.io/v1alpha1:Middleware").map((m) => [m.inputs.metadata.name, m.inputs.spec]));
        expect(Object.keys(mw).sort()).toEqual(["django-cors", "oauth-forwarder", "oauth-signin"]);
        expect(mw["oauth-forwarder"].forwardAuth.address).toBe("http://oauth2-proxy.ahuora.svc.cluster.local:4180/oauth2/auth");
        expect(mw["oauth-signin"].errors).toEqual({ status: ["401-403"], service: { name: "oauth2-proxy", port: 4180 }, query: "/oauth2/sign_in?rd={url}", statusRewrites: { "401": 302 } });
        expect(mw["django-cors"].headers.accessControlAllowOriginList).toEqual(["https://ahuora.org.nz"]);
        expect(mw["django-cors"].headers.accessControlAllowCredentials).toBe(true);
    });

    it("takes CORS origins from config when given", () => {
        const specs = middlewareSpecs(
            { namespace: "x", domains: { frontend: "a.nz", api: "api.a.nz", auth: "auth.a.nz" }, corsOrigins: ["https://staging.a.nz"], auth: { service: "oauth2-proxy", port: 4180 } },
            "oauth2-proxy",
        );
        expect((specs["django-cors"] as any).headers.accessControlAllowOriginList).toEqual(["https://staging.a.nz"]);
    });
});
