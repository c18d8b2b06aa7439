/**
 * The trial runner end to end against the stand-in platform on loopback, with
 * the real load generator, flowsheet calls, cluster sampling (the stand-in
 * answers the Kubernetes reads) and analysis. Only `pulumi up` is replaced,
 * by a no-op that records what it was asked.
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadCatalog } from "../../../experiments/catalog";
import { loadLoadTable } from "../../../loadtest/profiles";
import { parseRunArgs } from "../../../loadtest/runner/args";
import { loadFlowsheet } from "../../../loadtest/runner/flowsheet";
import { KubeClient, parseKubeconfig } from "../../../loadtest/runner/kube";
import { runExperiment, RunContext, RunSummary } from "../../../loadtest/runner/run";
import { corePod, deployment, hpa, Standin, standinKubeconfig, startStandin } from "../../../harness/standin";
import { USAGE_CPU_ANNOTATION } from "../../../loadtest/runner/usage";
import { loadgenBinary, readCsv } from "../../helpers/loadgen";
import { ROOT } from "../../helpers/program";
import { scratchDir } from "../../helpers/tmp";

const catalog = loadCatalog();
const table = loadLoadTable();
const TOKEN = "standin-token";
const COOKIE = "_oauth2_proxy=not-to-be-written-anywhere";
let standin: Standin;
let loadgen: { binary: string; version: string };

beforeAll(async () => {
    const binary = loadgenBinary();
    loadgen = { binary, version: execFileSync(binary, ["version"], { encoding: "utf8" }).trim() };
    standin = await startStandin({ token: TOKEN });
}, 600_000);
afterAll(() => standin?.close());

function context(argv: string[], overrides: Partial<RunContext> = {}): RunContext {
    const args = parseRunArgs(argv, catalog, table)!;
    return {
        args,
        table,
        experiment: catalog[args.experiment],
        flowsheet: loadFlowsheet(),
        baseUrl: standin.url,
        kube: new KubeClient(parseKubeconfig(standinKubeconfig(standin.url, TOKEN)), "ahuora"),
        netem: null,
        headers: { Cookie: COOKIE },
        loadgen,
        gitCommit: "0123456789abcdef",
        settle: { pollMs: 50, stablePolls: 2 },
        log: () => undefined,
        ...overrides,
    };
}

const allFiles = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));

describe("a full run (pulumi up replaced by a no-op)", () => {
    let runDir: string;
    let summary: RunSummary;
    const deploys: string[][] = [];
    const calls: typeof standin.calls = [];
    let loadsBefore = 0;

    beforeAll(async () => {
        const results = scratchDir("results");
        // The HPA is still scaling when the run starts; it settles 300 ms later.
        standin.k8s.deployments = [deployment("django-api", 2), deployment("idaes-worker", 1)];
        standin.k8s.hpas = [hpa("django-api", 2, 3)];
        setTimeout(() => (standin.k8s.hpas = [hpa("django-api", 3, 3)]), 300);
        standin.calls.length = 0;
        loadsBefore = standin.loadRequests.uor;
        // The client limits are lifted: on a 2-core machine busy with the rest of
        // the suite the client's CPU may pass 90 %, which would (rightly) void the
        // trials; the guard itself is checked against the samples below.
        const argv = ["uor-replicas-2", "--profile", "average", "--trials", "2", "--time-scale", "0.005", "--results", results, "--client-cpu-limit", "100", "--client-mem-limit", "100"];
        runDir = await runExperiment(context(argv), {
            deploy: async (stack, experiment) => {
                deploys.push([stack, experiment]);
            },
        });
        calls.push(...standin.calls);
        summary = JSON.parse(fs.readFileSync(path.join(runDir, "summary.json"), "utf8"));
    }, 120_000);

    it("selects and deploys the experiment once, then runs every trial", () => {
        expect(deploys).toEqual([["dev", "uor-replicas-2"]]);
        expect(summary.status).toBe("completed");
        expect(summary.trials.map((t) => t.trial)).toEqual([1, 2]);
    });

    it("lands in results/<experiment>/<profile>/<timestamp>/ with each trial's raw output and samples", () => {
        expect(path.relative(path.dirname(path.dirname(path.dirname(runDir))), runDir)).toMatch(/^uor-replicas-2\/average\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
        for (const t of ["trial-1", "trial-2"]) {
            expect(fs.readdirSync(path.join(runDir, t)).sort()).toEqual(["loadgen-summary.json", "plan.json", "requests.csv", "samples.csv", "script.k6.js", "vus.csv"]);
        }
    });

    it("records the run's metadata: commit, stack, experiment values, load generator version", () => {
        expect(summary).toMatchObject({
            experiment: "uor-replicas-2",
            endpoint: "uor",
            profile: "average",
            target: "cluster",
            stack: "dev",
            gitCommit: "0123456789abcdef",
            experimentValues: catalog["uor-replicas-2"],
            loadgenVersion: loadgen.version,
            timeScale: 0.005,
            headerNames: ["Cookie"],
        });
        expect(loadgen.version).toMatch(/vegeta v12\.13\.0/);
    });

    it("sets up the flowsheet before each trial and tears it down after", () => {
        const creates = calls.filter((c) => c.method === "POST" && c.path === "/api/flowsheets/");
        const deletes = calls.filter((c) => c.method === "DELETE");
        expect(creates).toHaveLength(2);
        expect(deletes.map((d) => d.path)).toEqual(summary.trials.map((t) => `/api/flowsheets/${t.flowsheetId}/`));
        expect(standin.flowsheets.size).toBe(0);
        // The thesis's eleven steps, in order, per trial; values as in FACTS.md.
        expect(calls.filter((c) => c.method !== "DELETE")).toHaveLength(22);
        expect(calls.find((c) => c.path.startsWith("/api/streams/") && JSON.stringify(c.body).includes("molar_flow"))?.body).toEqual({ properties: { molar_flow: 1000 } });
        expect(calls.every((c) => c.headers.cookie === COOKIE)).toBe(true);
    });

    it("loads the trial's own flowsheet at the planned rate", () => {
        const plan = JSON.parse(fs.readFileSync(path.join(runDir, "trial-2", "plan.json"), "utf8"));
        expect(plan.url).toBe(`${standin.url}/api/unitops/unitops/?flowsheetOwner=${summary.trials[1].flowsheetId}`);
        const sent = summary.trials.reduce((s, t) => s + t.requests, 0);
        expect(standin.loadRequests.uor - loadsBefore).toBe(sent);
        // 15/s over 2.85 s of full rate per trial, about 43 requests each.
        for (const t of summary.trials) expect(t.requests).toBeGreaterThan(35);
        expect(standin.lastLoad?.headers.cookie).toBe(COOKIE);
    });

    it("samples replicas, HPAs, pod usage and the client during each trial", () => {
        const rows = readCsv(path.join(runDir, "trial-1", "samples.csv"));
        const kinds = new Set(rows.map((r) => `${r.kind}/${r.name}/${r.field}`));
        for (const k of ["deployment/django-api/readyReplicas", "deployment/idaes-worker/replicas", "hpa/django-api/desiredReplicas", "pod/django-1/cpuMillicores", "client/loadgen/cpuPercent", "client/loadgen/memPercent"]) {
            expect(kinds).toContain(k);
        }
        expect(rows.find((r) => r.kind === "hpa" && r.field === "currentReplicas")?.value).toBe("3");
    });

    it("samples the client's own CPU and memory through every trial, and records the limits' verdict", () => {
        for (const t of summary.trials) {
            const client = readCsv(path.join(runDir, t.dir, "samples.csv")).filter((r) => r.kind === "client");
            for (const field of ["cpuPercent", "memPercent"]) {
                const values = client.filter((r) => r.field === field).map((r) => Number(r.value));
                expect({ trial: t.trial, field, samples: values.length >= 3 }).toEqual({ trial: t.trial, field, samples: true });
                expect(values.filter((v) => !(v >= 0 && v <= 100))).toEqual([]);
            }
            // Memory is never all free: the samples are real readings, not zeros.
            expect(Math.max(...client.filter((r) => r.field === "memPercent").map((r) => Number(r.value)))).toBeGreaterThan(0);
            // The limits were lifted for this run (the guard's own test is below).
            expect({ trial: t.trial, valid: t.valid, invalidReasons: t.invalidReasons }).toEqual({ trial: t.trial, valid: true, invalidReasons: [] });
        }
    });

    it("never writes the request headers' secret values", () => {
        for (const f of allFiles(runDir)) expect({ file: f, leaks: fs.readFileSync(f, "utf8").includes(COOKIE) }).toEqual({ file: f, leaks: false });
    });

    it("turns into numbers and plots with the analysis package", () => {
        const r = spawnSync(path.join(ROOT, ".venv/bin/python"), ["-m", "analysis", "report", runDir], { cwd: ROOT, encoding: "utf8", env: { ...process.env, MPLBACKEND: "Agg" } });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const analysis = JSON.parse(fs.readFileSync(path.join(runDir, "analysis.json"), "utf8"));
        expect(analysis.trials).toHaveLength(2);
        expect(fs.readdirSync(path.join(runDir, "plots")).sort()).toEqual(["run.png", "trial-1.png", "trial-2.png"]);
    });

    it("compares the variants of an experiment with npm run experiment:compare", () => {
        // The same results filed as a second variant, to have two to compare.
        const results = path.dirname(path.dirname(path.dirname(runDir)));
        const twin = path.join(results, "uor-replicas-4", "average", path.basename(runDir));
        fs.cpSync(runDir, twin, { recursive: true });
        fs.rmSync(path.join(twin, "analysis.json"), { force: true });
        fs.writeFileSync(path.join(twin, "summary.json"), JSON.stringify({ ...summary, experiment: "uor-replicas-4", experimentValues: catalog["uor-replicas-4"] }));
        const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts/analyse.ts"), "compare", "uor-replicas", "--profile", "average", "--results", results], {
            cwd: ROOT,
            encoding: "utf8",
        });
        expect(r.status).toBe(0);
        expect(r.stderr).toContain("no completed average run for: uor-replicas-1, uor-replicas-8");
        const out = path.join(results, "compare", "uor-replicas", "average");
        expect(fs.readdirSync(out).sort()).toEqual(["comparison-latency.png", "comparison.csv", "comparison.md", "comparison.png"]);
        const csv = readCsv(path.join(out, "comparison.csv"));
        expect(csv.map((row) => row.experiment)).toEqual(["uor-replicas-2", "uor-replicas-4"]);
        expect(fs.readFileSync(path.join(out, "comparison.md"), "utf8")).toMatch(/\| uor-replicas-2 .*\|/);
    }, 60_000);
});

describe("a run with --usage simulated (pulumi up replaced by a no-op)", () => {
    let runDir: string;
    let summary: RunSummary;
    const deploys: string[][] = [];

    beforeAll(async () => {
        standin.k8s.deployments = [deployment("django-api", 2), deployment("frontend", 1)];
        standin.k8s.hpas = [hpa("django-api", 2)];
        standin.k8s.corePods = [corePod("django-api-a", "django-api"), corePod("django-api-b", "django-api"), corePod("frontend-a", "frontend")];
        standin.k8s.annotationPatches.length = 0;
        standin.calls.length = 0;
        const argv = ["scaleup-limit-2", "--endpoint", "uor", "--profile", "spike", "--usage", "simulated", "--trials", "2", "--time-scale", "0.01", "--results", scratchDir("simulated")];
        runDir = await runExperiment(context(argv), { deploy: async (stack, experiment) => void deploys.push([stack, experiment]) });
        summary = JSON.parse(fs.readFileSync(path.join(runDir, "summary.json"), "utf8"));
    }, 120_000);

    it("deploys the experiment, then plays each trial as pod CPU and sends no request", () => {
        expect(deploys).toEqual([["dev", "scaleup-limit-2"]]);
        expect(summary).toMatchObject({ experiment: "scaleup-limit-2", usage: "simulated", status: "completed" });
        expect(summary.trials.map((t) => [t.trial, t.valid, t.requests])).toEqual([[1, true, 0], [2, true, 0]]);
        expect(standin.calls).toEqual([]); // no flowsheet, no load request
        for (const t of ["trial-1", "trial-2"]) expect(fs.readdirSync(path.join(runDir, t)).sort()).toEqual(["plan.json", "samples.csv", "usage.csv"]);
    });

    it("gives Django's serving pods the spike's CPU and leaves them idle after", () => {
        const usage = readCsv(path.join(runDir, "trial-1", "usage.csv"));
        expect(Math.max(...usage.map((r) => Number(r.millicores_per_pod)))).toBeGreaterThan(500);
        expect(standin.k8s.annotationPatches.some((p) => p.pod === "frontend-a")).toBe(false);
        expect(standin.k8s.corePods.map((p) => p.metadata.annotations[USAGE_CPU_ANNOTATION])).toEqual(["5m", "5m", undefined]);
    });

    it("turns into a replicas-over-time plot with the analysis package", () => {
        const r = spawnSync(path.join(ROOT, ".venv/bin/python"), ["-m", "analysis", "report", runDir], { cwd: ROOT, encoding: "utf8", env: { ...process.env, MPLBACKEND: "Agg" } });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        // Sampled every 50 ms of a 2.4 s spike to 80/s: the peak seen is within a tick of it.
        expect(Number(/simulated usage \(no request sent\), peak ([0-9.]+) req\/s/.exec(r.stdout)?.[1])).toBeGreaterThan(70);
        expect(fs.readdirSync(path.join(runDir, "plots")).sort()).toEqual(["trial-1.png", "trial-2.png"]);
    });
});

describe("the client guard", () => {
    it("marks a trial invalid when the client passes its limits, and says why", async () => {
        // Some memory is always in use, so a 0.001 % limit is always passed; the
        // CPU limit is lifted, as a busy test machine may pass 90 % as well.
        const argv = ["baseline", "--target", "local", "--endpoint", "uor", "--profile", "average", "--trials", "1", "--time-scale", "0.002", "--client-mem-limit", "0.001", "--client-cpu-limit", "100"];
        const ctx = context([...argv, "--results", scratchDir("client-guard")], {
            kube: null,
        });
        const runDir = await runExperiment(ctx, { deploy: async () => undefined });
        const summary: RunSummary = JSON.parse(fs.readFileSync(path.join(runDir, "summary.json"), "utf8"));
        expect(summary.status).toBe("completed");
        expect(summary.trials[0].valid).toBe(false);
        expect(summary.trials[0].invalidReasons).toEqual([expect.stringMatching(/^client memory \d+\.\d % > 0\.001 % at t=\d+\.\d s$/)]);
    }, 60_000);
});

describe("a failed flowsheet setup", () => {
    it("deletes the half-built flowsheet and fails the run, naming the step", async () => {
        standin.failPath = "/api/property-packages/";
        try {
            const ctx = context(["baseline", "--target", "local", "--endpoint", "uor", "--profile", "average", "--trials", "1", "--time-scale", "0.005", "--results", scratchDir("setup-fails")], { kube: null });
            await expect(runExperiment(ctx, { deploy: async () => undefined })).rejects.toThrow('flowsheet step "add Helmholtz water property package": POST /api/property-packages/: expected a 2xx answer, got 500');
            expect(standin.flowsheets.size).toBe(0);
        } finally {
            standin.failPath = null;
        }
    });
});

describe("a latency that cannot be removed", () => {
    it("stops the run, saying how to remove it, after the flowsheet is gone", async () => {
        // `tc` stand-ins: listing and adding succeed, removing fails.
        const netem = { show: ["true"], add: ["true"], remove: ["false"], kind: "netem" };
        const ctx = context(["baseline", "--target", "local", "--endpoint", "uor", "--profile", "average", "--trials", "2", "--time-scale", "0.002", "--latency", "--results", scratchDir("netem-stuck")], {
            kube: null,
            netem,
        });
        await expect(runExperiment(ctx, { deploy: async () => undefined })).rejects.toThrow(/^could not remove the added latency \(.*\); remove it with: false$/);
        expect(standin.flowsheets.size).toBe(0);
    }, 60_000);
});

describe("latency injection", () => {
    const root = process.getuid?.() === 0;
    const ns = `pcl-netem-${process.pid}`;
    const inNs = (...argv: string[]) => ["ip", "netns", "exec", ns, ...argv];
    const sh = (argv: string[]) => execFileSync(argv[0], argv.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const qdisc = () => sh(inNs("tc", "qdisc", "show", "dev", "pcl0"));
    // The runner's own netem commands where the kernel has sch_netem; where it
    // does not (this machine's), the same lifecycle with a qdisc it does have.
    let kind = "netem";
    let qdiscArgs = ["netem", "delay", "5ms"];

    beforeAll(() => {
        if (!root) return;
        sh(["ip", "netns", "add", ns]);
        sh(inNs("ip", "link", "add", "pcl0", "type", "veth", "peer", "name", "pcl1"));
        sh(inNs("ip", "link", "set", "pcl0", "up"));
        try {
            sh(inNs("tc", "qdisc", "add", "dev", "pcl0", "root", ...qdiscArgs));
            sh(inNs("tc", "qdisc", "del", "dev", "pcl0", "root"));
        } catch {
            kind = "tbf";
            qdiscArgs = ["tbf", "rate", "1gbit", "burst", "32kbit", "latency", "5ms"];
        }
    });
    afterAll(() => {
        if (root) spawnSync("ip", ["netns", "del", ns]);
    });
    const commands = () => ({
        add: inNs("tc", "qdisc", "add", "dev", "pcl0", "root", ...qdiscArgs),
        remove: inNs("tc", "qdisc", "del", "dev", "pcl0", "root", ...(kind === "netem" ? ["netem"] : [])),
        show: inNs("tc", "qdisc", "show", "dev", "pcl0"),
        kind,
    });

    (root ? it : it.skip)("is on during the load and off afterwards, even when the trial fails", async () => {
        const dir = scratchDir("netem");
        const seen = path.join(dir, "qdisc-during-load");
        // A load generator that looks at the interface, then fails.
        const failing = path.join(dir, "failing-loadgen");
        fs.writeFileSync(failing, `#!/bin/sh\nip netns exec ${ns} tc qdisc show dev pcl0 > ${seen}\nexit 3\n`, { mode: 0o755 });
        const netem = commands();
        const ctx = context(["baseline", "--target", "local", "--endpoint", "uor", "--profile", "average", "--trials", "1", "--time-scale", "0.005", "--latency", "--results", dir], {
            kube: null,
            netem,
            loadgen: { binary: failing, version: "failing" },
        });
        await expect(runExperiment(ctx, { deploy: async () => undefined })).rejects.toThrow("loadgen exited with 3");
        expect(fs.readFileSync(seen, "utf8")).toMatch(new RegExp(`qdisc ${kind} .*5ms`));
        expect(qdisc()).not.toContain(kind);
        expect(standin.flowsheets.size).toBe(0);
        const runDir = path.join(dir, "local", "average", fs.readdirSync(path.join(dir, "local", "average"))[0]);
        expect(JSON.parse(fs.readFileSync(path.join(runDir, "summary.json"), "utf8"))).toMatchObject({ status: "failed", error: expect.stringContaining("loadgen exited with 3") });
    });

    (root ? it : it.skip)("refuses to run on a delay left behind by a killed run, and leaves it alone", async () => {
        sh(commands().add);
        try {
            const dir = scratchDir("netem-busy");
            const ctx = context(["baseline", "--target", "local", "--endpoint", "uor", "--profile", "average", "--trials", "1", "--time-scale", "0.005", "--latency", "--results", dir], {
                kube: null,
                netem: commands(),
            });
            await expect(runExperiment(ctx, { deploy: async () => undefined })).rejects.toThrow(`latency: the interface already has a ${kind} qdisc`);
            expect(qdisc()).toContain(`qdisc ${kind}`);
            expect(standin.flowsheets.size).toBe(0);
        } finally {
            sh(commands().remove);
        }
    });
});

describe("npm run experiment (the command)", () => {
    const cli = (args: string[], env: Record<string, string> = {}) =>
        spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts/experiment.ts"), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const finish = (child: ReturnType<typeof cli>) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
            let stdout = "";
            let stderr = "";
            child.stdout!.on("data", (d) => (stdout += d));
            child.stderr!.on("data", (d) => (stderr += d));
            child.on("close", (code) => resolve({ code, stdout, stderr }));
        });

    it("--dry-run prints the plan and touches nothing", async () => {
        const results = scratchDir("dry");
        const stackBefore = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
        const r = await finish(cli(["fs-replicas-2-8", "--profile", "breakpoint", "--trials", "2", "--dry-run", "--latency", "--latency-interface", "eth0", "--results", results]));
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(r.stdout.trim().split("\n")).toEqual([
            "select experiment fs-replicas-2-8 in stack dev and run pulumi up",
            "wait up to 900 s for Deployments and HPAs in namespace ahuora to settle",
            "trial 1/2:",
            "  set up the pre-trial flowsheet (loadtest/flowsheet.yaml)",
            "  tc qdisc add dev eth0 root netem delay 5ms",
            "  load POST https://api.ahuora.org.nz/api/solve/idaes/: ramping arrival rate 600s->32/s, graceful stop 30s, abort above 100 VUs (~9600 requests over 600 s)",
            "  sample replicas, HPAs, pod CPU/memory and client CPU/memory every 1 s",
            "  tc qdisc del dev eth0 root netem (also on failure or Ctrl-C)",
            "  tear the flowsheet down",
            "trial 2/2:",
            "  wait for Deployments and HPAs to settle",
            "  set up the pre-trial flowsheet (loadtest/flowsheet.yaml)",
            "  tc qdisc add dev eth0 root netem delay 5ms",
            "  load POST https://api.ahuora.org.nz/api/solve/idaes/: ramping arrival rate 600s->32/s, graceful stop 30s, abort above 100 VUs (~9600 requests over 600 s)",
            "  sample replicas, HPAs, pod CPU/memory and client CPU/memory every 1 s",
            "  tc qdisc del dev eth0 root netem (also on failure or Ctrl-C)",
            "  tear the flowsheet down",
            `results: ${path.join(results, "fs-replicas-2-8", "breakpoint")}/<timestamp>/`,
        ]);
        expect(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")).toBe(stackBefore);
        expect(fs.readdirSync(results)).toEqual([]);
    }, 30_000);

    it("--dry-run of --usage simulated says it plays the rate as pod CPU and sends nothing", async () => {
        const results = scratchDir("dry-simulated");
        const r = await finish(cli(["scaleup-limit-4", "--endpoint", "fs", "--profile", "spike", "--usage", "simulated", "--trials", "1", "--dry-run", "--results", results]));
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(r.stdout.trim().split("\n")).toEqual([
            "select experiment scaleup-limit-4 in stack dev and run pulumi up",
            "wait up to 900 s for Deployments and HPAs in namespace ahuora to settle",
            "trial 1/1:",
            "  play fs at 160s->8/s, 80s->0/s as pod CPU (each request: django-api 10 ms, idaes-worker 750 ms of CPU; idle 5m a pod), no request sent",
            "  sample replicas, HPAs, pod CPU/memory every 1 s",
            "  put every pod back on idle CPU (also on failure or Ctrl-C)",
            `results: ${path.join(results, "scaleup-limit-4", "spike")}/<timestamp>/`,
        ]);
        expect(fs.readdirSync(results)).toEqual([]);
    }, 30_000);

    it("rejects bad input before touching anything, naming the option", async () => {
        const r = await finish(cli(["uor-replicas-2", "--profile", "soak"]));
        expect(r.code).toBe(2);
        expect(r.stderr.trim()).toBe("--profile: experiment uor-replicas-2 is run with average, stress, spike, breakpoint, got soak");
        const h = await finish(cli(["baseline", "--target", "local", "--endpoint", "uor", "--profile", "average", "--dry-run"], { LOADTEST_HEADERS: "cookie=1" }));
        expect(h.code).toBe(2);
        expect(h.stderr.trim()).toBe("LOADTEST_HEADERS: expected a JSON object of header names to string values, got text that is not JSON");
    }, 30_000);

    it("on Ctrl-C stops the load, tears the flowsheet down and records the run as interrupted", async () => {
        const results = scratchDir("sigint");
        const before = standin.loadRequests.uor;
        const child = cli(["baseline", "--target", "local", "--base-url", standin.url, "--endpoint", "uor", "--profile", "average", "--time-scale", "0.05", "--results", results]);
        const done = finish(child);
        // Wait (bounded) until the load is flowing, then interrupt.
        for (let i = 0; i < 300 && standin.loadRequests.uor - before < 10; i++) await new Promise((r) => setTimeout(r, 100));
        expect(standin.loadRequests.uor - before).toBeGreaterThanOrEqual(10);
        child.kill("SIGINT");
        const r = await done;
        expect(r.code).toBe(130);
        expect(standin.flowsheets.size).toBe(0);
        const runDir = path.join(results, "local", "average", fs.readdirSync(path.join(results, "local", "average"))[0]);
        const summary = JSON.parse(fs.readFileSync(path.join(runDir, "summary.json"), "utf8"));
        expect(summary).toMatchObject({ experiment: "local", target: "local", status: "interrupted", stack: null, experimentValues: null });
        // What was sent before the interrupt is on disk.
        expect(readCsv(path.join(runDir, "trial-1", "requests.csv")).length).toBeGreaterThanOrEqual(10);
    }, 120_000);
});
