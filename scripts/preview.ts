/**
 * `pulumi preview` of each tracked stack with the real engine, as CI runs it: the
 * tracked stack file as it is, test secrets (made here, never real ones), a local
 * file backend in .cache/preview/, and no network. Nothing on this machine is
 * required beyond the tools: the dev stack's known_hosts (which sim/up.sh writes)
 * is replaced by one made here. Each stack runs as `ci-<stack>`, so no tracked
 * file changes. Fails when a preview fails or prints a secret value.
 *
 *   npm run preview [-- <stack> ...]      (default: pi-cluster dev)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { EngineStack, ensureStack, previewSteps, pulumi, readStackFile, ROOT, secretNeedles, setSecrets, writeStackConfig } from "../harness/engine";
import { exitWith } from "./cli";

const STATE = path.join(ROOT, ".cache/preview/state");

/** Test secrets for a preview; the Cloudflare provider checks its token's form even in a preview. */
function testSecrets(dir: string): Record<string, string> {
    const key = path.join(dir, "id_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ci-preview", "-f", key]);
    return {
        "picluster:sshPrivateKey": fs.readFileSync(key, "utf8"),
        "picluster:googleClientSecret": "ci-preview-google-client-secret",
        "picluster:grafanaCloudToken": "ci-preview-grafana-cloud-token",
        "cloudflare:apiToken": "ciPreviewCloudflareToken_0123456789abcde", // 40 of [A-Za-z0-9_-]
    };
}

/** A known_hosts with a fresh key per node address, for stacks that read one from a file. */
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

async function previewStack(stack: string): Promise<boolean> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `picluster-preview-${stack}-`));
    try {
        const s: EngineStack = { name: `ci-${stack}`, stateDir: STATE, passphrase: "picluster-ci-preview" };
        const overrides: Record<string, unknown> = {};
        const ssh = readStackFile(stack).config["picluster:ssh"] as Record<string, unknown> | undefined;
        if (ssh?.knownHostsFile !== undefined) overrides["picluster:ssh"] = { ...ssh, knownHostsFile: knownHosts(stack, dir) };
        writeStackConfig(path.join(ROOT, `Pulumi.${s.name}.yaml`), stack, overrides);
        await ensureStack(s);
        const secrets = testSecrets(dir);
        await setSecrets(s, secrets);
        const r = await pulumi(s, ["preview", "--json"], { timeoutMs: 15 * 60_000 });
        const leaked = Object.entries(secrets).filter(([, v]) => secretNeedles(v).some((n) => `${r.stdout}${r.stderr}`.includes(n)));
        if (r.code !== 0) {
            process.stderr.write(`preview ${stack}: failed (exit ${r.code}) after ${(r.ms / 1000).toFixed(1)} s\n${r.stderr}\n${r.stdout.slice(-4000)}\n`);
            return false;
        }
        const steps = previewSteps(r.stdout);
        const ops = new Map<string, number>();
        for (const st of steps) ops.set(st.op, (ops.get(st.op) ?? 0) + 1);
        process.stdout.write(`preview ${stack}: ${steps.length} resources (${[...ops].map(([op, n]) => `${n} ${op}`).join(", ")}) in ${(r.ms / 1000).toFixed(1)} s\n`);
        if (leaked.length > 0) {
            process.stderr.write(`preview ${stack}: the output shows the value of ${leaked.map(([k]) => k).join(", ")}\n`);
            return false;
        }
        return true;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function main(): Promise<number> {
    const stacks = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["pi-cluster", "dev"];
    let ok = true;
    for (const stack of stacks) ok = (await previewStack(stack)) && ok;
    return ok ? 0 : 1;
}

exitWith(main());
