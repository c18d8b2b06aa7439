/**
 * The generated k6 scripts, executed by Node with stand-ins for the `k6` and
 * `k6/http` modules (k6 itself is not used here: see loadtest/k6.ts): their
 * options are the plan's, and one iteration sends the planned request and
 * judges only 2xx a success.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { renderK6Script } from "../../loadtest/k6";
import { buildPlan } from "../../loadtest/plan";
import { ENDPOINTS, loadLoadTable } from "../../loadtest/profiles";
import { PROFILES } from "../../config/schema";
import { scratchDir } from "../helpers/tmp";
import { ROOT } from "../helpers/program";

const table = loadLoadTable();

const STUBS = {
    "k6.mjs": `export function check(res, checks) { const out = {}; for (const [k, f] of Object.entries(checks)) out[k] = f(res); globalThis.__k6.checks.push(out); return Object.values(out).every(Boolean); }`,
    "k6-http.mjs": `export default {
  request(method, url, body, params) { globalThis.__k6.requests.push({ method, url, body, params }); return { status: globalThis.__k6.status }; },
  expectedStatuses(range) { return { expected: range }; },
  setResponseCallback(cb) { globalThis.__k6.responseCallback = cb; },
};`,
    "hooks.mjs": `const stubs = { "k6": new URL("./k6.mjs", import.meta.url).href, "k6/http": new URL("./k6-http.mjs", import.meta.url).href };
export async function resolve(specifier, context, next) { return specifier in stubs ? { url: stubs[specifier], shortCircuit: true } : next(specifier, context); }`,
    "register.mjs": `import { register } from "node:module"; register(new URL("./hooks.mjs", import.meta.url));`,
    "run.mjs": `globalThis.__ENV = JSON.parse(process.env.STUB_ENV);
globalThis.__k6 = { requests: [], checks: [], status: Number(process.env.STUB_STATUS) };
const mod = await import(process.argv[2]);
mod.default();
process.stdout.write(JSON.stringify({ options: mod.options, ...globalThis.__k6 }));`,
};

function runScript(script: string, status: number, env: Record<string, string> = {}) {
    const dir = scratchDir("k6");
    for (const [name, text] of Object.entries(STUBS)) fs.writeFileSync(path.join(dir, name), text);
    const file = path.join(dir, "script.mjs");
    fs.writeFileSync(file, script);
    const out = execFileSync(process.execPath, ["--import", path.join(dir, "register.mjs"), path.join(dir, "run.mjs"), file], {
        env: { ...process.env, STUB_ENV: JSON.stringify(env), STUB_STATUS: String(status) },
        encoding: "utf8",
    });
    return JSON.parse(out);
}

describe("generated k6 scripts", () => {
    const combos = ENDPOINTS.flatMap((e) => PROFILES.map((p) => [e, p] as const));

    it.each(combos)("%s %s: a ramping-arrival-rate scenario with the plan's stages and base options", (endpoint, profile) => {
        const plan = buildPlan(table, { endpoint, profile, baseUrl: "https://api.ahuora.org.nz", flowsheetId: 42 });
        const { options, requests } = runScript(renderK6Script(plan), 200);
        expect(options).toMatchObject({ insecureSkipTLSVerify: true, noConnectionReuse: true, discardResponseBodies: true, maxRedirects: 0 });
        const scenario = options.scenarios[plan.name];
        expect(scenario).toMatchObject({ executor: "ramping-arrival-rate", startRate: 0, timeUnit: "1000ms", gracefulStop: "30000ms", maxVUs: plan.maxVUs });
        expect(scenario.stages).toEqual(plan.stages.map((s) => ({ duration: `${Math.round(s.durationS * 1000)}ms`, target: s.target })));
        if (profile === "breakpoint") expect(options.thresholds).toEqual({ vus: [{ threshold: "value<=100", abortOnFail: true }] });
        else expect(options.thresholds).toBeUndefined();
        expect(requests).toEqual([
            {
                method: plan.method,
                url: plan.url,
                body: plan.body,
                params: { headers: plan.body === null ? {} : { "Content-Type": "application/json" }, redirects: 0, timeout: "60000ms" },
            },
        ]);
    });

    it.each([
        [200, true],
        [204, true],
        [302, false],
        [404, false],
        [500, false],
    ])("count status %d as %s", (status, ok) => {
        const plan = buildPlan(table, { endpoint: "uor", profile: "average", baseUrl: "http://127.0.0.1:1", flowsheetId: 1 });
        const result = runScript(renderK6Script(plan), status);
        expect(result.checks).toEqual([{ "status is 2xx": ok }]);
        expect(result.responseCallback).toEqual({ expected: { min: 200, max: 299 } });
    });

    it("take extra headers from the environment, not from the script", () => {
        const plan = buildPlan(table, { endpoint: "fs", profile: "average", baseUrl: "http://127.0.0.1:1", flowsheetId: 1 });
        const script = renderK6Script(plan);
        expect(script).not.toContain("oauth2");
        const { requests } = runScript(script, 200, { LOADGEN_HEADERS: JSON.stringify({ Cookie: "_oauth2_proxy=s3cret" }) });
        expect(requests[0].params.headers).toEqual({ "Content-Type": "application/json", Cookie: "_oauth2_proxy=s3cret" });
    });
});

describe("npm run loadtest:k6", () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts/k6-scripts.ts"), ...args], { cwd: ROOT, encoding: "utf8" });

    it("writes the script of every endpoint and profile", () => {
        const out = scratchDir("k6-scripts");
        const r = cli("--out", out, "--base-url", "https://api.ahuora.org.nz", "--flowsheet-id", "42");
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(fs.readdirSync(out).sort()).toEqual(ENDPOINTS.flatMap((e) => PROFILES.map((p) => `${e}-${p}.js`)).sort());
        const { options, requests } = runScript(fs.readFileSync(path.join(out, "fs-spike.js"), "utf8"), 200);
        expect(options.scenarios["fs-spike"].stages).toEqual([
            { duration: "160000ms", target: 8 },
            { duration: "80000ms", target: 0 },
        ]);
        expect(requests[0]).toMatchObject({ method: "POST", url: "https://api.ahuora.org.nz/api/solve/idaes/", body: '{"flowsheet_id": 42}' });
    }, 30_000);

    it("rejects missing or malformed options, naming them", () => {
        expect(cli("--out", "x", "--base-url", "https://a").stderr.trim()).toBe("--flowsheet-id: expected a value, got none");
        const bad = cli("--out", "x", "--base-url", "https://a", "--flowsheet-id", "1; rm");
        expect(bad.status).toBe(2);
        expect(bad.stderr.trim()).toBe('--flowsheet-id: expected an id (letters, digits, - or _), got "1; rm"');
    }, 30_000);
});
