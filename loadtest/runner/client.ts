/**
 * The load client's own CPU and memory during a trial. A trial whose client
 * was saturated measured the client, not the platform, so it is marked invalid
 * (FACTS.md: client CPU under 90 %, memory under 80 %).
 */
import * as fs from "fs";

export interface CpuTimes {
    idle: number;
    total: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes {
    const line = text.split("\n").find((l) => /^cpu\s/.test(l));
    if (!line) throw new Error("/proc/stat: expected an aggregate 'cpu' line, got none");
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
    return { idle, total: v.slice(0, 8).reduce((a, b) => a + b, 0) };
}

/** Busy share of all cores between two readings, in percent. */
export function cpuPercent(prev: CpuTimes, cur: CpuTimes): number {
    const total = cur.total - prev.total;
    if (total <= 0) return 0;
    return Math.max(0, Math.min(100, (100 * (total - (cur.idle - prev.idle))) / total));
}

/** Used memory (total less available) in percent, from /proc/meminfo. */
export function memPercent(meminfo: string): number {
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(meminfo)?.[1]);
    const total = kb("MemTotal");
    const available = kb("MemAvailable");
    if (!(total > 0) || !Number.isFinite(available)) throw new Error("/proc/meminfo: expected MemTotal and MemAvailable");
    return (100 * (total - available)) / total;
}

export interface ClientSample {
    tS: number;
    cpuPercent: number;
    memPercent: number;
}

export interface ClientLimits {
    cpuPercent: number;
    memPercent: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = { cpuPercent: 90, memPercent: 80 };

/** Reasons a trial is invalid (empty when valid). */
export function clientInvalidReasons(samples: readonly ClientSample[], limits: ClientLimits = DEFAULT_CLIENT_LIMITS): string[] {
    const reasons: string[] = [];
    const worst = (key: "cpuPercent" | "memPercent") => samples.reduce<ClientSample | undefined>((w, s) => (!w || s[key] > w[key] ? s : w), undefined);
    const cpu = worst("cpuPercent");
    if (cpu && cpu.cpuPercent > limits.cpuPercent) reasons.push(`client CPU ${cpu.cpuPercent.toFixed(1)} % > ${limits.cpuPercent} % at t=${cpu.tS.toFixed(1)} s`);
    const mem = worst("memPercent");
    if (mem && mem.memPercent > limits.memPercent) reasons.push(`client memory ${mem.memPercent.toFixed(1)} % > ${limits.memPercent} % at t=${mem.tS.toFixed(1)} s`);
    return reasons;
}

/** Reads this machine's CPU and memory; each call to `sample` measures since the previous one. */
export class ClientMonitor {
    private prev: CpuTimes;

    constructor(private readonly read: (file: string) => string = (f) => fs.readFileSync(f, "utf8")) {
        this.prev = parseProcStat(this.read("/proc/stat"));
    }

    sample(): Omit<ClientSample, "tS"> {
        const cur = parseProcStat(this.read("/proc/stat"));
        const s = { cpuPercent: cpuPercent(this.prev, cur), memPercent: memPercent(this.read("/proc/meminfo")) };
        this.prev = cur;
        return s;
    }
}
