/**
 * Every load profile, generated from the table and shrunk in time, run for
 * real by the load generator against the stand-in on loopback: the arrival
 * rate follows the profile's shape.
 */
import { buildPlan, plannedDurationS, plannedRequests } from "../../loadtest/plan";
import { loadLoadTable, ProfileName } from "../../loadtest/profiles";
import { expectedStarts, LoadRun, loadgenBinary, runLoad } from "../helpers/loadgen";
import { Standin, startStandin } from "../../harness/standin";

const table = loadLoadTable();
let standin: Standin;

beforeAll(async () => {
    loadgenBinary();
    standin = await startStandin();
}, 600_000);
afterAll(() => standin?.close());

// Time scales that make each profile last about six seconds.
const cases: [ProfileName, number][] = [
    ["average", 0.01],
    ["stress", 0.01],
    ["soak", 0.0015],
    ["spike", 0.025],
    ["breakpoint", 0.01],
];

describe.each(cases)("UOR %s profile (time scale %d)", (profile, timeScale) => {
    let plan: ReturnType<typeof buildPlan>;
    let run: LoadRun;
    let connections: number;
    beforeAll(async () => {
        plan = buildPlan(table, { endpoint: "uor", profile, baseUrl: standin.url, flowsheetId: 42, timeScale });
        const before = standin.loadRequests.uor;
        const connectionsBefore = standin.connections;
        run = await runLoad(plan);
        (run as { served?: number }).served = standin.loadRequests.uor - before;
        connections = standin.connections - connectionsBefore;
    }, 60_000);

    it("sends the planned number of requests, all answered", () => {
        const planned = plannedRequests(plan);
        expect(run.requests.length).toBeGreaterThan(planned * 0.95 - 2);
        expect(run.requests.length).toBeLessThan(planned * 1.05 + 2);
        expect((run as { served?: number }).served).toBe(run.requests.length);
        expect(run.summary).toMatchObject({ requests: run.requests.length, failed: 0, aborted: false, droppedIterations: 0 });
        // The stand-in waits 20-40 ms; Node's timers may fire up to a millisecond early.
        expect(run.requests.filter((r) => !(r.ok && r.status === 200 && r.latencyMs >= 19))).toEqual([]);
    });

    it("starts requests at the profile's rate in every tenth of the run", () => {
        const total = plannedDurationS(plan);
        const rows = [];
        for (let i = 0; i < 10; i++) {
            const from = (total * i) / 10;
            const to = (total * (i + 1)) / 10;
            const expected = expectedStarts(plan, from, to);
            const actual = run.requests.filter((r) => r.startMs / 1000 >= from && r.startMs / 1000 < to).length;
            rows.push({ window: i, expected: Math.round(expected * 10) / 10, actual, ok: Math.abs(actual - expected) <= Math.max(3, expected * 0.15) });
        }
        expect(rows.filter((r) => !r.ok)).toEqual([]);
    });

    it("opens a new connection for every request (noConnectionReuse)", () => {
        // Counted by the stand-in during this run only (nothing else talks to it then).
        expect(connections).toBe(run.requests.length);
    });

    it("samples VUs and the target rate over the run", () => {
        expect(run.vus.length).toBeGreaterThanOrEqual(5);
        const peak = Math.max(...run.vus.map((v) => v.target_rate));
        expect(peak).toBeLessThanOrEqual(table.profiles[profile].rate.uor + 1e-9);
        expect(peak).toBeGreaterThan(table.profiles[profile].rate.uor * 0.8);
        expect(run.vus.at(-1)).toMatchObject({ started: run.requests.length, completed: run.requests.length });
    });
});
