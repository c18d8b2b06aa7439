/**
 * Composition root: load and validate the stack config, provision the nodes,
 * deploy the platform, return the stack outputs. No raw resources here.
 *
 * Exported as a function (Pulumi runs it and uses its result as the stack
 * outputs) so that tests can run the same program once per stack and experiment.
 */
import { loadStackConfig } from "./config/load";
import * as pulumi from "@pulumi/pulumi";
import { HOST_KEYS_ONLY_ENV, HostKeys } from "./provisioning/hostKeys";
import { IngressNode } from "./provisioning/ingressNode";
import { ServerNode } from "./provisioning/serverNode";
import { AgentNode } from "./provisioning/agentNode";
import { Platform, resolveKubeconfig } from "./components/platform";

export = async () => {
    const config = loadStackConfig();
    const privateKey = config.secrets.sshPrivateKey;
    // Pinned host keys: from the config, or generated (and written to first-boot files by npm run bootstrap).
    const keys = new HostKeys("host-keys", { nodes: config.nodes });
    const hostKeys = keys.publicKeys;
    if (process.env[HOST_KEYS_ONLY_ENV] === "1") {
        // npm run bootstrap, with --target on exactly the host keys (see HOST_KEYS_ONLY_ENV).
        pulumi.log.warn(`${HOST_KEYS_ONLY_ENV}=1: registering the host keys only; run this only with --target on them, as npm run bootstrap does`);
        return { hostKeys: keys.table };
    }

    const ingress = new IngressNode(config.ingress.name, { settings: config, privateKey, hostKeys });
    const server = new ServerNode(config.server.name, { settings: config, privateKey, hostKeys, ingressReady: ingress.ready, artifactSums: ingress.artifactSums });

    // Agents install in parallel; upgrades are chained so one agent drains at a time.
    const agents: AgentNode[] = [];
    for (const node of config.agents) {
        agents.push(
            new AgentNode(node.name, {
                settings: config,
                node,
                privateKey,
                hostKeys,
                ingressReady: ingress.ready,
                artifactSums: ingress.artifactSums,
                serverK3s: server.k3s,
                token: server.token,
                previousUpgrade: agents[agents.length - 1]?.ready,
            }),
        );
    }

    // The platform is optional: with platform.enabled off the stack is the K3s cluster alone.
    const platform = config.platform.enabled
        ? new Platform(
              "platform",
              {
                  settings: config,
                  secrets: config.secrets,
                  kubeconfig: resolveKubeconfig(config.cluster, server.kubeconfig),
                  clusterIdentifier: `picluster-${config.server.name}`,
              },
              { dependsOn: [server, ...agents] },
          )
        : undefined;

    return {
        experiment: config.experiment.name,
        nodes: config.nodes.map((n) => ({ name: n.name, role: n.role, ip: n.ip })),
        /** The host key each node is pinned to (`ssh-ed25519 AAAA...`): public, for the operator's known_hosts. */
        hostKeys: keys.table,
        /** Admin kubeconfig (secret): `pulumi stack output --show-secrets kubeconfig`. */
        kubeconfig: server.kubeconfig,
        ...(platform ? { hosts: platform.hosts, namespace: platform.namespace } : {}),
        ...(platform?.tunnelId ? { tunnelId: platform.tunnelId } : {}),
    };
};
