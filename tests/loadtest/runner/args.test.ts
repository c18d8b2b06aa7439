import { loadCatalog } from "../../../experiments/catalog";
import { loadLoadTable } from "../../../loadtest/profiles";
import { parseRunArgs } from "../../../loadtest/runner/args";

const catalog = loadCatalog();
const table = loadLoadTable();
const parse = (...argv: string[]) => parseRunArgs(argv, catalog, table);

describe("npm run experiment arguments", () => {
    it("take the defaults a researcher expects", () => {
        expect(parse("uor-replicas-2", "--profile", "spike")).toEqual({
            experiment: "uor-replicas-2",
            endpoint: "uor",
            profile: "spike",
            trials: 3,
            dryRun: false,
            target: "cluster",
            usage: "http",
            stack: "dev",
            baseUrl: undefined,
            timeScale: 1,
            latencyMs: null,
            latencyInterface: undefined,
            resultsDir: "results",
            flowsheetFile: undefined,
            kubeconfig: undefined,
            namespace: undefined,
            settleTimeoutS: 900,
            clientCpuLimit: 90,
            clientMemLimit: 80,
        });
    });

    it("run soak once unless told otherwise", () => {
        expect(parse("baseline", "--endpoint", "fs", "--profile", "soak")?.trials).toBe(1);
        expect(parse("baseline", "--endpoint", "fs", "--profile", "soak", "--trials", "2")?.trials).toBe(2);
    });

    it("accept --key=value, --latency with and without a value, and --dry-run", () => {
        expect(parse("cpu-target-50", "--endpoint=fs", "--profile=breakpoint", "--latency", "--dry-run", "--time-scale=0.1")).toMatchObject({ endpoint: "fs", latencyMs: 5, dryRun: true, timeScale: 0.1 });
        expect(parse("cpu-target-50", "--endpoint", "fs", "--profile", "spike", "--latency=12", "--latency-interface", "eth0")).toMatchObject({ latencyMs: 12, latencyInterface: "eth0" });
    });

    it("take --usage simulated for a cluster target", () => {
        expect(parse("scaleup-limit-2", "--endpoint", "uor", "--profile", "spike", "--usage", "simulated")).toMatchObject({ usage: "simulated", target: "cluster" });
    });

    it("return null for --help", () => {
        expect(parse("--help")).toBeNull();
    });

    it.each([
        [["nope", "--profile", "average"], 'experiment: expected one of baseline, uor-replicas-1'],
        [[], "expected exactly one experiment name, got 0"],
        [["uor-replicas-1", "fs-replicas-1-1", "--profile", "average"], "expected exactly one experiment name, got 2"],
        [["uor-replicas-1", "--profile", "average", "--endpoint", "fs"], "--endpoint: experiment uor-replicas-1 is measured on uor, got fs"],
        [["cpu-target-50", "--profile", "spike"], "--endpoint: expected one of uor, fs (experiment cpu-target-50 fits either), got none"],
        [["uor-replicas-1", "--profile", "soak"], "--profile: experiment uor-replicas-1 is run with average, stress, spike, breakpoint, got soak"],
        [["uor-replicas-1", "--profile", "peak"], '--profile: expected one of average, stress, soak, spike, breakpoint, got "peak"'],
        [["uor-replicas-1"], "--profile: expected one of average, stress, soak, spike, breakpoint, got null"],
        [["uor-replicas-1", "--profile", "average", "--trials", "0"], '--trials: expected a whole number from 1 to 20, got "0"'],
        [["uor-replicas-1", "--profile", "average", "--trials", "two"], '--trials: expected a whole number from 1 to 20, got "two"'],
        [["uor-replicas-1", "--profile", "average", "--time-scale", "2"], '--time-scale: expected a number in (0, 1], got "2"'],
        [["uor-replicas-1", "--profile", "average", "--latency=0"], '--latency: expected milliseconds in (0, 1000], got "0"'],
        [["uor-replicas-1", "--profile", "average", "--latency-interface", "eth0"], "--latency-interface: only meaningful with --latency, got it without"],
        [["uor-replicas-1", "--profile", "average", "--target", "laptop"], '--target: expected one of cluster, local, got "laptop"'],
        [["uor-replicas-1", "--profile", "average", "--target", "local"], '--target local: expected experiment baseline (the Docker Compose baseline has no scaling variants), got "uor-replicas-1"'],
        [["uor-replicas-1", "--profile", "average", "--base-url", "api.ahuora.org.nz"], '--base-url: expected an http(s) URL, got "api.ahuora.org.nz"'],
        [["uor-replicas-1", "--profile", "average", "--stack", "a b"], '--stack: expected a stack name, got "a b"'],
        [["uor-replicas-1", "--profile", "average", "--client-cpu-limit", "150"], '--client-cpu-limit: expected a percentage in (0, 100], got "150"'],
        [["uor-replicas-1", "--profile", "average", "--trials"], "--trials: expected a value, got none"],
        [["uor-replicas-1", "--profile", "average", "--frobnicate"], "unknown option --frobnicate"],
        [["uor-replicas-1", "--profile", "average", "--usage", "fake"], '--usage: expected one of http, simulated, got "fake"'],
        [["baseline", "--target", "local", "--endpoint", "uor", "--profile", "average", "--usage", "simulated"], "--usage simulated: expected --target cluster (it plays the load as pod CPU on a cluster), got --target local"],
        [["uor-replicas-1", "--profile", "average", "--usage", "simulated", "--latency"], "--latency: not used with --usage simulated (no request is sent), got it"],
        [["uor-replicas-1", "--profile", "average", "--usage", "simulated", "--base-url", "https://x"], "--base-url: not used with --usage simulated (no request is sent), got it"],
        [["uor-replicas-1", "--profile", "average", "--usage", "simulated", "--flowsheet", "f.yaml"], "--flowsheet: not used with --usage simulated (no request is sent), got it"],
    ])("reject %j with a message naming the option", (argv, message) => {
        expect(() => parse(...argv)).toThrow(message);
    });
});
