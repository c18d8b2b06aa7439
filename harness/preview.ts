/**
 * `pulumi preview` of a tracked stack with the real engine and test secrets, as CI
 * and the engine benchmark run it: the tracked stack file as it is, secrets made
 * here (never real ones), a local file backend in .cache/preview/, no network.
 * Nothing on this machine is required beyond the tools: a stack's known_hosts file
 * (the dev stack reads the one sim/up.sh writes) is replaced by one made here, and
 * so is the dev stack's kubeconfig while its local control plane is not running.
 * Each stack runs as `ci-<stack>`, so no tracked file changes.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { EngineResult, EngineStack, ensureStack, previewSteps, PreviewStep, pulumi, ROOT, secretNeedles, setSecrets, writeStackConfig } from "./engine";
import { readStackFile } from "../config/stackFile";

const STATE = path.join(ROOT, ".cache/preview/state");

/** Test secrets for a preview; the Cloudflare provider checks its token's form even in a preview. */
function testSecrets(dir: string): Record<string, string> {
    const key = path.join(dir, "id_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ci-preview", "-f", key]);
    return {
        "picluster:sshPrivateKey": fs.readFileSync(key, "utf8"),
        "picluster:oauthClientSecret": "ci-preview-oauth-client-secret",
        "picluster:wifiPassword": "ci-preview-wifi-passphrase",
        "picluster:grafanaCloudToken": "ci-preview-grafana-cloud-token",
        "cloudflare:apiToken": "ciPreviewCloudflareToken_0123456789abcde", // 40 of [A-Za-z0-9_-]
    };
}

/** A known_hosts with a fresh key per node address. */
function knownHosts(stack: string, dir: string): string {
    const nodes = readStackFile(stack).config["picluster:nodes"] as { ip: string; sshHost?: string }[];
    const lines = nodes.map((n, i) => {
        const key = path.join(dir, `host${i}`);
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
        return `${n.sshHost ?? n.ip} ${fs.readFileSync(`${key}.pub`, "utf8").split(" ").slice(0, 2).join(" ")}`;
    });
    const file = path.join(dir, "known_hosts");
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
}

/**
 * A kubeconfig for a cluster that is not running (the dev stack's local control
 * plane before `npm run cluster:up`): the Kubernetes provider then previews its
 * objects without the API server's dry run, as it does for pi-cluster, whose
 * kubeconfig is not known until K3s runs.
 */
function unreachableKubeconfig(dir: string): string {
    const file = path.join(dir, "kubeconfig");
    const doc = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "not-running", cluster: { server: "https://127.0.0.1:9" } }],
        users: [{ name: "preview", user: { token: "not-a-token" } }],
        contexts: [{ name: "not-running", context: { cluster: "not-running", user: "preview" } }],
        "current-context": "not-running",
    };
    fs.writeFileSync(file, JSON.stringify(doc), { mode: 0o600 });
    return file;
}

export interface PreviewOutcome {
    readonly stack: string;
    readonly result: EngineResult;
    readonly steps: readonly PreviewStep[];
    /** Secret keys whose value the preview's output showed (must be none). */
    readonly leaked: readonly string[];
}

/** Preview one tracked stack (`pi-cluster`, `dev`) with test secrets, and config `extra` on top. */
export async function previewWithTestSecrets(stack: string, extra: Record<string, unknown> = {}): Promise<PreviewOutcome> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `picluster-preview-${stack}-`));
    try {
        const s: EngineStack = { name: `ci-${stack}`, stateDir: STATE, passphrase: "picluster-ci-preview" };
        const overrides: Record<string, unknown> = {};
        const { config } = readStackFile(stack);
        const ssh = config["picluster:ssh"] as Record<string, unknown> | undefined;
        if (ssh?.knownHostsFile !== undefined) overrides["picluster:ssh"] = { ...ssh, knownHostsFile: knownHosts(stack, dir) };
        const cluster = config["picluster:cluster"] as { kubeconfig?: { source: string; path?: string } } | undefined;
        if (cluster?.kubeconfig?.source === "file" && !fs.existsSync(path.resolve(ROOT, cluster.kubeconfig.path!))) {
            overrides["picluster:cluster"] = { ...cluster, kubeconfig: { source: "file", path: unreachableKubeconfig(dir) } };
        }
        writeStackConfig(path.join(ROOT, `Pulumi.${s.name}.yaml`), stack, { ...overrides, ...extra });
        await ensureStack(s);
        const secrets = testSecrets(dir);
        await setSecrets(s, secrets);
        const result = await pulumi(s, ["preview", "--json"], { timeoutMs: 15 * 60_000 });
        const output = `${result.stdout}${result.stderr}`;
        const leaked = Object.entries(secrets).filter(([, v]) => secretNeedles(v).some((n) => output.includes(n))).map(([k]) => k);
        return { stack, result, steps: result.code === 0 ? previewSteps(result.stdout) : [], leaked };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
