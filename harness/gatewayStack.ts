/**
 * The gateway with real programs on a stack and a cluster of its own: what the
 * gateway e2e suite and the gateway benchmark both start from (issue #14). A fresh
 * local control plane, the dev stack's config on freshly booted simulated nodes,
 * `pulumi up`, then harness/gateway.ts's Traefik, OAuth2 Proxy and mockoidc on the
 * objects it deployed. Needs root (network namespaces, the simulated nodes).
 */
import * as fs from "fs";
import * as path from "path";
import { StackSettings } from "../config/schema";
import { parseStackConfig } from "../config/validate";
import { rawConfigFromCli } from "./bootstrap";
import { DEV_CLUSTER, LocalCluster } from "./cluster";
import { EngineStack, failureReport, pulumi, pulumiOk, ROOT } from "./engine";
import { Gateway } from "./gateway";
import { freshStackOnBareNodes, simConfig, simDown } from "./sim";

/** Where a gateway stack keeps its things: all named after the stack. */
export interface GatewayStackPaths {
    readonly stack: EngineStack;
    /** Pulumi.<name>.yaml in the project folder (git ignores the e2e and bench ones). */
    readonly stackFile: string;
    /** Its state, cluster and gateway run directories are below this one. */
    readonly cacheDir: string;
    readonly clusterDir: string;
    readonly runDir: string;
}

/** The paths of a gateway stack named `name` (e.g. `e2e-gateway`, `bench-gateway`) under `root`. */
export function gatewayStackPaths(name: string, passphrase: string, root = ROOT): GatewayStackPaths {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`gateway stack name: expected lower-case letters, digits and dashes, got ${JSON.stringify(name)}`);
    const cacheDir = path.join(root, ".cache", name);
    return {
        stack: { name, stateDir: path.join(cacheDir, "state"), passphrase },
        stackFile: path.join(root, `Pulumi.${name}.yaml`),
        cacheDir,
        clusterDir: path.join(cacheDir, "cluster"),
        runDir: path.join(cacheDir, "run"),
    };
}

export interface StartedGateway {
    readonly gw: Gateway;
    /** The stack's config as deployed, validated (secret-free). */
    readonly settings: StackSettings;
}

/**
 * One gateway stack's life: `start()` sets it all up, `stop()` takes down whatever
 * was started (safe after a failed or partial start, and more than once).
 */
export class GatewayStack {
    readonly paths: GatewayStackPaths;
    readonly cluster: LocalCluster;
    private gw?: Gateway;
    private stopping?: Promise<void>;

    constructor(
        name: string,
        passphrase: string,
        private readonly secrets: Readonly<Record<string, string>>,
    ) {
        this.paths = gatewayStackPaths(name, passphrase);
        this.cluster = new LocalCluster(this.paths.clusterDir);
    }

    /**
     * A fresh cluster (a running dev cluster is stopped first, its data kept), a fresh
     * stack on bare simulated nodes pointed at it, `pulumi up`, and the gateway.
     */
    async start(): Promise<StartedGateway> {
        const { stack, stackFile, runDir } = this.paths;
        if (DEV_CLUSTER.running()) DEV_CLUSTER.down();
        this.cluster.down(true);
        this.cluster.up("dev");
        await freshStackOnBareNodes(stack, stackFile, this.secrets, { ...simConfig(), "picluster:cluster": { kubeconfig: { source: "file", path: this.cluster.kubeconfig } } });
        const up = await pulumi(stack, ["up", "--yes", "--skip-preview"], { timeoutMs: 20 * 60_000 });
        if (up.code !== 0) throw new Error(`pulumi up -s ${stack.name} failed (exit ${up.code}):\n${failureReport(up)}`);
        // The config as the engine has it (secrets in memory only: the parser requires them).
        const settings = parseStackConfig(rawConfigFromCli((await pulumiOk(stack, ["config", "--show-secrets", "--json"])).stdout), { baseDir: ROOT });
        this.gw = await Gateway.start(this.cluster, settings.platform.namespace, runDir);
        await this.gw.pinTraefikCert(settings.platform.domains.frontend);
        return { gw: this.gw, settings };
    }

    /**
     * Stop the gateway, the simulated nodes and the cluster (its data purged). With
     * `removeStack`, also the stack's file and everything under its cache folder
     * (state included): nothing of the run is left.
     */
    stop(opts: { removeStack?: boolean } = {}): Promise<void> {
        this.stopping ??= (async () => {
            // Every step, even after one fails; the first failure is reported.
            const steps: (() => unknown)[] = [() => this.gw?.stop(), () => simDown(), () => this.cluster.down(true)];
            if (opts.removeStack) steps.push(() => fs.rmSync(this.paths.stackFile, { force: true }), () => fs.rmSync(this.paths.cacheDir, { recursive: true, force: true }));
            const errors: unknown[] = [];
            for (const step of steps) await Promise.resolve().then(step).catch((e: unknown) => errors.push(e));
            if (errors.length > 0) throw errors[0];
        })();
        return this.stopping;
    }
}
