import * as fs from "fs";
import { buildPlan, plannedRequests, stagesFor } from "../../loadtest/plan";
import { loadLoadTable, parseLoadTable, PROFILES_PATH } from "../../loadtest/profiles";

const table = loadLoadTable();
const text = fs.readFileSync(PROFILES_PATH, "utf8");

describe("the load-profile table", () => {
    // FACTS.md, "Experiments": requests per second, duration, trials.
    it.each([
        ["average", 15, 1, 600, 3],
        ["stress", 30, 2, 600, 3],
        ["soak", 15, 1, 3600, 1],
        ["spike", 80, 8, 240, 3],
        ["breakpoint", 200, 32, 600, 3],
    ] as const)("%s: UOR %d/s, FS %d/s over %d s, %d trials", (profile, uor, fs_, duration, trials) => {
        const p = table.profiles[profile];
        expect(p.rate).toEqual({ uor, fs: fs_ });
        expect(p.durationS).toBe(duration);
        expect(p.trials).toBe(trials);
    });

    it("holds the k6 base options and the 30 s graceful stop", () => {
        expect(table.options).toMatchObject({ gracefulStopS: 30, insecureSkipTLSVerify: true, noConnectionReuse: true, discardResponseBodies: true, maxRedirects: 0 });
    });

    it("aborts only the breakpoint profile, above 100 VUs", () => {
        const aborting = Object.entries(table.profiles).filter(([, p]) => p.abortWhenVUsExceed !== undefined);
        expect(aborting).toEqual([["breakpoint", expect.objectContaining({ abortWhenVUsExceed: 100 })]]);
    });

    it("names the thesis's endpoints", () => {
        expect(table.endpoints.uor).toMatchObject({ method: "GET", path: "/api/unitops/unitops/?flowsheetOwner={flowsheetId}" });
        expect(table.endpoints.fs).toMatchObject({ method: "POST", path: "/api/solve/idaes/" });
    });

    it.each([
        ["a stage of no length", text.replace("- { weight: 90, to: 1 }", "- { weight: 0, to: 1 }"), "shapes.flat.1.weight"],
        ["a stage above the peak", text.replace("- { weight: 90, to: 1 }", "- { weight: 90, to: 1.5 }"), "shapes.flat.1.to"],
        ["an unknown shape", text.replace("shape: spike", "shape: spiky"), 'profiles.spike.shape: expected one of flat, spike, ramp, got "spiky"'],
        ["an abort threshold the VU pool cannot reach", text.replace("maxVUs: 300", "maxVUs: 100"), "profiles.breakpoint.abortWhenVUsExceed: expected less than options.maxVUs (100), got 100"],
        ["a missing profile", text.replace(/^ {2}soak:.*$/m, ""), "profiles.soak"],
        ["an unknown option", text.replace("maxRedirects: 0", "maxRedirects: 0\n  keepAlive: true"), "options"],
    ])("rejects %s, naming the key", (_what, bad, message) => {
        expect(() => parseLoadTable(bad)).toThrow(message);
    });
});

describe("stages", () => {
    it("ramp flat profiles up over the first 5 % and down over the last 5 %", () => {
        expect(stagesFor(table, "average", "uor")).toEqual([
            { durationS: 30, target: 15 },
            { durationS: 540, target: 15 },
            { durationS: 30, target: 0 },
        ]);
        expect(stagesFor(table, "soak", "fs")).toEqual([
            { durationS: 180, target: 1 },
            { durationS: 3240, target: 1 },
            { durationS: 180, target: 0 },
        ]);
    });

    it("spike up and back down within four minutes", () => {
        expect(stagesFor(table, "spike", "uor")).toEqual([
            { durationS: 160, target: 80 },
            { durationS: 80, target: 0 },
        ]);
    });

    it("ramp the breakpoint profile linearly to its peak over ten minutes", () => {
        expect(stagesFor(table, "breakpoint", "fs")).toEqual([{ durationS: 600, target: 32 }]);
    });

    it("shrink every duration by the time scale and keep the rates", () => {
        expect(stagesFor(table, "average", "uor", 0.01)).toEqual([
            { durationS: 0.3, target: 15 },
            { durationS: 5.4, target: 15 },
            { durationS: 0.3, target: 0 },
        ]);
    });

    it.each([0, -1, 1.5, NaN])("reject time scale %p", (scale) => {
        expect(() => stagesFor(table, "average", "uor", scale)).toThrow(`timeScale: expected a number in (0, 1], got ${scale}`);
    });
});

describe("plans", () => {
    const plan = buildPlan(table, { endpoint: "uor", profile: "average", baseUrl: "https://api.ahuora.org.nz", flowsheetId: 42 });

    it("target the endpoint with the flowsheet filled in", () => {
        expect(plan).toMatchObject({ name: "uor-average", method: "GET", url: "https://api.ahuora.org.nz/api/unitops/unitops/?flowsheetOwner=42", body: null });
        const fsPlan = buildPlan(table, { endpoint: "fs", profile: "spike", baseUrl: "http://127.0.0.1:8000/", flowsheetId: 7 });
        expect(fsPlan).toMatchObject({ method: "POST", url: "http://127.0.0.1:8000/api/solve/idaes/", body: '{"flowsheet_id": 7}' });
    });

    it("carry the base options, the VU pool and the abort threshold", () => {
        expect(plan).toMatchObject({ gracefulStopS: 30, insecureSkipTLSVerify: true, noConnectionReuse: true, discardResponseBodies: true, maxRedirects: 0, abortWhenVUsExceed: null, sampleIntervalS: 1 });
        expect(buildPlan(table, { endpoint: "uor", profile: "breakpoint", baseUrl: "http://x", flowsheetId: 1 }).abortWhenVUsExceed).toBe(100);
    });

    it("count the requests a profile sends (the area under the rate)", () => {
        // 15/s for 570 s of full rate plus two 30 s ramps at half: 15 * 570 = 8550.
        expect(plannedRequests(plan)).toBeCloseTo(8550, 6);
        expect(plannedRequests(buildPlan(table, { endpoint: "uor", profile: "breakpoint", baseUrl: "http://x", flowsheetId: 1 }))).toBeCloseTo(60000, 6);
    });

    it("scale sampling with time, but not the graceful stop (requests take as long as ever)", () => {
        const fast = buildPlan(table, { endpoint: "uor", profile: "average", baseUrl: "http://x", flowsheetId: 1, timeScale: 0.01 });
        expect(fast.gracefulStopS).toBe(30);
        expect(fast.sampleIntervalS).toBe(0.05);
    });

    it.each(["api.ahuora.org.nz", "ftp://api", ""])("reject base URL %p", (baseUrl) => {
        expect(() => buildPlan(table, { endpoint: "uor", profile: "average", baseUrl, flowsheetId: 1 })).toThrow(/^baseUrl: expected an (absolute )?http/);
    });
});
