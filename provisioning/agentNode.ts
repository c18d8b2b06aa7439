import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { K3sNodeSettings, ResolvedNode } from "../config/schema";
import { ArtifactSums } from "./render";
import { bootSteps, dataDirStep, k3sNodeBaseSteps, k3sStepVars } from "./nodeBase";
import { connectionFor, NodeSteps } from "./steps";
import { HostKeyMap } from "./hostKeys";
import { componentType } from "../lib/typeTokens";

export interface AgentNodeArgs {
    /** Its slice of the validated stack settings. */
    readonly settings: K3sNodeSettings;
    readonly node: ResolvedNode;
    readonly privateKey: pulumi.Input<string>;
    /** The pinned host keys of every node (HostKeys). */
    readonly hostKeys: HostKeyMap;
    readonly ingressReady: pulumi.Resource;
    /** What the ingress serves, to check downloads against. */
    readonly artifactSums: pulumi.Input<ArtifactSums>;
    /** The server's K3s step: agents join (and upgrade) after it. */
    readonly serverK3s: pulumi.Resource;
    /** Cluster token from the server (secret). */
    readonly token: pulumi.Input<string>;
    /** The previous agent's last upgrade step: upgrades go one agent at a time. */
    readonly previousUpgrade?: pulumi.Resource;
}

/**
 * An airgapped K3s agent. First install runs in parallel with the other agents
 * (`install`, create-only). Later changes (a new K3s version, a new config)
 * converge through `drain` (on the server) -> `upgrade` -> `uncordon` (on the
 * server), chained across agents so only one is out of service at a time.
 * Each of those is a no-op when the agent already runs what is pinned.
 */
export class AgentNode extends pulumi.ComponentResource {
    /** Host directory of the database volume, when this node holds it. */
    public readonly dataDir?: command.remote.Command;
    /** The agent is Ready at the pinned version and schedulable. */
    public readonly ready: command.remote.Command;

    constructor(name: string, args: AgentNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("provisioning", "AgentNode"), name, {}, opts);
        const { settings, node } = args;
        const user = settings.ssh.user;
        const steps = new NodeSteps(name, connectionFor(node, settings, args.privateKey, args.hostKeys), user, this);
        // Drain and uncordon run on the server, reached the same way provisioning reaches it.
        const onServer = new NodeSteps(name, connectionFor(settings.server, settings, args.privateKey, args.hostKeys), user, this);

        const online = bootSteps(steps, node, settings, [args.ingressReady]);
        const base = k3sNodeBaseSteps(steps, node, settings, online);
        this.dataDir = dataDirStep(steps, node, settings, base);
        const k3sVars = k3sStepVars("agent", node, settings, args.artifactSums);
        const k3sSecrets = { K3S_TOKEN: args.token };
        const install = steps.step("k3s-install", {
            script: "k3s",
            vars: k3sVars,
            secretVars: k3sSecrets,
            removeScript: "k3s-remove",
            dependsOn: [base, args.ingressReady, args.serverK3s],
            createOnly: true,
        });
        const nodeVars = { NODE_NAME: node.name, K3S_VERSION: settings.k3s.version };
        const drain = onServer.step("drain", {
            script: "k3s-drain",
            vars: nodeVars,
            dependsOn: [install, args.serverK3s, ...(args.previousUpgrade ? [args.previousUpgrade] : [])],
        });
        const upgrade = steps.step("k3s-upgrade", { script: "k3s", vars: k3sVars, secretVars: k3sSecrets, dependsOn: [drain] });
        this.ready = onServer.step("uncordon", { script: "k3s-uncordon", vars: nodeVars, dependsOn: [upgrade] });
        this.registerOutputs({});
    }
}
