/**
 * The steps every K3s node (server or agent) shares, in order:
 * prereqs (cgroup flags; reboot only when they changed) -> online (SSH back,
 * systemd booted) -> NTP client -> registries.yaml -> airgap rules (nodes
 * without internet).
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ResolvedNode, StackSettings } from "../config";
import { POSTGRES_UID } from "../lib/postgres";
import { renderAirgapK3sDropIn, renderAirgapRules, renderAirgapUnit, renderRegistriesYaml, renderTimesyncdConf } from "./render";
import { Connection, remoteStep } from "./steps";

export type NodeSettings = Pick<StackSettings, "ingress" | "ssh" | "network" | "prereqs" | "mirror" | "server" | "k3s" | "database">;

/** Inputs of the prereqs step for a node. */
export function prereqVars(node: ResolvedNode, settings: NodeSettings) {
    const prefix = settings.network.subnet.split("/")[1];
    return {
        NODE_NAME: node.name,
        LAN_IFACE: settings.network.interface,
        LAN_CIDR: `${node.ip}/${prefix}`,
        // Only the ingress configures its own address: it is the DHCP server.
        STATIC_LAN: node.role === "ingress",
        CMDLINE_PATH: settings.prereqs.cmdlinePath,
        // The ingress runs no K3s, so it needs no cgroup flags and never reboots.
        CGROUP_FLAGS: node.role === "ingress" ? "" : settings.prereqs.cgroupFlags.join(" "),
    };
}

/** Prereqs then online: the start of every node's chain. Returns the last step. */
export function bootSteps(
    name: string,
    node: ResolvedNode,
    settings: NodeSettings,
    connection: Connection,
    parent: pulumi.Resource,
    /**
     * Steps that come first: for every node but the ingress, the ingress's last step.
     * The ingress serves the node's address, time, images and K3s, and is its jump
     * host, so it is provisioned first and (the engine deletes in reverse) torn down
     * last: no node loses its jump host while its own steps are being deleted.
     */
    after: pulumi.Input<pulumi.Resource>[] = [],
): command.remote.Command {
    const user = settings.ssh.user;
    const prereqs = remoteStep(
        `${name}-prereqs`,
        {
            connection,
            user,
            script: "prereqs",
            vars: prereqVars(node, settings),
            removeScript: "prereqs-remove",
            removeVars: { CMDLINE_PATH: settings.prereqs.cmdlinePath },
            dependsOn: after,
        },
        parent,
    );
    return remoteStep(`${name}-online`, { connection, user, script: "online", dependsOn: [prereqs] }, parent);
}

/** NTP client, registries.yaml and (for airgapped nodes) nftables. Returns the last step. */
export function k3sNodeBaseSteps(
    name: string,
    node: ResolvedNode,
    settings: NodeSettings,
    connection: Connection,
    parent: pulumi.Resource,
    after: pulumi.Resource,
): command.remote.Command {
    const user = settings.ssh.user;
    const ntp = remoteStep(
        `${name}-ntp`,
        {
            connection,
            user,
            script: "ntp-client",
            vars: { TIMESYNCD_CONF: renderTimesyncdConf(settings.ingress) },
            removeScript: "ntp-client-remove",
            dependsOn: [after],
        },
        parent,
    );
    const registries = remoteStep(
        `${name}-registries`,
        {
            connection,
            user,
            script: "registries",
            vars: { REGISTRIES_YAML: renderRegistriesYaml(settings.ingress, settings.mirror.upstreams) },
            removeScript: "registries-remove",
            dependsOn: [ntp],
        },
        parent,
    );
    if (node.internet) return registries;
    return remoteStep(
        `${name}-airgap`,
        {
            connection,
            user,
            script: "airgap",
            vars: { AIRGAP_RULES: renderAirgapRules(settings.network, settings.k3s), AIRGAP_UNIT: renderAirgapUnit(), K3S_DROPIN: renderAirgapK3sDropIn() },
            removeScript: "airgap-remove",
            dependsOn: [registries],
        },
        parent,
    );
}

/**
 * On the node that holds the database volume: its host directory. Returns
 * undefined on every other node. No delete command: the data outlives the cluster.
 */
export function dataDirStep(
    name: string,
    node: ResolvedNode,
    settings: NodeSettings,
    connection: Connection,
    parent: pulumi.Resource,
    after: pulumi.Resource,
): command.remote.Command | undefined {
    if (settings.database.node !== node.name) return undefined;
    return remoteStep(
        `${name}-data-dir`,
        {
            connection,
            user: settings.ssh.user,
            script: "data-dir",
            vars: { DATA_DIR: settings.database.hostPath, DATA_UID: POSTGRES_UID },
            dependsOn: [after],
        },
        parent,
    );
}
