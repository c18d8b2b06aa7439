import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { IngressNodeSettings, StackSettings } from "../config/schema";
import {
    ARTIFACT_ROOT,
    ArtifactSums,
    k3sAsset,
    k3sDownloads,
    renderArtifactUnit,
    renderDnsmasqConf,
    MIRROR_VERIFY_PATH,
    renderMirrorConfig,
    renderMirrorUnit,
    renderMirrorVerifyUnits,
    parseArtifactSums,
    renderNtpServerConf,
} from "./render";
import { bootSteps } from "./nodeBase";
import { connectionFor, NodeSteps } from "./steps";
import { HostKeyMap } from "./hostKeys";
import { componentType } from "../lib/typeTokens";

export interface IngressNodeArgs {
    /** Its slice of the validated stack settings. */
    readonly settings: IngressNodeSettings;
    /** SSH private key (secret). */
    readonly privateKey: pulumi.Input<string>;
    /** The pinned host keys of every node (HostKeys). */
    readonly hostKeys: HostKeyMap;
}

/** The blob check installed on the ingress as it is (provisioning/files/). */
const MIRROR_VERIFY_SCRIPT = fs.readFileSync(path.join(__dirname, "files/mirror-verify.sh"), "utf8").trimEnd();

/** The mirror instances as `<registry> <base64 config>` lines, one per upstream. */
export function mirrorConfigLines(settings: Pick<StackSettings, "ingress" | "mirror">): string {
    return settings.mirror.upstreams
        .map((u) => `${u.registry} ${Buffer.from(renderMirrorConfig(settings.ingress, u)).toString("base64")}`)
        .join("\n");
}

/**
 * The internet-connected ingress node: dnsmasq (DHCP by MAC, DNS), the ntpsec
 * time server, the OCI pull-through mirror, ZeroTier (optional) and the K3s
 * artifacts for the airgapped nodes. Not a Kubernetes node.
 */
export class IngressNode extends pulumi.ComponentResource {
    /** The last step: everything the other nodes need from the ingress is up. */
    public readonly ready: command.remote.Command;
    /** dnsmasq is serving leases and names. */
    public readonly dns: command.remote.Command;
    /** Sums of the K3s artifacts the ingress verified and serves; the other nodes check against them. */
    public readonly artifactSums: pulumi.Output<ArtifactSums>;

    constructor(name: string, args: IngressNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("provisioning", "IngressNode"), name, {}, opts);
        const { settings } = args;
        const node = settings.ingress;
        const steps = new NodeSteps(name, connectionFor(node, settings, args.privateKey, args.hostKeys), settings.ssh.user, this);
        const step = (suffix: string, script: string, vars: Record<string, string>, removeScript: string | undefined, after: pulumi.Resource, removeVars?: Record<string, string>) =>
            steps.step(suffix, { script, vars, removeScript, removeVars, dependsOn: [after] });

        const online = bootSteps(steps, node, settings);
        this.dns = step("dnsmasq", "dnsmasq", { DNSMASQ_CONF: renderDnsmasqConf(settings) }, "dnsmasq-remove", online);
        const ntp = step("ntp", "ntp-server", { NTP_CONF: renderNtpServerConf(settings) }, "ntp-server-remove", this.dns);
        const verify = renderMirrorVerifyUnits();
        const mirror = step(
            "mirror",
            "mirror",
            {
                MIRROR_UNIT: renderMirrorUnit(),
                MIRROR_CONFIGS: mirrorConfigLines(settings),
                VERIFY_PATH: MIRROR_VERIFY_PATH,
                VERIFY_SCRIPT: MIRROR_VERIFY_SCRIPT,
                VERIFY_SERVICE: verify.service,
                VERIFY_TIMER: verify.timer,
            },
            "mirror-remove",
            ntp,
        );
        const networkId = settings.zerotier.networkId;
        const beforeArtifacts = networkId
            ? step("zerotier", "zerotier", { ZT_NETWORK: networkId }, "zerotier-remove", mirror, { ZT_NETWORK: networkId })
            : mirror;
        const downloads = k3sDownloads(settings.k3s);
        this.ready = step(
            "k3s-artifacts",
            "k3s-artifacts",
            {
                K3S_VERSION: settings.k3s.version,
                K3S_ASSET: k3sAsset(settings.k3s.arch),
                BINARY_URL: downloads.binary,
                CHECKSUM_URL: downloads.checksums,
                INSTALL_URL: downloads.installScript,
                ARTIFACT_ROOT,
                ARTIFACT_UNIT: renderArtifactUnit(node, settings.k3s),
            },
            "k3s-artifacts-remove",
            beforeArtifacts,
            { ARTIFACT_ROOT },
        );
        this.artifactSums = this.ready.stdout.apply(parseArtifactSums);
        this.registerOutputs({});
    }
}
