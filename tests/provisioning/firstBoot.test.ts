/**
 * The first-boot files, for every node of both stacks, through Debian's
 * cloud-init itself: `cloud-init schema` validates user-data against the
 * cloud-config schema, `cloud-init devel net-convert` parses network-config and
 * renders it. A missing cloud-init fails these tests (scripts/setup.sh installs it).
 */
import * as fs from "fs";
import * as path from "path";
import { execFileSync, spawnSync } from "child_process";
import * as YAML from "yaml";
import { ResolvedNode, StackSettings } from "../../config/schema";
import { hostKeyFromSeed } from "../../provisioning/hostKeys";
import { FIRST_BOOT_FILES, firstBootProblems, renderFirstBoot, scrubCommand, withCgroupFlags } from "../../provisioning/firstBoot";
import { ed25519KeyPair } from "../../lib/sshKeys";
import { mockSeed, ProgramRun, runProgram, testSettings } from "../helpers/program";
import { scratchDir } from "../helpers/tmp";

const OPERATOR = ed25519KeyPair(Buffer.alloc(32, 42), "").publicLine;
/** The dev stack as a blank-card stack: no known_hosts file, a non-root admin user. */
const DEV_BLANK = { "picluster:ssh": { user: "pi", dialErrorLimit: 30, perDialTimeout: 5 } };

const settingsOf = testSettings;

const STACKS: [string, Record<string, unknown>][] = [
    ["dev", DEV_BLANK],
    ["pi-cluster", {}],
];
const runs = new Map<string, ProgramRun>();
const settings = new Map<string, StackSettings>();
beforeAll(async () => {
    for (const [stack, overrides] of STACKS) {
        settings.set(stack, settingsOf(stack, overrides));
        runs.set(stack, await runProgram(stack, overrides));
    }
});

/** The files for a node, from the seed the mocks gave its HostKeys resource. */
function filesFor(stack: string, node: ResolvedNode) {
    const s = settings.get(stack)!;
    return renderFirstBoot({
        node,
        settings: s,
        hostKey: hostKeyFromSeed(mockSeed(`host-keys-${node.name}`), node.name),
        authorizedKeys: [OPERATOR],
        wifiPassword: "test-wifi-passphrase-62d0",
    });
}

function writeFiles(files: Record<string, string>): string {
    const dir = scratchDir("seed");
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
    return dir;
}

const cases = () =>
    STACKS.flatMap(([stack]) => settings.get(stack)!.nodes.map((n) => [stack, n.name] as const));

describe.each(STACKS.map(([s]) => s))("first-boot files of the %s stack", (stack) => {
    const nodesOf = () => settings.get(stack)!.nodes;

    it("user-data of every node is a valid cloud-config by cloud-init's own schema", () => {
        for (const node of nodesOf()) {
            const dir = writeFiles(filesFor(stack, node));
            const r = spawnSync("cloud-init", ["schema", "--config-file", path.join(dir, "user-data")], { encoding: "utf8" });
            expect({ node: node.name, status: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({ node: node.name, status: 0, out: `Valid cloud-config: ${path.join(dir, "user-data")}` });
        }
    });

    it("carries the hostname, the admin user with the operator's key and sudo, and no password login", () => {
        for (const node of nodesOf()) {
            const ud = YAML.parse(filesFor(stack, node)["user-data"]);
            expect(ud).toMatchObject({
                hostname: node.name,
                ssh_pwauth: false,
                disable_root: true,
                ssh_deletekeys: true,
                locale: "false",
                users: [{ name: "pi", lock_passwd: true, sudo: "ALL=(ALL) NOPASSWD:ALL", ssh_authorized_keys: [OPERATOR] }],
            });
            expect(filesFor(stack, node)["user-data"].startsWith("#cloud-config\n")).toBe(true);
        }
    });

    it("carries the host key the program pins, as a private key sshd can use", () => {
        const run = runs.get(stack)!;
        for (const node of nodesOf()) {
            const ud = YAML.parse(filesFor(stack, node)["user-data"]);
            const pinned = run.byName(`${node.name}-prereqs`).inputs.connection.hostKey;
            expect(ud.ssh_keys.ed25519_public.split(" ").slice(0, 2).join(" ")).toBe(pinned);
            const keyFile = path.join(scratchDir("hostkey"), "ssh_host_ed25519_key");
            fs.writeFileSync(keyFile, ud.ssh_keys.ed25519_private, { mode: 0o600 });
            expect(execFileSync("ssh-keygen", ["-y", "-f", keyFile], { encoding: "utf8" }).split(" ").slice(0, 2).join(" ")).toBe(pinned);
        }
    });

    it("network-config parses in cloud-init: the ingress's static address, DHCP elsewhere", () => {
        const s = settings.get(stack)!;
        for (const node of nodesOf()) {
            const dir = writeFiles(filesFor(stack, node));
            const out = scratchDir("net");
            execFileSync("cloud-init", ["devel", "net-convert", "-p", path.join(dir, "network-config"), "-k", "yaml", "-d", out, "-D", "debian", "-O", "netplan"], { stdio: "pipe" });
            const rendered = YAML.parse(fs.readFileSync(path.join(out, "etc/netplan/50-cloud-init.yaml"), "utf8"));
            const eth = rendered.network.ethernets[s.network.interface];
            if (node.role === "ingress") expect(eth).toEqual({ dhcp4: false, addresses: [`${node.ip}/${s.network.subnet.split("/")[1]}`] });
            else expect(eth).toEqual({ dhcp4: true });
            // The ethernet part also renders for NetworkManager, what Raspberry Pi OS runs.
            const nm = scratchDir("nm");
            execFileSync("cloud-init", ["devel", "net-convert", "-p", path.join(dir, "network-config"), "-k", "yaml", "-d", nm, "-D", "debian", "-O", "network-manager"], { stdio: "pipe" });
            const conn = fs.readFileSync(path.join(nm, `etc/NetworkManager/system-connections/cloud-init-${s.network.interface}.nmconnection`), "utf8");
            expect(conn).toContain(node.role === "ingress" ? `address1=${node.ip}/24` : "method=auto");
        }
    });

    it("meta-data names the node and a per-key instance", () => {
        for (const node of nodesOf()) {
            const md = YAML.parse(filesFor(stack, node)["meta-data"]);
            expect(md["local-hostname"]).toBe(node.name);
            expect(md["instance-id"]).toMatch(new RegExp(`^picluster-${node.name}-[0-9a-f]{12}$`));
        }
    });
});

describe("Wi-Fi", () => {
    it("is configured on the real cluster's internet nodes only, with the secret passphrase", () => {
        const s = settings.get("pi-cluster")!;
        for (const node of s.nodes) {
            const net = YAML.parse(filesFor("pi-cluster", node)["network-config"]);
            if (node.internet) {
                expect(net.wifis.wlan0).toEqual({
                    dhcp4: true,
                    optional: true,
                    "regulatory-domain": "NZ",
                    "access-points": { [s.bootstrap.wifi!.ssid]: { password: "test-wifi-passphrase-62d0" } },
                });
            } else {
                expect(net.wifis).toBeUndefined();
            }
        }
        // The dev stack configures none.
        expect(YAML.parse(filesFor("dev", settings.get("dev")!.ingress)["network-config"]).wifis).toBeUndefined();
    });

    it("is passed through to netplan by cloud-init", () => {
        const s = settings.get("pi-cluster")!;
        const dir = writeFiles(filesFor("pi-cluster", s.server));
        const out = scratchDir("net");
        execFileSync("cloud-init", ["devel", "net-convert", "-p", path.join(dir, "network-config"), "-k", "yaml", "-d", out, "-D", "debian", "-O", "netplan"], { stdio: "pipe" });
        const rendered = YAML.parse(fs.readFileSync(path.join(out, "etc/netplan/50-cloud-init.yaml"), "utf8"));
        expect(rendered.network.wifis.wlan0["access-points"]).toEqual({ "replace-me": { password: "test-wifi-passphrase-62d0" } });
    });

    it("refuses to render Wi-Fi without the passphrase", () => {
        const s = settings.get("pi-cluster")!;
        expect(() => renderFirstBoot({ node: s.server, settings: s, hostKey: ed25519KeyPair(Buffer.alloc(32, 1)), authorizedKeys: [OPERATOR] })).toThrow("picluster:wifiPassword");
    });
});

describe("after first boot", () => {
    it("empties user-data and removes network-config on the boot partition, keeping meta-data", () => {
        const dir = writeFiles(filesFor("dev", settings.get("dev")!.nodes[2]));
        execFileSync("sh", ["-c", scrubCommand(dir)]);
        expect(fs.readdirSync(dir).sort()).toEqual(["meta-data", "user-data"]);
        expect(fs.readFileSync(path.join(dir, "user-data"), "utf8")).not.toContain("PRIVATE KEY");
        // Still a valid (empty) cloud-config: the seed stays valid and the instance the same.
        expect(spawnSync("cloud-init", ["schema", "--config-file", path.join(dir, "user-data")]).status).toBe(0);
    });

    it("runs that from the seed on the boot partition, by default the directory of cmdline.txt", () => {
        const ud = YAML.parse(filesFor("pi-cluster", settings.get("pi-cluster")!.nodes[3])["user-data"]);
        expect(ud.runcmd).toEqual([["sh", "-c", scrubCommand("/boot/firmware")]]);
    });
});

describe("withCgroupFlags", () => {
    const base = "console=serial0,115200 console=tty1 root=PARTUUID=deadbeef-02 rootfstype=ext4 fsck.repair=yes rootwait\n";
    it.each(STACKS.map(([s]) => s))("adds the %s stack's flags to a K3s node's command line once, never to the ingress's", (stack) => {
        const s = settings.get(stack)!;
        const once = withCgroupFlags(base, s.server, s.prereqs.cgroupFlags);
        expect(once).toBe(`${base.trim()} ${s.prereqs.cgroupFlags.join(" ")}\n`);
        expect(withCgroupFlags(once, s.server, s.prereqs.cgroupFlags)).toBe(once);
        expect(withCgroupFlags(base, s.ingress, s.prereqs.cgroupFlags)).toBe(base);
    });
});

describe("firstBootProblems", () => {
    it("refuses a node whose key the config pins, naming it, and root as the admin user", () => {
        const s = settingsOf("dev");
        const problems = firstBootProblems(s.nodes[1], 1, s);
        expect(problems).toEqual([
            expect.stringMatching(/^picluster:nodes\[1\]\.hostKey: expected no pinned key for a node set up from a blank card .* got a pinned key/),
            'picluster:ssh.user: expected the admin user cloud-init creates (like "pi"), got "root" (root logins stay off on a card set up this way)',
        ]);
        expect(firstBootProblems(settings.get("pi-cluster")!.nodes[1], 1, settings.get("pi-cluster")!)).toEqual([]);
    });

    it("covers every file the seed needs", () => {
        expect(Object.keys(filesFor("dev", settings.get("dev")!.ingress)).sort()).toEqual([...FIRST_BOOT_FILES].sort());
        expect(cases().length).toBe(12);
    });
});
