/**
 * The gateway with real programs (issue #14): Traefik, OAuth2 Proxy and an OpenID
 * Connect provider, against the objects a `pulumi up` created on a local control
 * plane (scripts/cluster.sh). kwok's pods get addresses but run nothing, so this
 * makes a network namespace, puts the pods' and Services' addresses in it, and runs
 * there:
 *   - Traefik (the build cluster.sh runs), with its Kubernetes CRD and Ingress
 *     providers reading the API server: exactly the Middlewares and Ingresses deployed;
 *   - OAuth2 Proxy, with the environment its Deployment gives it (ConfigMap and
 *     Secret read from the API server; files of mounted ConfigMaps written to a
 *     private directory, the paths rewritten to it);
 *   - mockoidc (scripts/tools/mockoidc) at the issuer URL the stack configured;
 *   - stand-ins for the front-end and Django pods (gateway-backend.mjs).
 * The test, outside, reaches Traefik and the provider over a veth pair; nothing else
 * leaves the namespace (no default route; the host does not forward).
 *
 * Pure functions first (tests/harness/gateway.test.ts), then the runner.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import * as tls from "tls";
import { ROOT } from "./engine";
import { LocalCluster } from "./cluster";

/** The namespace and the veth pair between it and the host. */
export const GATEWAY_NET = {
    netns: "picluster-gw",
    hostIf: "pigw0",
    insideIf: "gw0",
    /**
     * Interface inside that holds the pods' and Services' addresses: the namespace's
     * loopback (a dummy interface needs a kernel module that may not be loadable).
     */
    podsIf: "lo",
    host: "198.18.2.1",
    /** Traefik's entry points and the mock provider listen here (the dev stack's issuer). */
    inside: "198.18.2.2",
    prefix: 30,
} as const;

/** The Deployments (app labels) behind the three hosts. */
export const GATEWAY_APPS = { frontend: "frontend", api: "django-api", auth: "oauth2-proxy" } as const;

type Obj = Record<string, any>;

export interface Backend {
    readonly name: string;
    readonly ip: string;
    readonly port: number;
}

export interface GatewayPlan {
    /** Stand-ins to bind: one per front-end and Django pod. */
    readonly backends: readonly Backend[];
    /** Pod addresses of OAuth2 Proxy (it listens on all addresses, as in its pod). */
    readonly proxyIps: readonly string[];
    /** Every address to put on the namespace's loopback: pods, then ClusterIPs. */
    readonly addresses: readonly string[];
    /**
     * /etc/hosts inside the namespace: each Service's cluster DNS name to its ClusterIP,
     * and the Ingress hosts to Traefik's address (what a client inside resolves them to:
     * `ip netns exec` mounts this file over /etc/hosts).
     */
    readonly hosts: string;
}

const podPort = (pod: Obj): number => {
    const port = pod.spec?.containers?.[0]?.ports?.[0]?.containerPort;
    if (typeof port !== "number") throw new Error(`pod ${pod.metadata?.name}: no container port`);
    return port;
};

/**
 * What to bind where, from the namespace's pods and Services as the API server has
 * them, and the hosts of its Ingresses. Only pods that are Ready and have an address
 * count (Traefik routes to those); a host's Deployment without one is an error naming it.
 */
export function gatewayPlan(namespace: string, pods: readonly Obj[], services: readonly Obj[], ingressHosts: readonly string[] = []): GatewayPlan {
    const ready = (p: Obj) => typeof p.status?.podIP === "string" && (p.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True");
    const of = (app: string) => pods.filter((p) => p.metadata?.labels?.app === app && ready(p));
    for (const app of Object.values(GATEWAY_APPS)) {
        if (of(app).length === 0) throw new Error(`namespace ${namespace}: no ready pod with an address for app=${app}`);
    }
    const backends = [GATEWAY_APPS.frontend, GATEWAY_APPS.api].flatMap((app) => of(app).map((p) => ({ name: app, ip: p.status.podIP as string, port: podPort(p) })));
    const proxyIps = of(GATEWAY_APPS.auth).map((p) => p.status.podIP as string);
    const clusterIps = services.filter((s) => typeof s.spec?.clusterIP === "string" && s.spec.clusterIP !== "None");
    const addresses = [...new Set([...backends.map((b) => b.ip), ...proxyIps, ...clusterIps.map((s) => s.spec.clusterIP as string)])];
    const hosts = [
        "127.0.0.1 localhost",
        ...clusterIps.map((s) => `${s.spec.clusterIP} ${s.metadata.name}.${namespace}.svc.cluster.local ${s.metadata.name}.${namespace}.svc`),
        ...(ingressHosts.length === 0 ? [] : [`${GATEWAY_NET.inside} ${[...new Set(ingressHosts)].join(" ")}`]),
        "",
    ].join("\n");
    return { backends, proxyIps, addresses, hosts };
}

/**
 * A container's environment as the kubelet would assemble it: `envFrom` in order
 * (ConfigMaps, then Secrets, later sources winning), then `env` values. Secret data
 * is given decoded. A missing referenced object is an error.
 */
export function containerEnv(container: Obj, configMaps: Readonly<Record<string, Record<string, string>>>, secrets: Readonly<Record<string, Record<string, string>>>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const from of container.envFrom ?? []) {
        const ref = from.configMapRef ?? from.secretRef;
        const source = from.configMapRef ? configMaps[ref.name] : secrets[ref.name];
        if (source === undefined) throw new Error(`container ${container.name}: envFrom ${from.configMapRef ? "ConfigMap" : "Secret"} ${ref.name} not found`);
        Object.assign(env, source);
    }
    for (const e of container.env ?? []) {
        if (typeof e.value !== "string") throw new Error(`container ${container.name}: env ${e.name} is not a plain value (not supported here)`);
        env[e.name] = e.value;
    }
    return env;
}

/** Files a container sees from ConfigMap volumes: mount path -> (file name -> content). */
export function mountedConfigMaps(podSpec: Obj, container: Obj, configMaps: Readonly<Record<string, Record<string, string>>>): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const m of container.volumeMounts ?? []) {
        const vol = (podSpec.volumes ?? []).find((v: Obj) => v.name === m.name);
        if (!vol?.configMap) continue;
        const data = configMaps[vol.configMap.name];
        if (data === undefined) throw new Error(`volume ${m.name}: ConfigMap ${vol.configMap.name} not found`);
        out[m.mountPath] = data;
    }
    return out;
}

/** Rewrite env values under a container mount path to where the files were written. */
export function relocate(env: Readonly<Record<string, string>>, moves: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) {
        const from = Object.keys(moves).find((m) => v === m || v.startsWith(`${m}/`));
        out[k] = from === undefined ? v : moves[from] + v.slice(from.length);
    }
    return out;
}

/**
 * Where mockoidc listens for an issuer URL: only an https issuer on the namespace's
 * own address (its issuer is `https://<listen address>/oidc`, compared verbatim).
 */
export function mockIssuerAddress(issuerUrl: string): string {
    const u = new URL(issuerUrl);
    if (u.protocol !== "https:" || u.hostname !== GATEWAY_NET.inside || u.port === "" || u.pathname !== "/oidc") {
        throw new Error(`auth.issuerUrl: expected https://${GATEWAY_NET.inside}:<port>/oidc (what the gateway harness serves with mockoidc), got ${issuerUrl}`);
    }
    return `${u.hostname}:${u.port}`;
}

/** Traefik's static config in the namespace: entry points inside, providers reading the API server. */
export function traefikStaticConfig(api: { endpoint: string; caFile: string; token: string }): string {
    const provider = `    endpoint: ${api.endpoint}\n    certAuthFilePath: ${api.caFile}\n    token: ${api.token}\n`;
    return [
        "entryPoints:",
        `  web: { address: "${GATEWAY_NET.inside}:80" }`,
        `  websecure: { address: "${GATEWAY_NET.inside}:443", http: { tls: {} } }`,
        "providers:",
        "  kubernetesCRD:",
        provider.trimEnd(),
        // No ingressEndpoint: the cluster's own Traefik publishes the Ingresses' status.
        "  kubernetesIngress:",
        provider.trimEnd(),
        "log: { level: INFO, noColor: true }",
        "",
    ].join("\n");
}

/** `ip` invocations that make the namespace (each an argv for `ip`). */
export function netnsUp(addresses: readonly string[], apiIp: string): string[][] {
    const n = GATEWAY_NET;
    const inNs = (...a: string[]) => ["netns", "exec", n.netns, "ip", ...a];
    return [
        ["netns", "add", n.netns],
        ["link", "add", n.hostIf, "type", "veth", "peer", "name", n.insideIf, "netns", n.netns],
        ["addr", "add", `${n.host}/${n.prefix}`, "dev", n.hostIf],
        ["link", "set", n.hostIf, "up"],
        inNs("link", "set", "lo", "up"),
        inNs("addr", "add", `${n.inside}/${n.prefix}`, "dev", n.insideIf),
        inNs("link", "set", n.insideIf, "up"),
        ...addresses.map((a) => inNs("addr", "add", `${a}/32`, "dev", n.podsIf)),
        // Only the API server's advertised address, through the host (a forwarder there).
        inNs("route", "add", `${apiIp}/32`, "via", n.host),
    ];
}

/**
 * Whether a DER certificate is one Traefik generated for itself: subject and issuer
 * both CN=TRAEFIK DEFAULT CERT, and signed with its own key (self-signed).
 */
export function isTraefikDefaultCert(der: Buffer | undefined): boolean {
    if (der === undefined || der.length === 0) return false;
    let x: crypto.X509Certificate;
    try {
        x = new crypto.X509Certificate(der);
    } catch {
        return false;
    }
    const cn = "CN=TRAEFIK DEFAULT CERT";
    return x.subject.split("\n").includes(cn) && x.issuer === x.subject && x.verify(x.publicKey);
}

// ---- cookies ----------------------------------------------------------------------

export interface Cookie {
    readonly name: string;
    readonly value: string;
    /** Lower-case domain without a leading dot; host-only when `hostOnly`. */
    readonly domain: string;
    readonly hostOnly: boolean;
    readonly secure: boolean;
}

/** One Set-Cookie header as a browser stores it for `host` (null: deleted or refused). */
export function parseSetCookie(header: string, host: string): Cookie | null {
    const [pair, ...attrs] = header.split(";").map((s) => s.trim());
    const eq = pair.indexOf("=");
    if (eq <= 0) return null;
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let domain = host.toLowerCase();
    let hostOnly = true;
    let secure = false;
    let expired = false;
    for (const a of attrs) {
        const [k, v = ""] = a.split("=");
        const key = k.toLowerCase();
        if (key === "domain" && v !== "") {
            const d = v.toLowerCase().replace(/^\./, "");
            // A browser refuses a cookie for a domain the host is not in.
            if (domain !== d && !domain.endsWith(`.${d}`)) return null;
            domain = d;
            hostOnly = false;
        } else if (key === "secure") secure = true;
        else if (key === "max-age" && Number(v) <= 0) expired = true;
        else if (key === "expires" && Date.parse(v) < Date.now()) expired = true;
    }
    if (expired) return { name, value: "", domain, hostOnly, secure };
    return { name, value, domain, hostOnly, secure };
}

/** A browser's cookie jar, as far as these tests need one (no paths, no expiry timers). */
export class CookieJar {
    private cookies: Cookie[] = [];

    store(setCookie: readonly string[] | undefined, host: string): void {
        for (const h of setCookie ?? []) {
            const c = parseSetCookie(h, host);
            if (c === null) continue;
            this.cookies = this.cookies.filter((o) => !(o.name === c.name && o.domain === c.domain));
            if (c.value !== "") this.cookies.push(c);
        }
    }

    /** The Cookie header for a request to `host` (undefined: none). */
    header(host: string, secure: boolean): string | undefined {
        const h = host.toLowerCase();
        const sent = this.cookies.filter((c) => (c.hostOnly ? h === c.domain : h === c.domain || h.endsWith(`.${c.domain}`)) && (secure || !c.secure));
        return sent.length === 0 ? undefined : sent.map((c) => `${c.name}=${c.value}`).join("; ");
    }

    names(): string[] {
        return this.cookies.map((c) => c.name);
    }
}

// ---- the runner -------------------------------------------------------------------

const TOOLS = path.join(ROOT, ".tools/bin");
/** `ip` by absolute path: the programs it starts get an environment without PATH. */
const IP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].find((f) => fs.existsSync(f)) ?? "ip";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The argv that runs `file` inside the gateway's namespace (`ip netns exec`, which also mounts its /etc/hosts). */
export function inGatewayNetns(file: string, args: readonly string[]): { file: string; args: string[] } {
    return { file: IP, args: ["netns", "exec", GATEWAY_NET.netns, file, ...args] };
}

function ip(args: readonly string[]): void {
    execFileSync(IP, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
}

/** Remove the namespace and its veth (idempotent: what a killed run left behind too). */
export function netnsDown(): void {
    for (const args of [["link", "del", GATEWAY_NET.hostIf], ["netns", "del", GATEWAY_NET.netns]]) {
        try {
            ip(args);
        } catch {
            /* not there */
        }
    }
    fs.rmSync(`/etc/netns/${GATEWAY_NET.netns}`, { recursive: true, force: true });
}

interface Proc {
    readonly name: string;
    readonly child: ChildProcess;
    /** Everything it printed (stdout and stderr), for failures. */
    output: string;
}

export interface Response {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

export interface RequestOptions {
    readonly method?: string;
    readonly headers?: Record<string, string>;
    readonly jar?: CookieJar;
}

/** What Traefik's certificate was when last read (`pinTraefikCert`). */
export interface PinnedCert {
    readonly fingerprint256: string;
    readonly subject: string;
    readonly issuer: string;
    readonly pem: string;
}

/** A running gateway; `stop()` ends every process it started and removes the namespace. */
export class Gateway {
    private procs: Proc[] = [];
    private forwarder?: net.Server;
    /** Traefik's certificate as last read (`pinTraefikCert`). */
    traefikCert?: PinnedCert;
    /** The test CA's certificate that signs the mock provider's. */
    caPem = "";
    plan?: GatewayPlan;

    private constructor(
        private readonly cluster: LocalCluster,
        readonly namespace: string,
        readonly dir: string,
    ) {}

    static async start(cluster: LocalCluster, namespace: string, dir: string): Promise<Gateway> {
        const g = new Gateway(cluster, namespace, dir);
        try {
            await g.run();
        } catch (e) {
            const logs = g.procs.map((p) => `--- ${p.name}\n${p.output.split("\n").slice(-30).join("\n")}`).join("\n");
            await g.stop();
            throw new Error(`${(e as Error).message}\n${logs}`);
        }
        return g;
    }

    private kube(kind: string): Obj[] {
        return (JSON.parse(this.cluster.kubectl(["get", kind, "-n", this.namespace, "-o", "json"])) as { items: Obj[] }).items;
    }

    private async run(): Promise<void> {
        fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        netnsDown();
        const pods = this.kube("pods");
        const services = this.kube("services");
        const plan = gatewayPlan(this.namespace, pods, services, this.ingressHosts());
        this.plan = plan;

        // The Deployment's own settings: env from its ConfigMap and Secret, files from its volumes.
        const deployment = this.kube("deployments").find((d) => d.metadata.name === GATEWAY_APPS.auth);
        if (deployment === undefined) throw new Error(`namespace ${this.namespace}: no Deployment ${GATEWAY_APPS.auth}`);
        const configMaps = Object.fromEntries(this.kube("configmaps").map((c) => [c.metadata.name as string, (c.data ?? {}) as Record<string, string>]));
        const podSpec = deployment.spec.template.spec;
        const container = podSpec.containers[0];
        // Only the Secrets its container names (not the namespace's others, e.g. the database's).
        const secrets = Object.fromEntries(
            (container.envFrom ?? [])
                .filter((f: Obj) => f.secretRef)
                .map((f: Obj) => {
                    const s = JSON.parse(this.cluster.kubectl(["get", "secret", f.secretRef.name, "-n", this.namespace, "-o", "json"])) as Obj;
                    return [s.metadata.name as string, Object.fromEntries(Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]))];
                }),
        );
        const mounts = mountedConfigMaps(podSpec, container, configMaps);
        const moves: Record<string, string> = {};
        Object.entries(mounts).forEach(([mountPath, files], i) => {
            const d = path.join(this.dir, `mount-${i}`);
            fs.mkdirSync(d, { recursive: true, mode: 0o700 });
            for (const [f, content] of Object.entries(files)) fs.writeFileSync(path.join(d, f), content, { mode: 0o600 });
            moves[mountPath] = d;
        });
        const proxyEnv = relocate(containerEnv(container, configMaps, secrets), moves);
        const issuer = proxyEnv.OAUTH2_PROXY_OIDC_ISSUER_URL;
        if (proxyEnv.OAUTH2_PROXY_PROVIDER !== "oidc" || issuer === undefined) {
            throw new Error(`OAuth2 Proxy's Deployment uses provider ${proxyEnv.OAUTH2_PROXY_PROVIDER}: the gateway harness needs auth.provider: oidc`);
        }
        const issuerAddr = mockIssuerAddress(issuer);

        // Certificates for the mock provider, from a CA the test and OAuth2 Proxy trust.
        const pki = path.join(this.dir, "pki");
        fs.mkdirSync(pki, { recursive: true, mode: 0o700 });
        const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: pki, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
        openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=picluster gateway e2e CA"]);
        openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "oidc.key", "-out", "oidc.csr", "-subj", "/CN=mockoidc"]);
        fs.writeFileSync(path.join(pki, "oidc.ext"), `subjectAltName=IP:${GATEWAY_NET.inside}\nbasicConstraints=CA:FALSE\n`);
        openssl(["x509", "-req", "-in", "oidc.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "oidc.crt", "-days", "1", "-extfile", "oidc.ext"]);
        this.caPem = fs.readFileSync(path.join(pki, "ca.crt"), "utf8");
        fs.writeFileSync(path.join(pki, "client-secret"), proxyEnv.OAUTH2_PROXY_CLIENT_SECRET ?? "", { mode: 0o600 });

        // The namespace, its addresses and names.
        const server = new URL(this.kubeServer());
        const apiIp = this.advertisedAddress();
        for (const args of netnsUp(plan.addresses, apiIp)) ip(args);
        fs.mkdirSync(`/etc/netns/${GATEWAY_NET.netns}`, { recursive: true });
        fs.writeFileSync(`/etc/netns/${GATEWAY_NET.netns}/hosts`, plan.hosts);

        // The API server listens on loopback only: forward its advertised address (in
        // its certificate) to it, for Traefik inside.
        await this.forward(apiIp, Number(server.port), server.hostname);

        // Processes, each inside the namespace.
        const mock = this.spawn("mockoidc", path.join(TOOLS, "mockoidc"), [
            `--addr=${issuerAddr}`,
            `--tls-cert=${path.join(pki, "oidc.crt")}`,
            `--tls-key=${path.join(pki, "oidc.key")}`,
            `--client-id=${proxyEnv.OAUTH2_PROXY_CLIENT_ID}`,
            `--client-secret-file=${path.join(pki, "client-secret")}`,
        ]);
        await this.waitFor(mock, /mockoidc listening/, 20_000);

        const backends = this.spawn("backends", process.execPath, [path.join(__dirname, "gateway-backend.mjs"), ...plan.backends.map((b) => `${b.name}=${b.ip}:${b.port}`)]);
        await this.waitFor(backends, /^ready$/m, 20_000);

        const proxy = this.spawn("oauth2-proxy", path.join(TOOLS, "oauth2-proxy"), [], { ...proxyEnv, SSL_CERT_FILE: path.join(pki, "ca.crt") });
        // It prints nothing once listening; this line comes after it read the provider's
        // discovery document. The auth host's /ping through Traefik (below) proves it serves.
        await this.waitFor(proxy, /OAuthProxy configured for/, 30_000);

        const token = this.cluster.kubectl(["-n", "default", "create", "token", "traefik-ingress-controller", "--duration=1h"]).trim();
        const traefikYaml = path.join(this.dir, "traefik.yaml");
        fs.writeFileSync(traefikYaml, traefikStaticConfig({ endpoint: `https://${apiIp}:${server.port}`, caFile: this.clusterCa(), token }), { mode: 0o600 });
        const traefik = this.spawn("traefik", path.join(TOOLS, "traefik"), [`--configFile=${traefikYaml}`]);
        const authHost = this.authHost;
        await this.until(30_000, async () => {
            if (traefik.child.exitCode !== null) throw new Error(`traefik exited with ${traefik.child.exitCode}`);
            return (await this.pinTraefikCert(authHost).catch(() => undefined)) !== undefined;
        }, "Traefik's TLS entry point");
        // Ready when every host has its router: Traefik answers 404 for a host it has no
        // router for, and the front-end's and the API's routers appear only once the CRD
        // provider has delivered the Middlewares they name (seen: the auth host ready
        // seconds before the other two). OAuth2 Proxy's /ping answers on the auth host.
        const hosts = this.ingressHosts();
        let last = "no answer yet";
        await this.until(60_000, async () => {
            for (const host of hosts) {
                const r = await this.request("https", host, host === authHost ? "/ping" : "/").catch((e: Error) => e);
                last = `${host}: ${r instanceof Error ? r.message : `${r.status} ${r.body.slice(0, 200)}`}`;
                if (r instanceof Error || r.status === 404 || (host === authHost && r.status !== 200)) return false;
            }
            return true;
        }, () => `every host's route (last: ${last})`);
    }

    /** The hosts of every Ingress the stack deployed. */
    private ingressHosts(): string[] {
        return this.kube("ingresses").flatMap((i) => (i.spec?.rules ?? []).map((r: Obj) => r.host as string));
    }

    /** The auth host, from the auth Ingress the stack deployed. */
    private get authHost(): string {
        const ing = this.kube("ingresses").find((i) => i.metadata.name === "auth-ingress");
        const host = ing?.spec?.rules?.[0]?.host;
        if (typeof host !== "string") throw new Error(`namespace ${this.namespace}: no auth-ingress with a host`);
        return host;
    }

    private kubeServer(): string {
        const m = /server:\s*(\S+)/.exec(fs.readFileSync(this.cluster.kubeconfig, "utf8"));
        if (!m) throw new Error(`${this.cluster.kubeconfig}: no server`);
        return m[1];
    }

    private clusterCa(): string {
        return path.join(this.cluster.dir, "pki/ca.crt");
    }

    /** The address the API server advertises (the `kubernetes` Service's endpoint). */
    private advertisedAddress(): string {
        const ep = JSON.parse(this.cluster.kubectl(["get", "endpoints", "kubernetes", "-n", "default", "-o", "json"])) as Obj;
        const addr = ep.subsets?.[0]?.addresses?.[0]?.ip;
        if (typeof addr !== "string") throw new Error("the kubernetes Service has no endpoint address");
        return addr;
    }

    private forward(listenIp: string, port: number, targetHost: string): Promise<void> {
        this.forwarder = net.createServer((c) => {
            const up = net.connect(port, targetHost);
            c.pipe(up).pipe(c);
            c.on("error", () => up.destroy());
            up.on("error", () => c.destroy());
        });
        return new Promise((resolve, reject) => {
            this.forwarder!.once("error", reject);
            this.forwarder!.listen(port, listenIp, () => resolve());
        });
    }

    private spawn(name: string, file: string, args: readonly string[], env?: Record<string, string>): Proc {
        const cmd = inGatewayNetns(file, args);
        const child = spawn(cmd.file, cmd.args, {
            // The programs see only what they are given (no secrets of this process's environment).
            env: env ?? { PATH: process.env.PATH ?? "/usr/bin:/bin" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const p: Proc = { name, child, output: "" };
        const keep = (b: Buffer) => {
            p.output = (p.output + b.toString("utf8")).slice(-64 * 1024);
        };
        child.stdout!.on("data", keep);
        child.stderr!.on("data", keep);
        this.procs.push(p);
        return p;
    }

    private async waitFor(p: Proc, pattern: RegExp, timeoutMs: number): Promise<void> {
        await this.until(timeoutMs, async () => {
            if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}`);
            return pattern.test(p.output);
        }, `${p.name} to print ${pattern}`);
    }

    private async until(timeoutMs: number, check: () => Promise<boolean>, what: string | (() => string) = "the gateway"): Promise<void> {
        const end = Date.now() + timeoutMs;
        while (Date.now() < end) {
            if (await check()) return;
            await sleep(200);
        }
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()}`);
    }

    /** Connect to Traefik once, and keep what it serves (self-signed inside, as on the cluster). */
    async pinTraefikCert(host: string): Promise<PinnedCert> {
        const cert = await new Promise<tls.PeerCertificate>((resolve, reject) => {
            const s = tls.connect({ host: GATEWAY_NET.inside, port: 443, servername: host, rejectUnauthorized: false }, () => {
                resolve(s.getPeerCertificate(true));
                s.end();
            });
            s.setTimeout(5000, () => s.destroy(new Error("TLS connect timed out")));
            s.once("error", reject);
        });
        const pem = `-----BEGIN CERTIFICATE-----\n${cert.raw.toString("base64").replace(/(.{64})/g, "$1\n").trim()}\n-----END CERTIFICATE-----\n`;
        const cn = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(",") : (v ?? ""));
        const pinned: PinnedCert = { fingerprint256: cert.fingerprint256, subject: cn(cert.subject?.CN), issuer: cn(cert.issuer?.CN), pem };
        this.traefikCert = pinned;
        return pinned;
    }

    /** Fingerprints of every certificate Traefik presented to `request`. */
    readonly seenCerts = new Set<string>();

    /**
     * One request through Traefik, as a browser on `host` would send it (no redirects
     * followed). https trusts only Traefik's own self-signed default certificate
     * (`isTraefikDefaultCert`), no CA: Traefik makes a new one on every change of its
     * dynamic configuration, so one fingerprint cannot be pinned for a whole run.
     */
    request(scheme: "http" | "https", host: string, pathAndQuery: string, opts: RequestOptions = {}): Promise<Response> {
        const headers: Record<string, string> = { host, ...(opts.headers ?? {}) };
        const cookie = opts.jar?.header(host, scheme === "https");
        if (cookie !== undefined) headers.cookie = cookie;
        const base = { host: GATEWAY_NET.inside, port: scheme === "https" ? 443 : 80, path: pathAndQuery, method: opts.method ?? "GET", headers, agent: false as const };
        if (scheme === "http") return send(http.request(base), host, opts.jar);
        const req = https.request({
            ...base,
            servername: host,
            // The CA check is replaced by the explicit rule below.
            rejectUnauthorized: false,
        });
        req.on("socket", (s: tls.TLSSocket) =>
            s.once("secureConnect", () => {
                const peer = s.getPeerCertificate();
                if (!isTraefikDefaultCert(peer.raw)) s.destroy(new Error(`${host}: not Traefik's self-signed default certificate`));
                else this.seenCerts.add(peer.fingerprint256);
            }),
        );
        return send(req, host, opts.jar);
    }

    /** A request to the mock provider (a URL it redirected to), trusting the test CA. */
    provider(url: string, jar?: CookieJar): Promise<Response> {
        const u = new URL(url);
        if (u.hostname !== GATEWAY_NET.inside) throw new Error(`not the mock provider: ${url}`);
        return send(https.request({ host: u.hostname, port: Number(u.port), path: `${u.pathname}${u.search}`, method: "GET", ca: this.caPem, agent: false }), u.host, jar);
    }

    async stop(): Promise<void> {
        for (const p of this.procs.reverse()) {
            if (p.child.exitCode === null && p.child.signalCode === null) {
                p.child.kill("SIGTERM");
                await Promise.race([new Promise((r) => p.child.once("exit", r)), sleep(5000)]);
                if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
            }
        }
        this.procs = [];
        await new Promise<void>((r) => (this.forwarder ? this.forwarder.close(() => r()) : r()));
        this.forwarder = undefined;
        netnsDown();
        // The OAuth client secret, the test CA's key and Traefik's API token were in here.
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

function send(req: http.ClientRequest, host: string, jar?: CookieJar): Promise<Response> {
    return new Promise((resolve, reject) => {
        req.setTimeout(10_000, () => req.destroy(new Error(`${host}: request timed out`)));
        req.once("error", reject);
        req.once("response", (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                jar?.store(res.headers["set-cookie"], host.replace(/:\d+$/, ""));
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
            });
        });
        req.end();
    });
}

export interface SignIn {
    /** The front-end page without a session: a redirect to the provider. */
    readonly start: Response;
    /** The provider's answer: a redirect back to the auth host's callback. */
    readonly authorize: Response;
    /** OAuth2 Proxy's callback: 302 to the page with a session cookie, or 403 for an email it refuses. */
    readonly callback: Response;
}

/**
 * Follow the sign-in from a front-end page as `email`, as a browser would; the jar
 * keeps the cookies. mockoidc takes who signs in from the URL (where a user would
 * type on the provider's login page). Throws, naming the step, when the flow does
 * not reach OAuth2 Proxy's callback; the callback's own answer is the caller's to judge.
 */
export async function signIn(gw: Gateway, domains: { readonly frontend: string; readonly auth: string }, email: string, jar: CookieJar, page = "/flowsheets/7?tab=units"): Promise<SignIn> {
    const start = await gw.request("https", domains.frontend, page, { jar });
    if (start.status !== 302 || start.headers.location === undefined) throw new Error(`sign-in: ${domains.frontend}${page} answered ${start.status}, expected a redirect to the provider`);
    const authorize = await gw.provider(`${start.headers.location}&mock_email=${encodeURIComponent(email)}`);
    if (authorize.status !== 302 || authorize.headers.location === undefined) throw new Error(`sign-in: the provider answered ${authorize.status}, expected a redirect back to ${domains.auth}`);
    const back = new URL(authorize.headers.location);
    if (back.origin !== `https://${domains.auth}`) throw new Error(`sign-in: the provider sent the browser to ${back.origin}, expected https://${domains.auth}`);
    const callback = await gw.request("https", back.host, `${back.pathname}${back.search}`, { jar });
    return { start, authorize, callback };
}
