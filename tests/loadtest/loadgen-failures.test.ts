/**
 * The load generator's failure rules and guards, for real against the stand-in
 * on loopback: redirects and non-2xx answers are failures and are not
 * followed, the breakpoint profile aborts above 100 VUs, FS posts its body, and
 * extra headers reach the API without being written anywhere.
 */
import { buildPlan } from "../../loadtest/plan";
import { loadLoadTable } from "../../loadtest/profiles";
import { loadgenBinary, runLoad } from "../helpers/loadgen";
import { Standin, startStandin } from "../../harness/standin";

const table = loadLoadTable();
let standin: Standin;

beforeAll(async () => {
    loadgenBinary();
    standin = await startStandin();
}, 600_000);
afterAll(() => standin?.close());
afterEach(() => {
    standin.mode = "ok";
});

const uorAverage = (timeScale = 0.005) => buildPlan(table, { endpoint: "uor", profile: "average", baseUrl: standin.url, flowsheetId: 42, timeScale });

it("counts a redirect to sign-in as a failed request and does not follow it", async () => {
    standin.mode = "redirect";
    const run = await runLoad(uorAverage());
    expect(run.requests.length).toBeGreaterThan(30);
    expect(new Set(run.requests.map((r) => `${r.status}/${r.ok}`))).toEqual(new Set(["302/false"]));
    expect(run.summary).toMatchObject({ ok: 0, failed: run.requests.length });
    expect(standin.signInHits).toBe(0);
}, 60_000);

it("counts a server error as a failed request", async () => {
    standin.mode = "fail";
    const run = await runLoad(uorAverage());
    expect(new Set(run.requests.map((r) => `${r.status}/${r.ok}`))).toEqual(new Set(["500/false"]));
    expect(run.summary.failed).toBe(run.requests.length);
}, 60_000);

it("aborts the breakpoint profile once more than 100 VUs are busy", async () => {
    // Every answer takes 0.5-1 s, so busy VUs pass 100 at about 130 requests/s,
    // two thirds of the way up the ramp to 200/s.
    standin.mode = "slow";
    const plan = buildPlan(table, { endpoint: "uor", profile: "breakpoint", baseUrl: standin.url, flowsheetId: 42, timeScale: 0.01 });
    const run = await runLoad(plan);
    expect(run.summary.aborted).toBe(true);
    expect(run.summary.abortReason).toMatch(/^vus 101 > 100$/);
    expect(run.summary.maxVUs).toBeGreaterThan(100);
    // It stopped starting requests at the abort: well before the planned end.
    const lastStartS = Math.max(...run.requests.map((r) => r.startMs)) / 1000;
    expect(lastStartS).toBeLessThan(plan.stages[0].durationS * 0.95);
    expect(run.requests.length).toBeLessThan(0.8 * ((200 * plan.stages[0].durationS) / 2));
}, 60_000);

it("does not abort the same profile while the API keeps up", async () => {
    const plan = buildPlan(table, { endpoint: "uor", profile: "breakpoint", baseUrl: standin.url, flowsheetId: 42, timeScale: 0.005 });
    const run = await runLoad(plan);
    expect(run.summary).toMatchObject({ aborted: false, abortReason: null, failed: 0 });
    expect(run.summary.maxVUs).toBeLessThan(100);
}, 60_000);

it("posts FS solve requests with the flowsheet, taking 0.5-1 s each", async () => {
    const plan = buildPlan(table, { endpoint: "fs", profile: "stress", baseUrl: standin.url, flowsheetId: 77, timeScale: 0.005 });
    const run = await runLoad(plan);
    expect(run.requests.length).toBeGreaterThanOrEqual(4);
    // At least the stand-in's 0.5 s; the upper bound allows for a busy 2-core machine.
    expect(run.requests.filter((r) => !(r.ok && r.latencyMs >= 500 && r.latencyMs < 5000))).toEqual([]);
    expect(standin.lastLoad?.body).toEqual({ flowsheet_id: 77 });
    expect(standin.lastLoad?.headers["content-type"]).toBe("application/json");
}, 60_000);

it("records its own CPU time and peak memory", async () => {
    const run = await runLoad(uorAverage(0.002));
    const s = run.summary as typeof run.summary & { cpuUserS: number; cpuSysS: number; maxRssKiB: number };
    expect(s.cpuUserS + s.cpuSysS).toBeGreaterThan(0);
    expect(s.cpuUserS + s.cpuSysS).toBeLessThan(run.summary.durationS * 2);
    expect(s.maxRssKiB).toBeGreaterThan(1024);
}, 60_000);

it("sends extra headers from the environment and writes their values nowhere", async () => {
    const secret = "_oauth2_proxy=c2VjcmV0LWNvb2tpZQ";
    const run = await runLoad(uorAverage(0.002), { LOADGEN_HEADERS: JSON.stringify({ Cookie: secret }) });
    expect(standin.lastLoad?.headers.cookie).toBe(secret);
    for (const [file, text] of Object.entries(run.files)) expect({ file, leaks: text.includes(secret) }).toEqual({ file, leaks: false });
    expect(`${run.stdout}${run.stderr}`).not.toContain(secret);
}, 60_000);
