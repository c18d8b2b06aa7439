import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { loadCatalog } from "../../experiments/catalog";
import { describeCatalog, selectedExperiment, withExperiment } from "../../experiments/select";
import { ROOT } from "../helpers/program";

const catalog = loadCatalog();
const devFile = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");

describe("switching experiments", () => {
    it("sets the experiment and keeps every comment and other key", () => {
        const after = withExperiment(devFile, "cpu-target-75", catalog);
        expect(selectedExperiment(after)).toBe("cpu-target-75");
        const changed = after.split("\n").filter((line, i) => line !== devFile.split("\n")[i]);
        expect(changed).toEqual(["  picluster:experiment: cpu-target-75"]);
    });

    it("refuses an unknown experiment before touching anything", () => {
        expect(() => withExperiment(devFile, "uor-replicas-3", catalog)).toThrow(/^picluster:experiment: expected one of baseline, uor-replicas-1, .* got "uor-replicas-3"$/);
    });

    it("adds the key to a stack file without one", () => {
        expect(selectedExperiment(withExperiment("config:\n  picluster:nodes: []\n", "uor-replicas-2", catalog))).toBe("uor-replicas-2");
        expect(selectedExperiment("config: {}\n")).toBe("baseline");
        expect(() => withExperiment("config: {}\n", "uor-replicas-2", catalog)).toThrow("no block-style 'config:' section");
    });

    it("lists experiments, marking the selected one", () => {
        const lines = describeCatalog(catalog, "fs-replicas-1-8").split("\n");
        expect(lines).toHaveLength(31);
        expect(lines.find((l) => l.startsWith("*"))).toMatch(/^\* fs-replicas-1-8 +fs +average,stress,spike,breakpoint/);
    });

    it("the command refuses a bad stack name and a bad experiment with exit code 2", () => {
        const run = (...args: string[]) =>
            spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", path.join(ROOT, "scripts/select-experiment.ts"), ...args], { encoding: "utf8", cwd: ROOT });
        const badStack = run("baseline", "--stack", "prod");
        expect(badStack.status).toBe(2);
        expect(badStack.stderr).toContain('--stack: expected a stack with a Pulumi.<stack>.yaml file next to Pulumi.yaml, got "prod" (no Pulumi.prod.yaml)');
        const badName = run("nope", "--stack", "dev");
        expect(badName.status).toBe(2);
        expect(badName.stderr).toContain('got "nope"');
        expect(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")).toBe(devFile);
    });
});
