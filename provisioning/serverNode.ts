import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";
import { K3sNodeSettings } from "../config/schema";
import { apiUrl, ArtifactSums } from "./render";
import { bootSteps, dataDirStep, k3sNodeBaseSteps, k3sStepVars } from "./nodeBase";
import { connectionFor, NodeSteps } from "./steps";
import { HostKeyMap } from "./hostKeys";
import { componentType } from "../lib/typeTokens";

export interface ServerNodeArgs {
    /** Its slice of the validated stack settings. */
    readonly settings: K3sNodeSettings;
    readonly privateKey: pulumi.Input<string>;
    /** The pinned host keys of every node (HostKeys). */
    readonly hostKeys: HostKeyMap;
    /** The ingress's last step: mirror, NTP and K3s artifacts are ready. */
    readonly ingressReady: pulumi.Resource;
    /** What the ingress serves, to check downloads against. */
    readonly artifactSums: pulumi.Input<ArtifactSums>;
}

/**
 * The K3s control node. Its cluster token comes from `@pulumi/random`; the
 * admin kubeconfig is read back as a secret and rewritten to the server's LAN
 * address. A version change re-runs the K3s step, which upgrades in place
 * before any agent (the agents' upgrade steps depend on it).
 */
export class ServerNode extends pulumi.ComponentResource {
    /** Cluster join token (secret). */
    public readonly token: pulumi.Output<string>;
    /** Admin kubeconfig pointing at the server's LAN address (secret). */
    public readonly kubeconfig: pulumi.Output<string>;
    /** K3s server installed/upgraded and its API ready. */
    public readonly k3s: command.remote.Command;
    /** Host directory of the database volume, when this node holds it. */
    public readonly dataDir?: command.remote.Command;

    constructor(name: string, args: ServerNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("provisioning", "ServerNode"), name, {}, opts);
        const { settings } = args;
        const node = settings.server;
        const steps = new NodeSteps(name, connectionFor(node, settings, args.privateKey, args.hostKeys), settings.ssh.user, this);

        const token = new random.RandomPassword(`${name}-token`, { length: 48, special: false }, { parent: this });
        this.token = pulumi.secret(token.result);

        const online = bootSteps(steps, node, settings, [args.ingressReady]);
        const base = k3sNodeBaseSteps(steps, node, settings, online);
        this.dataDir = dataDirStep(steps, node, settings, base);
        this.k3s = steps.step("k3s", {
            script: "k3s",
            vars: k3sStepVars("server", node, settings, args.artifactSums),
            secretVars: { K3S_TOKEN: this.token },
            removeScript: "k3s-remove",
            dependsOn: [base, args.ingressReady],
        });
        const kubeconfig = steps.step("kubeconfig", {
            script: "kubeconfig",
            vars: { API_URL: apiUrl(node) },
            dependsOn: [this.k3s],
            secretOutput: true,
        });
        this.kubeconfig = pulumi.secret(kubeconfig.stdout);
        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }
}
