/** IPv4 and MAC helpers for config validation. Pure, no dependencies. */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function isIPv4(s: string): boolean {
    return IPV4.test(s);
}

export function isMac(s: string): boolean {
    return MAC.test(s);
}

export function ipToInt(ip: string): number {
    if (!isIPv4(ip)) throw new Error(`not an IPv4 address: '${ip}'`);
    return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export interface Cidr {
    readonly network: number;
    readonly prefix: number;
}

export function parseCidr(cidr: string): Cidr | undefined {
    const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
    if (!m || !isIPv4(m[1]) || Number(m[2]) > 32) return undefined;
    const prefix = Number(m[2]);
    const size = 2 ** (32 - prefix);
    const base = ipToInt(m[1]);
    if (base % size !== 0) return undefined; // host bits set: "192.168.100.5/24" is not a subnet
    return { network: base, prefix };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
    const size = 2 ** (32 - cidr.prefix);
    const n = ipToInt(ip);
    return n >= cidr.network && n < cidr.network + size;
}

export function netmask(prefix: number): string {
    return intToIp(prefix === 0 ? 0 : (0xffffffff - (2 ** (32 - prefix) - 1)) >>> 0);
}

/** Inclusive range check. */
export function ipInRange(ip: string, start: string, end: string): boolean {
    const n = ipToInt(ip);
    return n >= ipToInt(start) && n <= ipToInt(end);
}

/** Whether two subnets share any address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    const end = (c: Cidr) => c.network + 2 ** (32 - c.prefix);
    return a.network < end(b) && b.network < end(a);
}
