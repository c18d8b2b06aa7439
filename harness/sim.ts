/**
 * What the dev and e2e stacks need from the simulated nodes (sim/): the config
 * that points a stack at them, and the K3s test fixture served where the dev
 * stack's download URLs point (the simulated "upstream" host, sim/upstream.sh).
 */
import * as fs from "fs";
import * as path from "path";
import { createHash } from "crypto";
import { spawnSync } from "child_process";
import { EngineStack, ensureStack, ROOT, setSecrets, writeStackConfig } from "./engine";
import { readStackFile } from "../config/stackFile";
import { FirstBoot, firstBootFor, writeFirstBoot } from "./bootstrap";

export const SIM_DIR = path.join(ROOT, ".cache/sim");

/** The simulated nodes' SSH client key (sim/up.sh makes it): a secret of the dev stacks. */
export function simPrivateKey(): string {
    return fs.readFileSync(path.join(SIM_DIR, "ssh/id_ed25519"), "utf8");
}

/**
 * Plain config overrides that point the dev stack at the running simulated nodes:
 * the host keys sim/up.sh pinned (by absolute path, for any working directory), and
 * dial limits that ride out the cgroup reboot with room to spare on a busy machine
 * (seen: up to 16 dials) yet give up on a node that is not there within about five
 * minutes (the provider backs off from 3 to 8 s between dials). Changing them later
 * would change every step's connection, and so re-run every step.
 */
export function simConfig(): Record<string, unknown> {
    return {
        "picluster:ssh": { user: "root", knownHostsFile: path.join(SIM_DIR, "known_hosts"), dialErrorLimit: 40, perDialTimeout: 5 },
    };
}

export function devK3sVersion(): string {
    return (readStackFile("dev").config["picluster:k3s"] as { version: string }).version;
}

/** Put the K3s fixture under the pinned version on the upstream's file server; returns its SHA-256. */
export function placeK3sFixtures(version = devK3sVersion()): string {
    const files = path.join(SIM_DIR, "upstream-files/k3s");
    const releases = path.join(files, "releases", version);
    const install = path.join(files, "install", version);
    fs.mkdirSync(releases, { recursive: true });
    fs.mkdirSync(install, { recursive: true });
    const binary = fs.readFileSync(path.join(__dirname, "fixtures/k3s"), "utf8").replace("@VERSION@", version);
    fs.writeFileSync(path.join(releases, "k3s"), binary, { mode: 0o755 });
    const sha = createHash("sha256").update(binary).digest("hex");
    fs.writeFileSync(path.join(releases, "sha256sum-amd64.txt"), `${sha}  k3s\n${"0".repeat(64)}  k3s-airgap-images-amd64.tar\n`);
    fs.copyFileSync(path.join(__dirname, "fixtures/install.sh"), path.join(install, "install.sh"));
    return sha;
}

/** A simulated node as sim/up.sh describes it in .cache/sim/nodes.json. */
export interface SimNode {
    readonly name: string;
    readonly role: string;
    readonly lanIp: string;
    readonly sshHost: string;
    readonly jumpHost: string | null;
}

export function simNodes(): SimNode[] {
    return JSON.parse(fs.readFileSync(path.join(SIM_DIR, "nodes.json"), "utf8")) as SimNode[];
}

/** ssh arguments that reach a node as provisioning does: the nodes' key, pinned host keys, the jump host. */
export function simSshArgs(node: string): string[] {
    const target = simNodes().find((n) => n.name === node);
    if (!target) throw new Error(`no simulated node ${JSON.stringify(node)} (sim/nodes.tsv)`);
    const common = [
        "-i", path.join(SIM_DIR, "ssh/id_ed25519"),
        "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", `UserKnownHostsFile=${path.join(SIM_DIR, "known_hosts")}`,
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "ConnectTimeout=10",
        "-o", "LogLevel=ERROR",
    ];
    if (target.jumpHost === null) return [...common, `root@${target.sshHost}`];
    const jump = ["ssh", ...common, "-W", "%h:%p", `root@${target.jumpHost}`].join(" ");
    return [...common, "-o", `ProxyCommand=${jump}`, `root@${target.sshHost}`];
}

/** Run a command on a simulated node over SSH (bounded). */
export function onNode(node: string, command: string, timeoutMs = 60_000): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("ssh", [...simSshArgs(node), "--", command], { encoding: "utf8", timeout: timeoutMs });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function mustOnNode(node: string, command: string): string {
    const r = onNode(node, command);
    if (r.status !== 0) throw new Error(`${node}: '${command}' failed (${r.status}): ${r.stderr}`);
    return r.stdout;
}

/**
 * SSH logins each node's sshd accepted from `fromS` up to (not including) `toS`,
 * in host epoch seconds (the nodes share the host's clock). A step the engine runs
 * is one login on its node (and one on the ingress, its jump host).
 */
export function loginsBetween(fromS: number, toS: number, nodes = simNodes().map((n) => n.name)): Record<string, number> {
    return Object.fromEntries(
        nodes.map((n) => [n, Number(mustOnNode(n, `journalctl -u ssh --no-pager -q --since=@${fromS} --until=@${toS} | grep -c 'Accepted publickey' || true`).trim())]),
    );
}

const nowS = () => Math.floor(Date.now() / 1000);
const sleepS = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/**
 * Run `action` and count the SSH logins each node accepted meanwhile. The journal's
 * window is whole seconds, so it opens a second after any login made just before
 * and closes a second before any made just after (the caller's own checks).
 */
export async function loginsDuring<T>(action: () => Promise<T>, nodes?: string[]): Promise<{ result: T; logins: Record<string, number> }> {
    await sleepS(1.1);
    const from = nowS();
    const result = await action();
    const to = nowS() + 1;
    await sleepS(2.1);
    return { result, logins: loginsBetween(from, to, nodes) };
}

/**
 * A stack of its own (`e2e`, `bench`) on freshly booted, bare simulated nodes: the
 * nodes are taken down and booted again, the stack's state and file start empty,
 * the K3s fixture is served, the dev stack's config with `overrides` is written, and
 * the nodes' key and `secrets` are set. Refuses to take over nodes that `npm run dev`
 * provisioned (PICLUSTER_SIM_TAKEOVER=1 does).
 * Returns the SHA-256 of the K3s fixture served.
 */
export async function freshStackOnBareNodes(
    stack: EngineStack,
    stackFile: string,
    secrets: Readonly<Record<string, string>>,
    overrides: Record<string, unknown> = {},
): Promise<string> {
    const busy = devStackOnSim();
    if (busy !== undefined && process.env.PICLUSTER_SIM_TAKEOVER !== "1") throw new Error(`${stack.name}: ${busy}`);
    simDown();
    fs.rmSync(stack.stateDir, { recursive: true, force: true });
    fs.rmSync(stackFile, { force: true });
    spawnOk("bash", [path.join(ROOT, "sim/up.sh")]);
    const fixtureSha = placeK3sFixtures();
    writeStackConfig(stackFile, "dev", { ...simConfig(), ...overrides });
    await ensureStack(stack);
    await setSecrets(stack, { "picluster:sshPrivateKey": simPrivateKey(), ...secrets });
    return fixtureSha;
}

/** Where blank-card runs put each node's boot partition (sim/, SIM_BOOTFS). */
export const SIM_BOOTFS = path.join(SIM_DIR, "bootfs");

export interface BlankCards {
    /** Each node's first-boot data, by name (its host key: what a client pins). */
    readonly boots: ReadonlyMap<string, FirstBoot>;
    /** Writing every card with the bootstrap (the stack's seeds made on the first). */
    readonly bootstrapMs: number;
    /** sim/up.sh with those cards, to every sshd up (cloud-init done setting keys). */
    readonly bootMs: number;
}

/**
 * Like freshStackOnBareNodes, but every node boots from a blank card: the stack is
 * made first (the nodes' SSH key as its secret, `secrets` too), then each node's
 * boot partition is written by the bootstrap (`--boot`, onto a copy of the image's
 * cmdline.txt), then sim/up.sh boots them with SIM_BOOTFS. Overrides must make the
 * admin user non-root and name no known_hosts file.
 */
export async function freshStackOnBlankCards(
    stack: EngineStack,
    stackFile: string,
    secrets: Readonly<Record<string, string>>,
    overrides: Record<string, unknown>,
): Promise<BlankCards> {
    const busy = devStackOnSim();
    if (busy !== undefined && process.env.PICLUSTER_SIM_TAKEOVER !== "1") throw new Error(`${stack.name}: ${busy}`);
    simDown();
    for (const p of [stack.stateDir, stackFile, SIM_BOOTFS]) fs.rmSync(p, { recursive: true, force: true });
    const key = path.join(SIM_DIR, "ssh/id_ed25519");
    if (!fs.existsSync(key)) {
        // sim/up.sh would make it; the cards need its public half first.
        fs.mkdirSync(path.dirname(key), { recursive: true, mode: 0o700 });
        spawnOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "sim-nodes", "-f", key]);
    }
    placeK3sFixtures();
    writeStackConfig(stackFile, "dev", overrides);
    await ensureStack(stack);
    await setSecrets(stack, { "picluster:sshPrivateKey": simPrivateKey(), ...secrets });

    // The cards start from the image's own cmdline.txt, which the base rootfs holds:
    // on a fresh clone it is built first (sim/up.sh would only build it later).
    spawnOk("bash", [path.join(ROOT, "sim/base.sh")]);
    const started = Date.now();
    const boots = new Map<string, FirstBoot>();
    for (const node of simNodeNames()) {
        const dir = path.join(SIM_BOOTFS, node);
        fs.mkdirSync(dir, { recursive: true });
        fs.copyFileSync(path.join(SIM_DIR, "base-rootfs/boot/firmware/cmdline.txt"), path.join(dir, "cmdline.txt"));
        const fb = await firstBootFor(stack, node);
        writeFirstBoot(fb, { boot: dir });
        boots.set(node, fb);
    }
    const bootstrapped = Date.now();
    spawnOk("bash", [path.join(ROOT, "sim/up.sh")], { SIM_BOOTFS });
    return { boots, bootstrapMs: bootstrapped - started, bootMs: Date.now() - bootstrapped };
}

/** The node names of sim/nodes.tsv, in order. */
export function simNodeNames(): string[] {
    return fs
        .readFileSync(path.join(ROOT, "sim/nodes.tsv"), "utf8")
        .split("\n")
        .filter((l) => l !== "" && !l.startsWith("#"))
        .map((l) => l.split("\t")[0]);
}

/** Take the simulated nodes down. */
export function simDown(): void {
    spawnOk("bash", [path.join(ROOT, "sim/down.sh")]);
}

function spawnOk(cmd: string, args: string[], env: Record<string, string> = {}): void {
    const r = spawnSync(cmd, args, { stdio: "inherit", timeout: 900_000, env: { ...process.env, ...env } });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status ?? r.signal}`);
}

/**
 * What to look at when provisioning the simulated nodes failed: each node's
 * supervisor lines (its boots, reboots and how nspawn ended; sim/supervise.sh
 * writes them among the console output in `NAME.log`), the last `lines` of them.
 */
export function simSupervisorLog(lines = 6, simDir = SIM_DIR): string {
    return simNodeNames()
        .map((n) => {
            const log = path.join(simDir, `${n}.log`);
            const own = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("[sim ")) : [];
            return `${n}:\n${(own.length > 0 ? own.slice(-lines) : ["(no supervisor log)"]).map((l) => `    ${l}`).join("\n")}`;
        })
        .join("\n");
}

/** Whether any simulated node is running (its supervisor is alive). */
export function simRunning(simDir = SIM_DIR): boolean {
    const run = path.join(simDir, "run");
    if (!fs.existsSync(run)) return false;
    return fs
        .readdirSync(run)
        .filter((f) => f.endsWith(".supervisor.pid"))
        .some((f) => {
            const pid = Number(fs.readFileSync(path.join(run, f), "utf8").trim());
            try {
                return pid > 0 && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("supervise.sh");
            } catch {
                return false;
            }
        });
}

/**
 * Why the simulated nodes are not free for a run that boots them afresh: they are up
 * and the user's dev stack (npm run dev) has resources on them. Undefined when free.
 */
export function devStackOnSim(stateDir = path.join(ROOT, ".pulumi-state"), simDir = SIM_DIR): string | undefined {
    const state = path.join(stateDir, ".pulumi/stacks/picluster/dev.json");
    if (!simRunning(simDir) || !fs.existsSync(state)) return undefined;
    const resources = (JSON.parse(fs.readFileSync(state, "utf8")) as { checkpoint?: { latest?: { resources?: unknown[] } } }).checkpoint?.latest?.resources ?? [];
    if (resources.length <= 1) return undefined;
    return (
        `the simulated nodes are running the dev stack that npm run dev provisioned (${resources.length} resources in ${path.relative(ROOT, state)}); ` +
        "this run would boot them afresh. Free them first: npm run pulumi -- destroy --yes && sudo npm run sim:down (or set PICLUSTER_SIM_TAKEOVER=1 to take them over)"
    );
}
