/**
 * Composition root: load and validate the stack config, provision the nodes,
 * deploy the platform, return the stack outputs. No raw resources here.
 *
 * Exported as a function (Pulumi runs it and uses its result as the stack
 * outputs) so that tests can run the same program once per stack and experiment.
 */
import { loadStackConfig } from "./config";
import { IngressNode } from "./provisioning/ingressNode";
import { ServerNode } from "./provisioning/serverNode";
import { AgentNode } from "./provisioning/agentNode";
import { Platform, resolveKubeconfig } from "./components/platform";

export = async () => {
    const config = loadStackConfig();
    const privateKey = config.secrets.sshPrivateKey;

    const ingress = new IngressNode(config.ingress.name, { settings: config, privateKey });
    const server = new ServerNode(config.server.name, { settings: config, privateKey, ingressReady: ingress.ready, artifactSums: ingress.artifactSums });

    // Agents install in parallel; upgrades are chained so one agent drains at a time.
    const agents: AgentNode[] = [];
    for (const node of config.agents) {
        agents.push(
            new AgentNode(node.name, {
                settings: config,
                node,
                privateKey,
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
                  config,
                  kubeconfig: resolveKubeconfig(config.cluster, server.kubeconfig),
                  clusterIdentifier: `picluster-${config.server.name}`,
              },
              { dependsOn: [server, ...agents] },
          )
        : undefined;

    return {
        experiment: config.experiment.name,
        nodes: config.nodes.map((n) => ({ name: n.name, role: n.role, ip: n.ip })),
        /** Admin kubeconfig (secret): `pulumi stack output --show-secrets kubeconfig`. */
        kubeconfig: server.kubeconfig,
        ...(platform ? { hosts: platform.hosts, namespace: platform.namespace } : {}),
        ...(platform?.tunnelId ? { tunnelId: platform.tunnelId } : {}),
    };
};
