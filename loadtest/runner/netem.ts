/**
 * Added network latency for a trial (thesis draft 000, listings 3.1/3.2):
 * `tc qdisc add dev <if> root netem delay 5ms` before, `tc qdisc del dev <if>
 * root netem` after. The runner removes it on every way out of a trial.
 */
import { execFile } from "child_process";
import { promisify } from "util";

const run = promisify(execFile);

export interface NetemCommands {
    add: string[];
    remove: string[];
    /** Lists the interface's qdiscs, to refuse a run when one of ours is already there. */
    show: string[];
    /** The qdisc kind `add` installs (netem). */
    kind: string;
}

export function netemCommands(iface: string, delayMs: number): NetemCommands {
    if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(iface)) throw new Error(`--latency-interface: expected a network interface name, got ${JSON.stringify(iface)}`);
    if (!(Number.isFinite(delayMs) && delayMs > 0 && delayMs <= 1000)) throw new Error(`--latency-ms: expected a number of milliseconds in (0, 1000], got ${delayMs}`);
    return {
        add: ["tc", "qdisc", "add", "dev", iface, "root", "netem", "delay", `${delayMs}ms`],
        remove: ["tc", "qdisc", "del", "dev", iface, "root", "netem"],
        show: ["tc", "qdisc", "show", "dev", iface],
        kind: "netem",
    };
}

/** The interface `ip route get <address>` answers with (the client interface towards the target). */
export function routeInterface(ipRouteGetOutput: string): string | undefined {
    return /\bdev\s+(\S+)/.exec(ipRouteGetOutput)?.[1];
}

export async function interfaceTowards(address: string, netns?: string): Promise<string> {
    const args = ["route", "get", address];
    const { stdout } = netns ? await run("ip", ["netns", "exec", netns, "ip", ...args]) : await run("ip", args);
    const iface = routeInterface(stdout);
    if (!iface) throw new Error(`--latency-interface: could not find the interface towards ${address} (ip route get said ${JSON.stringify(stdout.trim())}); pass it explicitly`);
    return iface;
}

/** Whether `tc qdisc show` lists a qdisc of this kind. */
export function hasQdisc(tcShowOutput: string, kind: string): boolean {
    return new RegExp(`^qdisc ${kind} `, "m").test(tcShowOutput);
}

/**
 * Adds the delay; the returned function removes it and may be called any
 * number of times. Refuses (touching nothing) when the interface already has
 * one, e.g. left by a run that was killed: that delay is not ours to remove,
 * and a trial on top of it would measure the wrong network.
 */
export async function addLatency(cmds: NetemCommands, exec: (argv: string[]) => Promise<string> = execArgv): Promise<() => Promise<void>> {
    const current = await exec(cmds.show);
    if (hasQdisc(current, cmds.kind)) {
        throw new Error(`latency: the interface already has a ${cmds.kind} qdisc (${current.trim().split("\n")[0]}); remove it first with: ${cmds.remove.join(" ")}`);
    }
    try {
        await exec(cmds.add);
    } catch (e) {
        const msg = (e as { stderr?: string }).stderr?.trim() || (e as Error).message;
        throw new Error(`${cmds.add.join(" ")}: ${msg}`);
    }
    let removed = false;
    return async () => {
        if (removed) return;
        removed = true;
        await exec(cmds.remove);
    };
}

async function execArgv(argv: string[]): Promise<string> {
    return (await run(argv[0], argv.slice(1))).stdout;
}
