/**
 * First-boot files for a blank SD card: the cloud-init NoCloud seed
 * (`user-data`, `meta-data`, `network-config`) that Raspberry Pi OS reads from
 * its boot partition, and the cgroup flags for `cmdline.txt`. Pure functions:
 * `npm run bootstrap` (scripts/bootstrap.ts) feeds them the validated settings
 * and the node's generated host key, and writes what they return.
 *
 * What the files do on first boot: host name; the admin user (`ssh.user`) with
 * the operator's keys, passwordless sudo and no password; the node's SSH host
 * key (only that one: no other type is generated, so the key the program pins is
 * the only key sshd offers); password login off; the ingress's static LAN
 * address (it is the DHCP server) and Wi-Fi on the nodes with internet. Then the
 * secret-bearing files on the boot partition are emptied (see `scrubCommand`).
 */
import * as path from "path";
import { createHash } from "crypto";
import * as YAML from "yaml";
import { ResolvedNode, StackSettings } from "../config/schema";
import { Ed25519KeyPair, fingerprint } from "../lib/sshKeys";
import { shellQuote } from "../lib/shell";

export type FirstBootSettings = Pick<StackSettings, "ssh" | "network" | "prereqs" | "bootstrap">;

export interface FirstBootInput {
    readonly node: ResolvedNode;
    readonly settings: FirstBootSettings;
    /** The node's generated host key pair (HostKeys / hostKeyFromSeed). */
    readonly hostKey: Ed25519KeyPair;
    /** Public key lines the admin user accepts (the provisioning key's first). */
    readonly authorizedKeys: readonly string[];
    /** The WPA passphrase (secret config); required when the node gets Wi-Fi. */
    readonly wifiPassword?: string;
    /**
     * Where the node reads its seed from. @default the directory of
     * `prereqs.cmdlinePath` (/boot/firmware on Raspberry Pi OS: the boot partition).
     */
    readonly seedDir?: string;
}

/** The three NoCloud files, by file name. All three are written 0600. */
export interface FirstBootFiles extends Readonly<Record<string, string>> {
    readonly "user-data": string;
    readonly "meta-data": string;
    readonly "network-config": string;
}

export const FIRST_BOOT_FILES = ["user-data", "meta-data", "network-config"] as const;

/** Why these files cannot be made for the node (none when they can), each naming its key. */
export function firstBootProblems(node: ResolvedNode, nodeIndex: number, settings: FirstBootSettings): string[] {
    const problems: string[] = [];
    if (node.hostKey !== undefined) {
        problems.push(
            `picluster:nodes[${nodeIndex}].hostKey: expected no pinned key for a node set up from a blank card (the first-boot files carry the key the program generates, and it cannot know the private half of ${JSON.stringify(node.hostKey.slice(0, 40) + "...")}), got a pinned key (inline or from ssh.knownHostsFile); remove it to use the generated one`,
        );
    }
    if (settings.ssh.user === "root") {
        problems.push('picluster:ssh.user: expected the admin user cloud-init creates (like "pi"), got "root" (root logins stay off on a card set up this way)');
    }
    return problems;
}

/** Whether the node gets Wi-Fi in its first-boot files. */
export function wantsWifi(node: ResolvedNode, settings: FirstBootSettings): boolean {
    return node.internet && settings.bootstrap.wifi !== undefined;
}

/**
 * The instance id: stable for one node and key, new for a new key, so cloud-init
 * runs its once-per-instance modules (users, host keys) exactly once per card.
 */
export function instanceId(node: ResolvedNode, hostKey: Ed25519KeyPair): string {
    const short = createHash("sha256").update(hostKey.publicLine).digest("hex").slice(0, 12);
    return `picluster-${node.name}-${short}`;
}

/**
 * The command cloud-init runs at the end of first boot: the boot partition's
 * `user-data` (it holds the host's private key) is replaced by an empty
 * cloud-config and `network-config` (it may hold the Wi-Fi passphrase) removed.
 * `meta-data` stays: with the same instance id on later boots cloud-init knows
 * the node is set up. Deleting `user-data` instead would make the seed invalid,
 * cloud-init would fall back to a new "none" instance and regenerate the host
 * keys, locking the program out.
 */
export function scrubCommand(seedDir: string): string {
    const ud = shellQuote(path.posix.join(seedDir, "user-data"));
    const nc = shellQuote(path.posix.join(seedDir, "network-config"));
    return `printf '#cloud-config\\n# picluster: emptied after first boot (it held the host key)\\n{}\\n' > ${ud}.tmp && mv -f ${ud}.tmp ${ud} && rm -f ${nc} && sync`;
}

const YAML_OPTIONS = { lineWidth: 0, minContentWidth: 0 } as const;

export function renderUserData(input: FirstBootInput): string {
    const { node, settings, hostKey } = input;
    const seedDir = input.seedDir ?? path.posix.dirname(settings.prereqs.cmdlinePath);
    const config = {
        hostname: node.name,
        fqdn: `${node.name}.${settings.network.domain}`,
        prefer_fqdn_over_hostname: false,
        manage_etc_hosts: true,
        users: [
            {
                name: settings.ssh.user,
                gecos: "picluster admin",
                groups: ["sudo"],
                shell: "/bin/bash",
                lock_passwd: true,
                sudo: "ALL=(ALL) NOPASSWD:ALL",
                ssh_authorized_keys: [...input.authorizedKeys],
            },
        ],
        disable_root: true,
        ssh_pwauth: false,
        // Only the pinned key: the image's keys go, and with ssh_keys set cloud-init generates no other type.
        ssh_deletekeys: true,
        ssh_keys: { ed25519_private: hostKey.privateKey, ed25519_public: `${hostKey.publicLine} root@${node.name}` },
        // Leave the image's locale alone: the program needs none, and cloud-init's default
        // (en_US.UTF-8) would override the image's and needs the locales package.
        locale: "false",
        runcmd: [["sh", "-c", scrubCommand(seedDir)]],
    };
    return `#cloud-config\n# picluster first-boot config for ${node.name}. Holds its SSH host key: keep it off git and remove it from the card (cloud-init empties it after first boot).\n${YAML.stringify(config, YAML_OPTIONS)}`;
}

export function renderMetaData(input: FirstBootInput): string {
    return YAML.stringify({ "instance-id": instanceId(input.node, input.hostKey), "local-hostname": input.node.name }, YAML_OPTIONS);
}

/**
 * Network config version 2. Only the ingress has a static LAN address (it is the
 * DHCP server); the others take theirs from its dnsmasq (static leases by MAC).
 * Nodes with internet get Wi-Fi when `bootstrap.wifi` is set.
 */
export function renderNetworkConfig(input: FirstBootInput): string {
    const { node, settings } = input;
    const prefix = settings.network.subnet.split("/")[1];
    const lan = node.role === "ingress" ? { dhcp4: false, addresses: [`${node.ip}/${prefix}`] } : { dhcp4: true };
    const network: Record<string, unknown> = { version: 2, ethernets: { [settings.network.interface]: lan } };
    if (wantsWifi(node, settings)) {
        const wifi = settings.bootstrap.wifi!;
        if (input.wifiPassword === undefined) throw new Error("picluster:wifiPassword: expected a secret, got nothing (the key is not set)");
        network.wifis = {
            wlan0: {
                dhcp4: true,
                optional: true,
                "regulatory-domain": wifi.country,
                "access-points": { [wifi.ssid]: { password: input.wifiPassword } },
            },
        };
    }
    return YAML.stringify(network, YAML_OPTIONS);
}

export function renderFirstBoot(input: FirstBootInput): FirstBootFiles {
    return {
        "user-data": renderUserData(input),
        "meta-data": renderMetaData(input),
        "network-config": renderNetworkConfig(input),
    };
}

/**
 * `cmdline.txt` with the cgroup flags K3s needs, so the prereqs step finds them
 * and does not reboot. Flags already there stay, in place; the line stays one line.
 * The ingress runs no K3s and gets none (as in prereqVars).
 */
export function withCgroupFlags(cmdline: string, node: ResolvedNode, flags: readonly string[]): string {
    const line = cmdline.split("\n")[0].trim();
    if (node.role === "ingress") return `${line}\n`;
    const words = line.split(/\s+/).filter((w) => w !== "");
    for (const f of flags) if (!words.includes(f)) words.push(f);
    return `${words.join(" ")}\n`;
}

/** What the bootstrap prints about the files: names and the key's fingerprint, never their content. */
export function describeFirstBoot(node: ResolvedNode, hostKey: Ed25519KeyPair): string {
    return `${node.name}: host key ${fingerprint(hostKey.publicLine)} (ED25519), pinned by the program`;
}
