/**
 * The steps every K3s node (server or agent) shares, in order:
 * prereqs (cgroup flags; reboot only when they changed) -> online (SSH back,
 * systemd booted) -> NTP client -> registries.yaml -> airgap rules (nodes
 * without internet).
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { K3sNodeSettings, ResolvedNode, StackSettings } from "../config/schema";
import { POSTGRES_UID } from "../lib/postgres";
import {
    ArtifactSums,
    artifactUrl,
    k3sAsset,
    renderAirgapK3sDropIn,
    renderAirgapRules,
    renderAirgapUnit,
    renderK3sConfig,
    renderRegistriesYaml,
    renderTimesyncdConf,
} from "./render";
import { NodeSteps } from "./steps";

/** Inputs of the prereqs step for a node. */
export function prereqVars(node: ResolvedNode, settings: Pick<StackSettings, "network" | "prereqs">) {
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

/** Inputs of the K3s install/upgrade step (the token goes separately, on standard input). */
export function k3sStepVars(role: "server" | "agent", node: ResolvedNode, settings: Pick<K3sNodeSettings, "k3s" | "ingress" | "network" | "server">, artifactSums: pulumi.Input<ArtifactSums>) {
    const sums = pulumi.output(artifactSums);
    return {
        K3S_ROLE: role,
        K3S_VERSION: settings.k3s.version,
        K3S_ASSET: k3sAsset(settings.k3s.arch),
        ARTIFACT_URL: artifactUrl(settings.ingress, settings.k3s),
        K3S_CONFIG: renderK3sConfig(settings, node),
        K3S_SHA256: sums.apply((x) => x.k3s),
        INSTALL_SHA256: sums.apply((x) => x.install),
    };
}

/** Prereqs then online: the start of every node's chain. Returns the last step. */
export function bootSteps(
    steps: NodeSteps,
    node: ResolvedNode,
    settings: Pick<StackSettings, "network" | "prereqs">,
    /**
     * Steps that come first: for every node but the ingress, the ingress's last step.
     * The ingress serves the node's address, time, images and K3s, and is its jump
     * host, so it is provisioned first and (the engine deletes in reverse) torn down
     * last: no node loses its jump host while its own steps are being deleted.
     */
    after: pulumi.Input<pulumi.Resource>[] = [],
): command.remote.Command {
    const prereqs = steps.step("prereqs", {
        script: "prereqs",
        vars: prereqVars(node, settings),
        removeScript: "prereqs-remove",
        removeVars: { CMDLINE_PATH: settings.prereqs.cmdlinePath },
        dependsOn: after,
    });
    return steps.step("online", { script: "online", dependsOn: [prereqs] });
}

/** NTP client, registries.yaml and (for airgapped nodes) nftables. Returns the last step. */
export function k3sNodeBaseSteps(steps: NodeSteps, node: ResolvedNode, settings: Pick<K3sNodeSettings, "ingress" | "mirror" | "network" | "k3s">, after: pulumi.Resource): command.remote.Command {
    const ntp = steps.step("ntp", {
        script: "ntp-client",
        vars: { TIMESYNCD_CONF: renderTimesyncdConf(settings.ingress) },
        removeScript: "ntp-client-remove",
        dependsOn: [after],
    });
    const registries = steps.step("registries", {
        script: "registries",
        vars: { REGISTRIES_YAML: renderRegistriesYaml(settings.ingress, settings.mirror.upstreams) },
        removeScript: "registries-remove",
        dependsOn: [ntp],
    });
    if (node.internet) return registries;
    return steps.step("airgap", {
        script: "airgap",
        vars: { AIRGAP_RULES: renderAirgapRules(settings.network, settings.k3s), AIRGAP_UNIT: renderAirgapUnit(), K3S_DROPIN: renderAirgapK3sDropIn() },
        removeScript: "airgap-remove",
        dependsOn: [registries],
    });
}

/**
 * On the node that holds the database volume: its host directory. Returns
 * undefined on every other node. No delete command: the data outlives the cluster.
 */
export function dataDirStep(steps: NodeSteps, node: ResolvedNode, settings: Pick<K3sNodeSettings, "database">, after: pulumi.Resource): command.remote.Command | undefined {
    if (settings.database.node !== node.name) return undefined;
    return steps.step("data-dir", {
        script: "data-dir",
        vars: { DATA_DIR: settings.database.hostPath, DATA_UID: POSTGRES_UID },
        dependsOn: [after],
    });
}
