import { cidrContains, intToIp, ipInRange, ipToInt, isIPv4, isMac, netmask, parseCidr } from "../../lib/net";

describe("IPv4 helpers", () => {
    it("round-trips addresses through integers", () => {
        for (const ip of ["0.0.0.0", "192.168.100.101", "255.255.255.255", "10.42.0.1"]) {
            expect(intToIp(ipToInt(ip))).toBe(ip);
        }
    });

    it.each([
        ["192.168.100.0/24", "192.168.100.127", true],
        ["192.168.100.0/24", "192.168.101.1", false],
        ["172.30.100.0/24", "172.30.100.255", true],
        ["10.0.0.0/8", "10.255.1.1", true],
    ])("%s contains %s: %s", (cidr, ip, expected) => {
        expect(cidrContains(parseCidr(cidr)!, ip)).toBe(expected);
    });

    it("rejects subnets with host bits set or bad prefixes", () => {
        expect(parseCidr("192.168.100.5/24")).toBeUndefined();
        expect(parseCidr("192.168.100.0/33")).toBeUndefined();
        expect(parseCidr("192.168.100.0")).toBeUndefined();
    });

    it("computes netmasks", () => {
        expect(netmask(24)).toBe("255.255.255.0");
        expect(netmask(16)).toBe("255.255.0.0");
        expect(netmask(0)).toBe("0.0.0.0");
        expect(netmask(32)).toBe("255.255.255.255");
    });

    it("checks inclusive ranges and formats", () => {
        expect(ipInRange("192.168.100.200", "192.168.100.200", "192.168.100.250")).toBe(true);
        expect(ipInRange("192.168.100.251", "192.168.100.200", "192.168.100.250")).toBe(false);
        expect(isIPv4("192.168.100.256")).toBe(false);
        expect(isMac("2c:cf:67:00:01:21")).toBe(true);
        expect(isMac("2C:CF:67:00:01:21")).toBe(false);
    });
});
