/**
 * Composition root: load and validate the stack config, provision the nodes,
 * deploy the platform, export what operators need. No raw resources here.
 */
import { loadStackConfig } from "./config";
import { IngressNode } from "./provisioning/ingressNode";
import { ServerNode } from "./provisioning/serverNode";
import { AgentNode } from "./provisioning/agentNode";
import { Platform, resolveKubeconfig } from "./components/platform";

const config = loadStackConfig();
const privateKey = config.secrets.sshPrivateKey;

const ingress = new IngressNode(config.ingress.name, { settings: config, privateKey });
const server = new ServerNode(config.server.name, { settings: config, privateKey, ingressReady: ingress.ready });

// Agents install in parallel; upgrades are chained so one agent drains at a time.
const agents: AgentNode[] = [];
for (const node of config.agents) {
    agents.push(
        new AgentNode(node.name, {
            settings: config,
            node,
            privateKey,
            ingressReady: ingress.ready,
            serverK3s: server.k3s,
            serverConnection: server.connection,
            token: server.token,
            previousUpgrade: agents[agents.length - 1]?.ready,
        }),
    );
}

const platform = new Platform(
    "platform",
    {
        config,
        kubeconfig: resolveKubeconfig(config.cluster, server.kubeconfig),
        clusterIdentifier: `picluster-${config.server.name}`,
    },
    { dependsOn: [server, ...agents] },
);

export const experiment = config.experiment.name;
export const nodes = config.nodes.map((n) => ({ name: n.name, role: n.role, ip: n.ip }));
export const hosts = platform.hosts;
export const namespace = platform.namespace;
export const kubeconfig = server.kubeconfig;
export const tunnelId = platform.tunnelId;
