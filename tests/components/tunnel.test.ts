import { tunnelIngressRules, tunnelSecret } from "../../components/tunnel";
import { MOCK_SECRETS, ProgramRun, runProgram, withPlatform } from "../helpers/program";

let pi: ProgramRun;
let dev: ProgramRun;
beforeAll(async () => {
    pi = await runProgram("pi-cluster");
    dev = await runProgram("dev", withPlatform("dev"));
});

describe("Tunnel", () => {
    it("creates a remotely configured tunnel with a random secret", () => {
        const [tunnel] = pi.ofType("cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared");
        expect(tunnel.inputs).toMatchObject({ accountId: "00000000000000000000000000000000", name: "picluster", configSrc: "cloudflare" });
        expect(tunnel.secretInputs).toContain("tunnelSecret");
    });

    it("makes the secret from a random password, never a RandomBytes (whose value the state keeps as its plain-text id)", () => {
        const [tunnel] = pi.ofType("cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared");
        const [password] = pi.ofType("random:index/randomPassword:RandomPassword").filter((r) => r.name.endsWith("-tunnel-secret"));
        expect(password.inputs).toMatchObject({ length: 44, special: false });
        expect(Buffer.from(tunnel.inputs.tunnelSecret, "base64").toString("utf8")).toBe(`${MOCK_SECRETS.randomPrefix}-${password.name}`);
        expect(pi.ofType("random:index/randomBytes:RandomBytes")).toEqual([]);
        expect(Buffer.from(tunnelSecret("a".repeat(44)), "base64")).toHaveLength(44);
        expect(() => tunnelSecret("short")).toThrow("tunnel secret: expected at least 32 random bytes, got 5");
    });

    it("routes the three hostnames to Traefik on 443 and everything else to 404", () => {
        const [config] = pi.ofType("cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig");
        const rules = config.inputs.config.ingresses;
        expect(rules.map((r: any) => [r.hostname, r.service])).toEqual([
            ["ahuora.org.nz", "https://traefik.kube-system.svc.cluster.local:443"],
            ["api.ahuora.org.nz", "https://traefik.kube-system.svc.cluster.local:443"],
            ["auth.ahuora.org.nz", "https://traefik.kube-system.svc.cluster.local:443"],
            [undefined, "http_status:404"],
        ]);
        expect((tunnelIngressRules(["x.nz"])[0] as { originRequest?: unknown }).originRequest).toEqual({ noTlsVerify: true, originServerName: "x.nz", httpHostHeader: "x.nz" });
    });

    it("points proxied CNAMEs at the tunnel", () => {
        const records = pi.ofType("cloudflare:index/dnsRecord:DnsRecord").map((r) => r.inputs);
        expect(records.map((r) => r.name)).toEqual(["ahuora.org.nz", "api.ahuora.org.nz", "auth.ahuora.org.nz"]);
        for (const r of records) {
            expect(r).toMatchObject({ type: "CNAME", proxied: true, zoneId: "00000000000000000000000000000000" });
            expect(r.content).toMatch(/\.cfargotunnel\.com$/);
        }
    });

    it("runs cloudflared on the control node (the K3s node with the internet) with the tunnel token from a Secret", () => {
        const d = pi.ofType("kubernetes:apps/v1:Deployment").find((x) => x.inputs.metadata.name === "cloudflared")!;
        expect(d.inputs.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
            { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["control"] }] },
        ]);
        expect(d.inputs.spec.template.spec.priorityClassName).toBe("picluster-gateway");
        expect(d.inputs.spec.template.spec.containers[0].envFrom).toEqual([{ secretRef: { name: "cloudflared-secret" } }]);
        const s = pi.ofType("kubernetes:core/v1:Secret").find((x) => x.inputs.metadata.name === "cloudflared-secret")!;
        expect(s.inputs.stringData).toEqual({ TUNNEL_TOKEN: MOCK_SECRETS.tunnelToken });
        expect(s.secretInputs).toContain("stringData");
    });

    it("is off in the dev stack", () => {
        expect(dev.resources.filter((r) => r.type.startsWith("cloudflare:"))).toEqual([]);
    });
});
