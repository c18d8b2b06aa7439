import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { scratchDir } from "../helpers/tmp";
import { containerEnv, CookieJar, gatewayPlan, GATEWAY_NET, inGatewayNetns, isTraefikDefaultCert, mockIssuerAddress, mountedConfigMaps, netnsUp, parseSetCookie, relocate, traefikStaticConfig } from "../../harness/gateway";

const pod = (app: string, ip: string | undefined, port: number, ready = true) => ({
    metadata: { name: `${app}-x`, labels: { app } },
    spec: { containers: [{ name: app, ports: [{ containerPort: port }] }] },
    status: { ...(ip ? { podIP: ip } : {}), conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});
const svc = (name: string, clusterIP: string) => ({ metadata: { name }, spec: { clusterIP } });

describe("gatewayPlan", () => {
    const pods = [pod("frontend", "10.42.0.5", 80), pod("django-api", "10.42.0.6", 8000), pod("django-api", "10.42.0.7", 8000), pod("django-api", "10.42.0.9", 8000, false), pod("oauth2-proxy", "10.42.0.8", 4180), pod("idaes-worker", "10.42.0.10", 8080)];
    const services = [svc("oauth2-proxy", "10.43.0.20"), svc("postgres", "None"), svc("frontend", "10.43.0.21")];

    it("binds a stand-in on every ready front-end and Django pod, and names each Service by its ClusterIP", () => {
        const plan = gatewayPlan("ahuora", pods, services);
        expect(plan.backends).toEqual([
            { name: "frontend", ip: "10.42.0.5", port: 80 },
            { name: "django-api", ip: "10.42.0.6", port: 8000 },
            { name: "django-api", ip: "10.42.0.7", port: 8000 },
        ]);
        expect(plan.proxyIps).toEqual(["10.42.0.8"]);
        expect(plan.addresses).toEqual(["10.42.0.5", "10.42.0.6", "10.42.0.7", "10.42.0.8", "10.43.0.20", "10.43.0.21"]);
        expect(plan.hosts).toContain("10.43.0.20 oauth2-proxy.ahuora.svc.cluster.local oauth2-proxy.ahuora.svc\n");
        expect(plan.hosts).not.toContain("postgres");
    });

    it("resolves the Ingress hosts to Traefik's address inside the namespace, each once", () => {
        const plan = gatewayPlan("ahuora", pods, services, ["ahuora.org.nz", "api.ahuora.org.nz", "auth.ahuora.org.nz", "api.ahuora.org.nz"]);
        expect(plan.hosts.split("\n")).toContain(`${GATEWAY_NET.inside} ahuora.org.nz api.ahuora.org.nz auth.ahuora.org.nz`);
        expect(gatewayPlan("ahuora", pods, services).hosts).not.toContain(GATEWAY_NET.inside);
    });

    it("refuses a host whose pods are not ready, naming the app", () => {
        expect(() => gatewayPlan("ahuora", pods.filter((p) => p.metadata.labels.app !== "oauth2-proxy"), services)).toThrow("namespace ahuora: no ready pod with an address for app=oauth2-proxy");
        expect(() => gatewayPlan("ahuora", [pod("frontend", undefined, 80), ...pods.slice(1)], services)).toThrow("app=frontend");
    });
});

describe("the OAuth2 Proxy Deployment's settings", () => {
    const container = {
        name: "oauth2-proxy",
        envFrom: [{ configMapRef: { name: "oauth2-proxy-config" } }, { secretRef: { name: "oauth2-proxy-secret" } }],
        env: [{ name: "EXTRA", value: "1" }],
        volumeMounts: [{ name: "emails", mountPath: "/etc/oauth2-proxy/emails" }],
    };
    const podSpec = { volumes: [{ name: "emails", configMap: { name: "oauth2-proxy-emails" } }], containers: [container] };
    const configMaps = {
        "oauth2-proxy-config": { OAUTH2_PROXY_PROVIDER: "oidc", OAUTH2_PROXY_AUTHENTICATED_EMAILS_FILE: "/etc/oauth2-proxy/emails/allowed-emails.txt", EXTRA: "0" },
        "oauth2-proxy-emails": { "allowed-emails.txt": "dev@ahuora.org.nz\n" },
    };
    const secrets = { "oauth2-proxy-secret": { OAUTH2_PROXY_CLIENT_SECRET: "s3" } };

    it("assembles the environment as the kubelet does: envFrom in order, then env", () => {
        expect(containerEnv(container, configMaps, secrets)).toEqual({
            OAUTH2_PROXY_PROVIDER: "oidc",
            OAUTH2_PROXY_AUTHENTICATED_EMAILS_FILE: "/etc/oauth2-proxy/emails/allowed-emails.txt",
            OAUTH2_PROXY_CLIENT_SECRET: "s3",
            EXTRA: "1",
        });
    });

    it("fails on a referenced object that is missing", () => {
        expect(() => containerEnv(container, configMaps, {})).toThrow("container oauth2-proxy: envFrom Secret oauth2-proxy-secret not found");
    });

    it("finds the mounted ConfigMap files and points the settings at their new place", () => {
        expect(mountedConfigMaps(podSpec, container, configMaps)).toEqual({ "/etc/oauth2-proxy/emails": { "allowed-emails.txt": "dev@ahuora.org.nz\n" } });
        const env = relocate({ A: "/etc/oauth2-proxy/emails/allowed-emails.txt", B: "/etc/oauth2-proxy/emailsX", C: "x" }, { "/etc/oauth2-proxy/emails": "/tmp/run/mount-0" });
        expect(env).toEqual({ A: "/tmp/run/mount-0/allowed-emails.txt", B: "/etc/oauth2-proxy/emailsX", C: "x" });
    });
});

describe("mockIssuerAddress", () => {
    it("serves the issuer only on the namespace's address, under /oidc", () => {
        expect(mockIssuerAddress(`https://${GATEWAY_NET.inside}:9443/oidc`)).toBe(`${GATEWAY_NET.inside}:9443`);
        for (const bad of ["https://idp.example.org/oidc", `http://${GATEWAY_NET.inside}:9443/oidc`, `https://${GATEWAY_NET.inside}/oidc`, `https://${GATEWAY_NET.inside}:9443/realms/x`]) {
            expect(() => mockIssuerAddress(bad)).toThrow(`auth.issuerUrl: expected https://${GATEWAY_NET.inside}:<port>/oidc (what the gateway harness serves with mockoidc), got ${bad}`);
        }
    });
});

describe("the namespace", () => {
    it("runs a program inside it with ip netns exec", () => {
        const cmd = inGatewayNetns("/bin/loadgen", ["run", "--plan", "p.json"]);
        expect(cmd.file).toMatch(/(^|\/)ip$/);
        expect(cmd.args).toEqual(["netns", "exec", GATEWAY_NET.netns, "/bin/loadgen", "run", "--plan", "p.json"]);
    });

    it("puts the addresses on the namespace's loopback and routes only the API server's address out", () => {
        const cmds = netnsUp(["10.42.0.5", "10.43.0.20"], "198.18.0.1").map((a) => a.join(" "));
        expect(cmds).toContain(`netns exec ${GATEWAY_NET.netns} ip addr add 10.42.0.5/32 dev ${GATEWAY_NET.podsIf}`);
        expect(cmds).toContain(`netns exec ${GATEWAY_NET.netns} ip addr add 10.43.0.20/32 dev ${GATEWAY_NET.podsIf}`);
        expect(cmds.filter((c) => / route /.test(c))).toEqual([`netns exec ${GATEWAY_NET.netns} ip route add 198.18.0.1/32 via ${GATEWAY_NET.host}`]);
        expect(cmds[0]).toBe(`netns add ${GATEWAY_NET.netns}`);
    });

    it("runs Traefik on the namespace's address, reading the API server, publishing no Ingress status", () => {
        const yaml = traefikStaticConfig({ endpoint: "https://198.18.0.1:16443", caFile: "/x/ca.crt", token: "tok" });
        expect(yaml).toContain(`websecure: { address: "${GATEWAY_NET.inside}:443", http: { tls: {} } }`);
        expect(yaml.match(/endpoint: https:\/\/198\.18\.0\.1:16443/g)).toHaveLength(2);
        expect(yaml).not.toContain("ingressEndpoint");
    });
});

describe("cookies", () => {
    it("keeps a domain cookie for its subdomains, a host-only cookie for its host, and refuses a foreign domain", () => {
        const jar = new CookieJar();
        jar.store(["_oauth2_proxy=abc; Path=/; Domain=.ahuora.org.nz; HttpOnly; Secure", "host=1; Path=/", "bad=1; Domain=evil.example"], "auth.ahuora.org.nz");
        expect(jar.header("api.ahuora.org.nz", true)).toBe("_oauth2_proxy=abc");
        expect(jar.header("auth.ahuora.org.nz", true)).toBe("_oauth2_proxy=abc; host=1");
        expect(jar.header("api.ahuora.org.nz", false)).toBeUndefined();
        expect(jar.names()).not.toContain("bad");
    });

    it("drops a cookie the server expires", () => {
        const jar = new CookieJar();
        jar.store(["csrf=1; Domain=ahuora.org.nz"], "ahuora.org.nz");
        jar.store(["csrf=; Domain=ahuora.org.nz; Max-Age=0"], "auth.ahuora.org.nz");
        expect(jar.names()).toEqual([]);
        expect(parseSetCookie("novalue", "a.nz")).toBeNull();
    });
});

describe("isTraefikDefaultCert", () => {
    /** A certificate made by openssl: self-signed with `subject`, or signed by another key. */
    function cert(subject: string, signedByOther = false): Buffer {
        const dir = scratchDir("gateway-cert");
        const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
        if (!signedByOther) {
            run(["req", "-x509", ...ec, "-keyout", "k.pem", "-out", "c.pem", "-days", "1", "-subj", subject]);
        } else {
            run(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", subject]);
            run(["req", ...ec, "-keyout", "k.pem", "-out", "c.csr", "-subj", subject]);
            run(["x509", "-req", "-in", "c.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "c.pem", "-days", "1"]);
        }
        return new crypto.X509Certificate(fs.readFileSync(path.join(dir, "c.pem"))).raw;
    }

    it("trusts a certificate Traefik made for itself, and nothing else", () => {
        expect(isTraefikDefaultCert(cert("/CN=TRAEFIK DEFAULT CERT"))).toBe(true);
        expect(isTraefikDefaultCert(cert("/CN=ahuora.org.nz"))).toBe(false);
        // Same names, but signed by another key: not self-signed.
        expect(isTraefikDefaultCert(cert("/CN=TRAEFIK DEFAULT CERT", true))).toBe(false);
        expect(isTraefikDefaultCert(Buffer.from("not a certificate"))).toBe(false);
        expect(isTraefikDefaultCert(undefined)).toBe(false);
    });
});
