import { benchPlan, benchTable, cpuShares, LatencySummary, parseBenchArgs, RateResult, runProblem, summarise, WAYS } from "../../bench/gateway.bench";
import { RequestRow } from "../../harness/loadgen";
import { buildPlan } from "../../loadtest/plan";
import { loadLoadTable } from "../../loadtest/profiles";

const row = (latencyMs: number, status = 200, error = ""): RequestRow => ({ startMs: 0, latencyMs, status, ok: status === 200, error });

describe("parseBenchArgs", () => {
    it("defaults to a short run at the UOR rates of the experiments", () => {
        expect(parseBenchArgs([])).toEqual({ seconds: 20, rates: [15, 80], warmupS: 3 });
        expect(parseBenchArgs(["--seconds", "60", "--rates", "15,30,80", "--warmup", "0"])).toEqual({ seconds: 60, rates: [15, 30, 80], warmupS: 0 });
    });

    it.each([
        [["--seconds", "0"], "--seconds: expected a number from 1 to 3600, got 0"],
        [["--seconds"], "--seconds: expected a number from 1 to 3600, got NaN"],
        [["--rates", "15,x"], "--rates: expected rates in (0, 1000] separated by commas, got 15,NaN"],
        [["--warmup", "-1"], "--warmup: expected a number from 0 to 600, got -1"],
        [["--runs", "2"], 'unknown argument "--runs"'],
    ])("refuses %j", (argv, message) => {
        expect(() => parseBenchArgs(argv)).toThrow(message);
    });
});

describe("benchPlan", () => {
    const base = buildPlan(loadLoadTable(), { endpoint: "uor", profile: "average", baseUrl: "https://api.example", flowsheetId: 1 });

    it("sends the experiments' UOR request at a constant rate from the first moment", () => {
        const p = benchPlan(base, "gateway", 80, 60);
        expect(p).toMatchObject({ method: "GET", url: "https://api.example/api/unitops/unitops/?flowsheetOwner=1", startRate: 80, stages: [{ durationS: 60, target: 80 }], abortWhenVUsExceed: null });
        // The experiments' base options: a new connection per request, no redirect followed, self-signed certificate accepted.
        expect(p).toMatchObject({ noConnectionReuse: true, maxRedirects: 0, insecureSkipTLSVerify: true });
    });

    it("reuses connections only for the kept-alive way, and names each run apart", () => {
        const plans = WAYS.map((w) => benchPlan(base, w, 15, 10));
        expect(plans.map((p) => p.noConnectionReuse)).toEqual([true, true, false]);
        expect(new Set(plans.map((p) => p.name)).size).toBe(3);
        expect(plans.every((p) => /^[a-z0-9-]+$/.test(p.name))).toBe(true);
    });
});

describe("summarise and runProblem", () => {
    it("gives the latency quantiles and the achieved rate of a run", () => {
        const rows = Array.from({ length: 101 }, (_, i) => row(i));
        const s = summarise(rows, 10, 0);
        expect(s).toMatchObject({ requests: 101, achievedRps: 10.1, notOk: {}, p50: 50, p90: 90, p99: 99 });
        expect(runProblem("direct", 15, s)).toBeUndefined();
    });

    it("fails a run with any answer but 200, saying the cookie did not work on 401 or a redirect", () => {
        const s = summarise([row(1), row(2, 401), row(3, 401), row(4, 0, "timeout")], 1, 0);
        expect(s.notOk).toEqual({ "401": 2, "error: timeout": 1 });
        expect(runProblem("gateway", 80, s)).toBe("gateway at 80 req/s: 2 × 401, 1 × error: timeout of 4 requests not answered 200 (401, 403 or a redirect: the session cookie did not work)");
        expect(runProblem("gateway", 15, summarise([row(1, 302)], 1, 0))).toContain("the session cookie did not work");
        expect(runProblem("direct", 15, summarise([row(1, 503)], 1, 0))).toBe("direct at 15 req/s: 1 × 503 of 1 requests not answered 200");
    });

    it("fails a run with dropped arrivals or no request at all", () => {
        expect(runProblem("direct", 80, summarise([row(1)], 1, 3))).toBe("direct at 80 req/s: 3 dropped of 1 requests not answered 200");
        expect(runProblem("direct", 80, summarise([], 1, 0))).toBe("direct at 80 req/s: no request at all of 0 requests not answered 200");
    });
});

describe("benchTable", () => {
    const s = (p50: number, p90: number, p99: number, extra: Partial<LatencySummary> = {}): LatencySummary => ({ requests: 900, achievedRps: 15, notOk: {}, dropped: 0, p50, p90, p99, ...extra });
    const results: RateResult[] = [{ rate: 15, ways: { direct: s(0.5, 0.7, 1.2), gateway: s(4.25, 5, 9), "gateway, kept alive": s(1.5, 2, 0.9) } }];

    it("reports each way and what the gateway adds, quantile by quantile", () => {
        const lines = benchTable(results).trim().split("\n");
        expect(lines[0]).toBe("| rate (req/s) | way | requests | achieved (req/s) | not 200 | p50 (ms) | p90 (ms) | p99 (ms) |");
        expect(lines[2]).toBe("| 15 | direct | 900 | 15.0 | 0 | 0.50 | 0.70 | 1.20 |");
        expect(lines[3]).toBe("| 15 | gateway | 900 | 15.0 | 0 | 4.25 | 5.00 | 9.00 |");
        expect(lines[5]).toBe("| 15 | **added by the gateway** (gateway − direct) | | | | **+3.75** | **+4.30** | **+7.80** |");
        expect(lines[6]).toBe("| 15 | added, connections kept alive | | | | +1.00 | +1.30 | −0.30 |");
    });
});

describe("cpuShares", () => {
    const stat = (user: number, idle: number, steal: number) => `cpu  ${user} 0 ${user / 2} ${idle} 0 0 0 ${steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n`;

    it("gives the busy and stolen shares of the time between two readings", () => {
        expect(cpuShares(stat(100, 1000, 50), stat(160, 1100, 80))).toEqual({ busy: 90 / 220, steal: 30 / 220 });
    });

    it("refuses readings without the aggregate line or with no time between them", () => {
        expect(() => cpuShares("cpu0 1 2 3\n", stat(1, 1, 1))).toThrow("/proc/stat: no aggregate cpu line");
        expect(() => cpuShares(stat(1, 1, 1), stat(1, 1, 1))).toThrow("/proc/stat: no CPU time passed between the readings");
    });
});
