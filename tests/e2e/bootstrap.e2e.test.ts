/**
 * End to end, issue #16: from blank cards. Every simulated node boots as a freshly
 * flashed card (sim/, SIM_BOOTFS) whose boot partition holds only what
 * `npm run bootstrap --boot` wrote there: Debian's cloud-init sets the node up
 * from it. Then the SSH client reaches each node knowing only the key the
 * program pinned, and `pulumi up` provisions them with no host key in the config.
 *
 * Its own stack (`e2e-boot`) on its own backend (.cache/e2e-boot/state).
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { EngineResult, EngineStack, pulumi, pulumiOk, ROOT, secretNeedles, succeeded } from "../../harness/engine";
import { readStackFile } from "../../config/stackFile";
import { FirstBoot, HOST_KEYS_COMPONENT, stateOutput } from "../../harness/bootstrap";
import { PROJECT } from "../../lib/typeTokens";
import { hostKeyUrns } from "../../provisioning/hostKeys";
import { freshStackOnBlankCards, SIM_BOOTFS, SIM_DIR, simDown } from "../../harness/sim";
import { platformEnabled } from "../../harness/stacks";
import { FIRST_BOOT_FILES } from "../../provisioning/firstBoot";

const NODES = ["ingress", "control", "worker-1", "worker-2"];
const BOOT: EngineStack = { name: "e2e-boot", stateDir: path.join(ROOT, ".cache/e2e-boot/state"), passphrase: "picluster-e2e-boot" };
const STACK_FILE = path.join(ROOT, "Pulumi.e2e-boot.yaml");
const WORK = path.join(ROOT, ".cache/e2e-boot");
const BOOTFS = SIM_BOOTFS;
const KEY = path.join(SIM_DIR, "ssh/id_ed25519");
/** A blank card's admin user: cloud-init creates it; provisioning logs in as it and uses sudo. */
const OVERRIDES = { "picluster:ssh": { user: "pi", dialErrorLimit: 40, perDialTimeout: 5 }, ...platformEnabled("dev", false) };

interface NodeInfo {
    readonly name: string;
    readonly sshHost: string;
    readonly jump: boolean;
}
const info = (): NodeInfo[] =>
    (readStackFile("dev").config["picluster:nodes"] as { name: string; ip: string; sshHost?: string; role: string }[]).map((n) => ({
        name: n.name,
        sshHost: n.sshHost ?? n.ip,
        jump: n.role !== "ingress",
    }));

/** ssh options with a known_hosts file that holds only `knownHosts`. */
function sshArgs(node: NodeInfo, knownHosts: string, extra: string[] = []): string[] {
    const common = [
        "-i", KEY,
        "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", `UserKnownHostsFile=${knownHosts}`,
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "ConnectTimeout=10",
        "-o", "LogLevel=ERROR",
    ];
    const ingress = info().find((n) => !n.jump)!;
    const jump = node.jump ? ["-o", `ProxyCommand=${["ssh", ...common, "-W", "%h:%p", `pi@${ingress.sshHost}`].join(" ")}`] : [];
    return [...common, ...jump, ...extra, `pi@${node.sshHost}`];
}

function ssh(node: NodeInfo, knownHosts: string, command: string, extra: string[] = []) {
    const r = spawnSync("ssh", [...sshArgs(node, knownHosts, extra), "--", command], { encoding: "utf8", timeout: 360_000 });
    return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

/**
 * Like ssh, but rides out the window where the node's sshd is restarted by cloud-init
 * (it applies `ssh_pwauth` late in first boot): retries connection failures only,
 * never a refused key or login, for at most `boundS` seconds.
 */
function sshWhenUp(node: NodeInfo, knownHosts: string, command: string, boundS = 180) {
    const deadline = Date.now() + boundS * 1000;
    for (;;) {
        const r = ssh(node, knownHosts, command);
        const connectionFailed = r.status === 255 && /Connection (reset|refused|closed)|kex_exchange_identification|timed out/.test(r.stderr);
        if (!connectionFailed || Date.now() > deadline) return r;
        spawnSync("sleep", ["1"]);
    }
}

let boots: ReadonlyMap<string, FirstBoot>;
let pinned: string;
let timings: { bootstrapS: number; bootS: number; upS: number };
let observed: Map<string, Record<string, { status: number | null; stdout: string; stderr: string }>>;
let up: EngineResult;

beforeAll(async () => {
    fs.rmSync(WORK, { recursive: true, force: true });
    fs.mkdirSync(WORK, { recursive: true, mode: 0o700 });
    const cards = await freshStackOnBlankCards(BOOT, STACK_FILE, { "picluster:oauthClientSecret": "e2e-boot-oauth-client-secret-5a" }, OVERRIDES);
    boots = cards.boots;

    // The client knows only the keys the program pinned.
    pinned = path.join(WORK, "known_hosts");
    fs.writeFileSync(pinned, info().map((n) => `${n.sshHost} ${boots.get(n.name)!.hostKey.publicLine}\n`).join(""), { mode: 0o600 });
    observed = new Map();
    for (const n of info()) {
        const wait = sshWhenUp(n, pinned, "cloud-init status --wait >/dev/null; cloud-init status --long");
        observed.set(n.name, {
            wait,
            hostname: ssh(n, pinned, "hostname; cat /etc/hostname"),
            user: ssh(n, pinned, "id -un; sudo -n id -un"),
            hostKeys: ssh(n, pinned, "sudo -n sh -c 'cat /etc/ssh/ssh_host_*_key.pub'"),
            sshdT: ssh(n, pinned, "sudo -n sshd -T | grep -E '^(passwordauthentication|permitrootlogin|kbdinteractiveauthentication) '"),
            password: ssh(n, pinned, "true", ["-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "PubkeyAuthentication=no"]),
        });
    }
    // A client holding some other key for the ingress is turned away: the pin is what lets it in.
    const other = path.join(WORK, "known_hosts.other");
    const ingress = info().find((n) => !n.jump)!;
    fs.writeFileSync(other, `${ingress.sshHost} ${boots.get("control")!.hostKey.publicLine}\n`);
    observed.set("mismatch", { probe: ssh(ingress, other, "true") });

    up = await pulumi(BOOT, ["up", "--yes", "--skip-preview"], { timeoutMs: 20 * 60_000 });
    fs.writeFileSync(path.join(WORK, "up.log"), `${up.stdout}\n${up.stderr}`, { mode: 0o600 });
    timings = { bootstrapS: cards.bootstrapMs / 1000, bootS: cards.bootMs / 1000, upS: up.ms / 1000 };
    fs.writeFileSync(path.join(WORK, "timings.json"), `${JSON.stringify(timings)}\n`);
    process.stdout.write(`blank cards: bootstrap ${timings.bootstrapS.toFixed(1)} s, boot ${timings.bootS.toFixed(1)} s, pulumi up ${timings.upS.toFixed(1)} s (exit ${up.code})\n`);
}, 2_400_000);

afterAll(() => {
    simDown();
}, 300_000);

describe("a node booted from a blank card with its first-boot files", () => {
    it.each(NODES)("%s: cloud-init finished without errors", (name) => {
        const wait = observed.get(name)!.wait;
        expect({ status: wait.status, stdout: wait.status === 0 ? "" : wait.stdout, stderr: wait.stderr }).toEqual({ status: 0, stdout: "", stderr: "" });
        expect(wait.stdout).toMatch(/^status: done$/m);
    });

    it.each(NODES)("%s: has its host name (the card came up as raspberrypi)", (name) => {
        expect(observed.get(name)!.hostname.stdout).toBe(`${name}\n${name}`);
    });

    it.each(NODES)("%s: lets the admin user in with the operator's key, with passwordless sudo", (name) => {
        expect(observed.get(name)!.user).toMatchObject({ status: 0, stdout: "pi\nroot" });
    });

    it.each(NODES)("%s: offers only the host key the program pinned, reached with only that key known", (name) => {
        const keys = observed.get(name)!.hostKeys;
        expect({ status: keys.status, stderr: keys.stderr }).toEqual({ status: 0, stderr: "" });
        expect(keys.stdout.split("\n").map((l) => l.split(" ").slice(0, 2).join(" "))).toEqual([boots.get(name)!.hostKey.publicLine]);
    });

    it.each(NODES)("%s: refuses password login (sshd's effective settings, and a client that tries it)", (name) => {
        const o = observed.get(name)!;
        expect(o.sshdT.stdout.split("\n").sort()).toEqual(["kbdinteractiveauthentication no", "passwordauthentication no", "permitrootlogin without-password"].sort());
        expect(o.password.status).toBe(255);
        // The server lists the methods it accepts: public key only.
        expect(o.password.stderr).toContain("Permission denied (publickey).");
    });

    it("turns away a client that pins any other key (host key verification, before any login)", () => {
        const probe = observed.get("mismatch")!.probe;
        expect(probe.status).toBe(255);
        expect(probe.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    });

    it.each(NODES)("%s: the card's copy of the private key is gone after first boot; meta-data stays", (name) => {
        const fw = path.join(SIM_DIR, "nodes", name, "boot/firmware");
        expect(fs.readFileSync(path.join(fw, "user-data"), "utf8")).not.toContain("PRIVATE KEY");
        expect(fs.existsSync(path.join(fw, "network-config"))).toBe(false);
        expect(fs.existsSync(path.join(fw, "meta-data"))).toBe(true);
        // The bootstrap wrote all three, 0600, and nothing else but cmdline.txt.
        expect(fs.readdirSync(path.join(BOOTFS, name)).sort()).toEqual([...FIRST_BOOT_FILES, "cmdline.txt"].sort());
    });
});

describe("pulumi up on the bootstrapped nodes, no host key in the config", () => {
    it("the stack config pins no host key and names no known_hosts file", () => {
        const text = fs.readFileSync(STACK_FILE, "utf8");
        expect(text).not.toContain("hostKey");
        expect(text).not.toContain("knownHostsFile");
    });

    it("keeps the seeds secret in the state, and the private keys out of it", async () => {
        const plain = (await pulumiOk(BOOT, ["stack", "export"])).stdout;
        const shown = (await pulumiOk(BOOT, ["stack", "export", "--show-secrets"])).stdout;
        for (const [name, fb] of boots) {
            const seed = stateOutput(shown, hostKeyUrns(BOOT.name, PROJECT, HOST_KEYS_COMPONENT, [name])[1], "result");
            expect(typeof seed).toBe("string");
            expect(plain).not.toContain(seed as string);
            // The first two lines of any OpenSSH ed25519 key are its format header and public
            // half (the provisioning key in the state has the same header); the secret starts after.
            const privateLines = secretNeedles(fb.hostKey.privateKey).slice(2);
            expect(privateLines.length).toBeGreaterThan(2);
            for (const line of privateLines) expect(shown).not.toContain(line);
        }
    });

    it("provisions every node without error", () => {
        expect(succeeded(up)).toEqual({ code: 0, output: "" });
        expect(up.stdout).toMatch(/Resources:\n\s+\+ \d+ created/);
    });

    it("never reboots a node: the cards already had the cgroup flags", () => {
        expect(`${up.stdout}\n${up.stderr}`).not.toContain("kernel command line changed; rebooting");
        for (const name of ["control", "worker-1", "worker-2"]) {
            expect(fs.readFileSync(path.join(SIM_DIR, "nodes", name, "boot/firmware/cmdline.txt"), "utf8")).toMatch(/ cgroup_memory=1 cgroup_enable=memory\n$/);
        }
    });

    it("provisioned as the admin user through sudo: K3s runs on the control node", () => {
        const control = info().find((n) => n.name === "control")!;
        expect(ssh(control, pinned, "sudo -n systemctl is-active k3s").stdout).toBe("active");
    });
});
