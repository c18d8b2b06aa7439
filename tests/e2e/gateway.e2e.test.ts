/**
 * End to end: the gateway as users meet it (FACTS.md, issue #14), with real Traefik,
 * real OAuth2 Proxy and an OpenID Connect provider (mockoidc), on exactly the
 * Middlewares, Ingresses and OAuth2 Proxy settings a `pulumi up` of the dev stack
 * deployed to a local control plane. harness/gateway.ts runs them in a network
 * namespace on the pods' addresses, with stand-ins for the front-end and Django.
 *
 * Its own stack, `e2e-gateway`, on its own backend, and its own cluster, started
 * afresh and removed afterwards (a running dev cluster is stopped first, its data
 * kept). Needs root (network namespaces, the simulated nodes).
 */
import * as tls from "tls";
import { CookieJar, Gateway, GATEWAY_NET, signIn as signInAt } from "../../harness/gateway";
import { GatewayStack } from "../../harness/gatewayStack";
import { testSettings } from "../helpers/program";

const STACK = new GatewayStack("e2e-gateway", "picluster-e2e", { "picluster:oauthClientSecret": "e2e-oauth-client-secret-5b7e" });

const settings = testSettings("dev");
const { domains } = settings.platform;
const ALLOWED = settings.auth.allowedEmails[0];
const FRONTEND_ORIGIN = `https://${domains.frontend}`;

let gw: Gateway;

beforeAll(async () => {
    ({ gw } = await STACK.start());
}, 1_800_000);

afterAll(() => STACK.stop(), 300_000);

/** Follow the sign-in from a front-end URL as `email` (harness/gateway.ts); the jar keeps the cookies. */
async function signIn(email: string, jar: CookieJar) {
    const steps = await signInAt(gw, domains, email, jar);
    expect([steps.start.status, steps.authorize.status]).toEqual([302, 302]);
    return steps;
}

describe("the gateway on the deployed objects", () => {
    it("1. front-end without a session: a redirect to sign-in that keeps the original URL", async () => {
        const r = await gw.request("https", domains.frontend, "/flowsheets/7?tab=units");
        expect(r.status).toBe(302);
        const to = new URL(r.headers.location!);
        // Straight to the provider's sign-in (OAuth2 Proxy skips its own button page)...
        expect(`${to.origin}${to.pathname}`).toBe(`${settings.auth.provider === "oidc" ? settings.auth.issuerUrl : ""}/authorize`);
        // ...coming back to the auth host, then to the page first asked for.
        expect(to.searchParams.get("redirect_uri")).toBe(`https://${domains.auth}/oauth2/callback`);
        // OAuth2 Proxy's state is "<nonce>:<rd>", the URL escaped once more.
        const state = to.searchParams.get("state") ?? "";
        expect(decodeURIComponent(state.slice(state.indexOf(":") + 1))).toBe(`${FRONTEND_ORIGIN}/flowsheets/7?tab=units`);
    });

    it("2a. API without a session: 401, never a redirect", async () => {
        const r = await gw.request("https", domains.api, "/api/unitops/unitops/?flowsheetOwner=1", { headers: { accept: "application/json" } });
        expect(r.status).toBe(401);
        expect(r.headers.location).toBeUndefined();
    });

    it("2b. a CORS preflight from the front-end's origin gets the allowed methods and headers", async () => {
        const r = await gw.request("https", domains.api, "/api/solve/idaes/", {
            method: "OPTIONS",
            headers: { origin: FRONTEND_ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-csrftoken" },
        });
        expect(r.status).toBe(200);
        expect(r.headers["access-control-allow-origin"]).toBe(FRONTEND_ORIGIN);
        expect(r.headers["access-control-allow-credentials"]).toBe("true");
        expect(String(r.headers["access-control-allow-methods"]).split(/,\s*/)).toEqual(expect.arrayContaining(["GET", "POST", "OPTIONS"]));
        expect(String(r.headers["access-control-allow-headers"]).toLowerCase().split(/,\s*/)).toEqual(expect.arrayContaining(["content-type", "x-csrftoken"]));
    });

    // Traefik still lists the allowed methods and headers to any origin; without an
    // Access-Control-Allow-Origin for it, the browser refuses the call all the same.
    it("2c. a preflight from an origin not allowed gets no CORS allowance", async () => {
        const r = await gw.request("https", domains.api, "/api/solve/idaes/", {
            method: "OPTIONS",
            headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
        });
        // Answered by the CORS middleware (not a missing route's 404), without an allowance.
        expect(r.status).toBe(200);
        expect(r.headers["access-control-allow-methods"]).toBeDefined();
        expect(r.headers["access-control-allow-origin"]).toBeUndefined();
    });

    it("3. the auth host answers without a session", async () => {
        const ping = await gw.request("https", domains.auth, "/ping");
        expect({ status: ping.status, body: ping.body.trim() }).toEqual({ status: 200, body: "OK" });
        const start = await gw.request("https", domains.auth, "/oauth2/start");
        expect(start.status).toBe(302);
    });

    it("4. signed in as an allowed email: the front-end and the API answer from their stand-ins, the API with the user's identity", async () => {
        const jar = new CookieJar();
        const { callback } = await signIn(ALLOWED, jar);
        expect(callback.status).toBe(302);
        expect(callback.headers.location).toBe(`${FRONTEND_ORIGIN}/flowsheets/7?tab=units`);
        expect(jar.names()).toContain("_oauth2_proxy");

        const page = await gw.request("https", domains.frontend, "/flowsheets/7?tab=units", { jar });
        expect(page.status).toBe(200);
        expect(JSON.parse(page.body)).toMatchObject({ backend: "frontend", path: "/flowsheets/7?tab=units" });

        const api = await gw.request("https", domains.api, "/api/unitops/unitops/?flowsheetOwner=1", { jar, headers: { origin: FRONTEND_ORIGIN } });
        expect(api.status).toBe(200);
        const seen = JSON.parse(api.body);
        expect(seen).toMatchObject({ backend: "django-api", path: "/api/unitops/unitops/?flowsheetOwner=1" });
        expect(seen.headers["x-auth-request-email"]).toBe(ALLOWED);
        expect(seen.headers["x-auth-request-user"]).toBe(ALLOWED);
        expect(api.headers["access-control-allow-origin"]).toBe(FRONTEND_ORIGIN);
    });

    it("5. an email outside the allow-list signs in at the provider and is refused", async () => {
        const jar = new CookieJar();
        const { callback } = await signIn(`outsider-${Date.now()}@example.com`, jar);
        expect(callback.status).toBe(403);
        expect(jar.names()).not.toContain("_oauth2_proxy");
        const api = await gw.request("https", domains.api, "/api/unitops/unitops/?flowsheetOwner=1", { jar });
        expect(api.status).toBe(401);
    });

    it("6. TLS: Traefik serves its self-signed certificate, which the test trusts only explicitly", async () => {
        expect(gw.traefikCert).toMatchObject({ subject: "TRAEFIK DEFAULT CERT", issuer: "TRAEFIK DEFAULT CERT" });
        const refused = await new Promise<string>((resolve) => {
            const s = tls.connect({ host: GATEWAY_NET.inside, port: 443, servername: domains.frontend }, () => {
                s.end();
                resolve("trusted");
            });
            s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        });
        expect(refused).not.toBe("trusted");
        const explicit = await gw.request("https", domains.auth, "/ping");
        expect(explicit.status).toBe(200);
        expect(gw.seenCerts.size).toBeGreaterThan(0);
    });
});
