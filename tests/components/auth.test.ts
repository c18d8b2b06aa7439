import { cookieDomain, providerEnv } from "../../components/auth";
import { ProgramRun, runProgram, TEST_SECRETS } from "../helpers/program";

let pi: ProgramRun;
let dev: ProgramRun;
beforeAll(async () => {
    pi = await runProgram("pi-cluster");
    dev = await runProgram("dev");
});

const proxyConfig = (run: ProgramRun) => run.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === "oauth2-proxy-config")!.inputs.data;

describe("Auth (OAuth2 Proxy)", () => {
    it("uses Google, the allow-listed emails, and the auth host's callback", () => {
        const env = pi.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === "oauth2-proxy-config")!.inputs.data;
        expect(env).toMatchObject({
            OAUTH2_PROXY_PROVIDER: "google",
            OAUTH2_PROXY_CLIENT_ID: "000000000000-replace-me.apps.googleusercontent.com",
            OAUTH2_PROXY_REDIRECT_URL: "https://auth.ahuora.org.nz/oauth2/callback",
            OAUTH2_PROXY_COOKIE_DOMAINS: ".ahuora.org.nz",
            OAUTH2_PROXY_AUTHENTICATED_EMAILS_FILE: "/etc/oauth2-proxy/emails/allowed-emails.txt",
        });
        const emails = pi.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === "oauth2-proxy-emails")!;
        expect(emails.inputs.data["allowed-emails.txt"]).toBe("operator@ahuora.org.nz\n");
    });

    it("keeps the client secret and a random 32-byte cookie secret in a Secret, never a ConfigMap", () => {
        const secret = pi.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === "oauth2-proxy-secret")!;
        expect(secret.secretInputs).toContain("stringData");
        expect(secret.inputs.stringData.OAUTH2_PROXY_CLIENT_SECRET).toBe(TEST_SECRETS["picluster:oauthClientSecret"]);
        expect(secret.inputs.stringData.OAUTH2_PROXY_COOKIE_SECRET).toBe("mock-random-secret-platform-auth-cookie-secret");
        const cookie = pi.byName("platform-auth-cookie-secret");
        expect(cookie.inputs).toMatchObject({ length: 32, special: false });
    });

    it("derives OAuth2 Proxy's provider flags from auth.provider", () => {
        expect(providerEnv({ provider: "google", clientId: "c", allowedEmails: ["a@b.nz"] })).toEqual({ OAUTH2_PROXY_PROVIDER: "google" });
        expect(providerEnv({ provider: "oidc", issuerUrl: "https://idp.example.org/realms/x", clientId: "c", allowedEmails: ["a@b.nz"] })).toEqual({
            OAUTH2_PROXY_PROVIDER: "oidc",
            OAUTH2_PROXY_OIDC_ISSUER_URL: "https://idp.example.org/realms/x",
        });
    });

    it("deploys the dev stack's OAuth2 Proxy against its OpenID Connect issuer, and pi-cluster's against Google with no issuer", () => {
        expect(proxyConfig(dev)).toMatchObject({ OAUTH2_PROXY_PROVIDER: "oidc", OAUTH2_PROXY_OIDC_ISSUER_URL: "https://198.18.2.2:9443/oidc", OAUTH2_PROXY_CLIENT_ID: "dev-client-id" });
        expect(proxyConfig(pi)).not.toHaveProperty("OAUTH2_PROXY_OIDC_ISSUER_URL");
    });

    it("derives the cookie domain shared by all three hosts, and refuses hosts with none", () => {
        expect(cookieDomain({ frontend: "ahuora.org.nz", api: "api.ahuora.org.nz", auth: "auth.ahuora.org.nz" })).toBe(".ahuora.org.nz");
        expect(() => cookieDomain({ frontend: "a.com", api: "api.b.com", auth: "auth.a.com" })).toThrow("expected hosts under one parent domain");
    });
});
