/**
 * Shared wiring for provisioning steps: SSH connections (with the ingress as
 * jump host) and one `remote.Command` per step script.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ResolvedNode, StackSettings } from "../config/schema";
import { renderScript, remoteCommand, ScriptVars } from "./script";
import { HostKeyMap } from "./hostKeys";

export type Connection = command.types.input.remote.ConnectionArgs;

/** The pinned host key of a node; a node without one is an error, never trust on first use. */
export function pinnedKey(hostKeys: HostKeyMap, node: string): pulumi.Input<string> {
    const key = hostKeys[node];
    if (key === undefined) throw new Error(`no pinned SSH host key for node ${JSON.stringify(node)}: refusing to trust it on first use`);
    return key;
}

/**
 * How to reach a node. The ingress is dialled directly (its `sshHost`, e.g. a
 * ZeroTier address); every other node through the ingress as jump host. Host
 * keys (from the config or generated, see HostKeys) are pinned on both hops.
 */
export function connectionFor(
    node: ResolvedNode,
    settings: Pick<StackSettings, "ingress" | "ssh">,
    privateKey: pulumi.Input<string>,
    hostKeys: HostKeyMap,
): Connection {
    const { ssh, ingress } = settings;
    const common = {
        port: ssh.port,
        user: ssh.user,
        privateKey,
        dialErrorLimit: ssh.dialErrorLimit,
        perDialTimeout: ssh.perDialTimeout,
    };
    if (node.role === "ingress") {
        return { ...common, host: node.sshHost, hostKey: pinnedKey(hostKeys, node.name) };
    }
    return {
        ...common,
        host: node.ip,
        hostKey: pinnedKey(hostKeys, node.name),
        proxy: { ...common, host: ingress.sshHost, hostKey: pinnedKey(hostKeys, ingress.name) },
    };
}

/** Inputs a step script gets; Outputs (e.g. the K3s token) keep their secrecy. */
export type StepVars = Readonly<Record<string, pulumi.Input<string | number | boolean>>>;

export interface StepArgs {
    readonly connection: Connection;
    /** Script under provisioning/scripts/ (without .sh) that converges the node. */
    readonly script: string;
    readonly vars?: StepVars;
    /**
     * Secret inputs (the K3s token): sent on the step's standard input, one line each,
     * never in its command text or environment. A change re-runs the step.
     */
    readonly secretVars?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Script that undoes the step on `pulumi destroy`. */
    readonly removeScript?: string;
    readonly removeVars?: StepVars;
    /** The remote user, to decide whether sudo is needed. */
    readonly user: string;
    /** Steps that must finish first (the previous step on this node, the server, ...). */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** Read a secret: no streaming logs, stdout stored as a secret. */
    readonly secretOutput?: boolean;
    /** Run on create only; later changes are converged by another step (see AgentNode). */
    readonly createOnly?: boolean;
}

/** Render a script with inputs that may be Outputs; the result is secret when any input is. */
export function renderStepCommand(script: string, vars: StepVars, user: string, stdinNames: readonly string[] = []): pulumi.Output<string> {
    return pulumi.all(vars as Record<string, pulumi.Input<string | number | boolean>>).apply((resolved) =>
        remoteCommand(renderScript(script, resolved as ScriptVars, stdinNames), user),
    );
}

/** The standard input that carries a step's secret inputs, in name order; always a secret. */
export function secretStdin(secretVars: Readonly<Record<string, pulumi.Input<string>>>): pulumi.Output<string> {
    const names = Object.keys(secretVars).sort();
    return pulumi.secret(
        pulumi.all(names.map((n) => secretVars[n])).apply((values) =>
            values
                .map((v, i) => {
                    if (/[\r\n]/.test(v)) throw new Error(`secret input ${names[i]}: expected one line, got a value with a line break`);
                    return `${v}\n`;
                })
                .join(""),
        ),
    );
}

/** One provisioning step on one node. */
export function remoteStep(name: string, args: StepArgs, parent: pulumi.Resource): command.remote.Command {
    return new command.remote.Command(
        name,
        {
            connection: args.connection,
            create: renderStepCommand(args.script, args.vars ?? {}, args.user, Object.keys(args.secretVars ?? {}).sort()),
            stdin: args.secretVars ? secretStdin(args.secretVars) : undefined,
            delete: args.removeScript ? renderStepCommand(args.removeScript, args.removeVars ?? {}, args.user) : undefined,
            // Stream step logs unless the step reads a secret.
            logging: args.secretOutput ? "none" : "stdoutAndStderr",
            addPreviousOutputInEnv: false,
        },
        {
            parent,
            dependsOn: args.dependsOn,
            additionalSecretOutputs: args.secretOutput ? ["stdout"] : undefined,
            ignoreChanges: args.createOnly ? ["create", "stdin"] : undefined,
            customTimeouts: { create: "30m", update: "30m", delete: "15m" },
        },
    );
}

/** What a step on a node needs besides the builder's own fields. */
export type NodeStepArgs = Omit<StepArgs, "connection" | "user">;

/**
 * The steps of one node component: its name prefix, the connection that reaches
 * the node, the remote user and the parent, held once. `step("ntp", …)` makes
 * `<name>-ntp`. Steps an agent runs on the server (drain, uncordon) use a second
 * builder with the agent's name and parent and the server's connection.
 */
export class NodeSteps {
    constructor(
        private readonly name: string,
        private readonly connection: Connection,
        private readonly user: string,
        private readonly parent: pulumi.Resource,
    ) {}

    step(suffix: string, args: NodeStepArgs): command.remote.Command {
        return remoteStep(`${this.name}-${suffix}`, { ...args, connection: this.connection, user: this.user }, this.parent);
    }
}
