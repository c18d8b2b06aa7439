/**
 * The guard that keeps the e2e suite and the benchmark from booting afresh the
 * simulated nodes that `npm run dev` provisioned for the user.
 */
import * as fs from "fs";
import * as path from "path";
import { spawn } from "child_process";
import { devStackOnSim, simNodeNames, simSupervisorLog } from "../../harness/sim";
import { readStackFile } from "../../config/stackFile";
import { scratchDir } from "../helpers/tmp";

/** A dev stack state file with `n` resources under a file backend directory. */
function devState(n: number): string {
    const dir = scratchDir("state");
    const file = path.join(dir, ".pulumi/stacks/picluster/dev.json");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ checkpoint: { latest: { resources: Array.from({ length: n }, (_, i) => ({ urn: `r${i}` })) } } }));
    return dir;
}

describe("devStackOnSim", () => {
    const sim = scratchDir("sim");
    // A live process whose command line names the node supervisor, as sim/up.sh leaves one per node.
    const supervisor = spawn("bash", ["-c", "sleep 60; true", "supervise.sh"], { stdio: "ignore" });
    beforeAll(() => {
        fs.mkdirSync(path.join(sim, "run"), { recursive: true });
        fs.writeFileSync(path.join(sim, "run", "worker-1.supervisor.pid"), `${supervisor.pid}\n`);
    });
    afterAll(() => supervisor.kill());

    it("GIVEN running nodes and a dev stack with resources, THEN it names the reason and how to free them", () => {
        expect(devStackOnSim(devState(37), sim)).toMatch(/running the dev stack that npm run dev provisioned \(37 resources.*npm run pulumi -- destroy --yes && sudo npm run sim:down/);
    });

    it("lets a run go ahead when the dev stack is empty, absent, or the nodes are down", () => {
        expect(devStackOnSim(devState(1), sim)).toBeUndefined();
        expect(devStackOnSim(scratchDir("none"), sim)).toBeUndefined();
        expect(devStackOnSim(devState(37), scratchDir("no-sim"))).toBeUndefined();
    });
});

describe("simNodeNames", () => {
    it("lists sim/nodes.tsv's nodes in order: the dev stack's nodes, which blank-card runs bootstrap", () => {
        const dev = (readStackFile("dev").config["picluster:nodes"] as { name: string }[]).map((n) => n.name);
        expect(simNodeNames()).toEqual(dev);
    });
});

describe("simSupervisorLog", () => {
    it("shows each node's last supervisor lines (boots, reboots, how nspawn ended), not its console", () => {
        const dir = scratchDir("sim");
        const [first, second, ...rest] = simNodeNames();
        fs.writeFileSync(
            path.join(dir, `${first}.log`),
            ["[sim 05:39:50] x: boot #1", "Welcome to Debian GNU/Linux 12 (bookworm)!", "[sim 05:41:02] x: rebooting (nspawn exit 133)", "[sim 05:41:03] x: boot #2", "[sim 05:41:03] x: stopped (nspawn exit 1)", ""].join("\n"),
        );
        fs.writeFileSync(path.join(dir, `${second}.log`), "console only\n");
        expect(simSupervisorLog(2, dir).split("\n")).toEqual([
            `${first}:`,
            "    [sim 05:41:03] x: boot #2",
            "    [sim 05:41:03] x: stopped (nspawn exit 1)",
            `${second}:`,
            "    (no supervisor log)",
            ...rest.flatMap((n) => [`${n}:`, "    (no supervisor log)"]),
        ]);
    });
});
