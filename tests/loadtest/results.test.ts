import * as fs from "fs";
import * as path from "path";
import { loadCatalog } from "../../experiments/catalog";
import { experimentGroup, latestRun, variantsOf } from "../../loadtest/results";
import { scratchDir } from "../helpers/tmp";

const names = Object.keys(loadCatalog());

describe("experiments and their variants", () => {
    it.each([
        ["fs-replicas-1-8", "fs-replicas"],
        ["uor-replicas-4", "uor-replicas"],
        ["cpu-request-500m", "cpu-request"],
        ["uor-hpa-min-2", "uor-hpa-min"],
        ["stabilization-300", "stabilization"],
        ["baseline", "baseline"],
    ])("%s belongs to %s", (variant, group) => {
        expect(experimentGroup(variant)).toBe(group);
    });

    it("groups every catalog variant with its siblings (FACTS.md, scaling variants)", () => {
        expect(variantsOf("fs-replicas", names)).toEqual(["fs-replicas-1-1", "fs-replicas-2-2", "fs-replicas-4-4", "fs-replicas-8-8", "fs-replicas-1-8", "fs-replicas-2-8", "fs-replicas-4-8"]);
        expect(variantsOf("cpu-target", names)).toEqual(["cpu-target-25", "cpu-target-50", "cpu-target-75", "cpu-target-90"]);
        expect(variantsOf("scaleup-limit", names)).toHaveLength(3);
        expect(variantsOf("uor-replicas-2", names)).toEqual(["uor-replicas-2"]);
        expect(variantsOf("nothing", names)).toEqual([]);
    });
});

describe("finding runs", () => {
    const root = scratchDir("results");
    const run = (exp: string, profile: string, ts: string, summary: object) => {
        const dir = path.join(root, exp, profile, ts);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "summary.json"), JSON.stringify(summary));
        return dir;
    };
    run("cpu-target-50", "spike", "2026-11-20T10-00-00Z", { endpoint: "uor", status: "completed" });
    const newestUor = run("cpu-target-50", "spike", "2026-11-21T10-00-00Z", { endpoint: "uor", status: "completed" });
    run("cpu-target-50", "spike", "2026-11-22T10-00-00Z", { endpoint: "uor", status: "interrupted" });
    const fsRun = run("cpu-target-50", "spike", "2026-11-19T10-00-00Z", { endpoint: "fs", status: "completed" });

    it("takes the newest completed run, skipping interrupted ones", () => {
        expect(latestRun(root, "cpu-target-50", "spike")).toBe(newestUor);
        expect(latestRun(root, "cpu-target-50", "spike", "fs")).toBe(fsRun);
        expect(latestRun(root, "cpu-target-50", "breakpoint")).toBeUndefined();
    });
});
