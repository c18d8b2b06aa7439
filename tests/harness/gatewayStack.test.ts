import { gatewayStackPaths } from "../../harness/gatewayStack";

describe("gatewayStackPaths", () => {
    it("keeps a stack's state, cluster and run below a cache folder of its own name", () => {
        expect(gatewayStackPaths("bench-gateway", "pp", "/repo")).toEqual({
            stack: { name: "bench-gateway", stateDir: "/repo/.cache/bench-gateway/state", passphrase: "pp" },
            stackFile: "/repo/Pulumi.bench-gateway.yaml",
            cacheDir: "/repo/.cache/bench-gateway",
            clusterDir: "/repo/.cache/bench-gateway/cluster",
            runDir: "/repo/.cache/bench-gateway/run",
        });
    });

    it("refuses a name that would leave the cache folder or the stack file's pattern", () => {
        for (const bad of ["../x", "Bench", "", "a/b"]) expect(() => gatewayStackPaths(bad, "pp")).toThrow(`gateway stack name: expected lower-case letters, digits and dashes, got ${JSON.stringify(bad)}`);
    });
});
