/**
 * Finding runs in results/<experiment>/<profile>/<timestamp>/ for reports and
 * comparisons, and grouping the catalog's variants into experiments.
 */
import * as fs from "fs";
import * as path from "path";

/** The experiment a variant belongs to: its name less the trailing values (fs-replicas-1-8 -> fs-replicas). */
export function experimentGroup(variant: string): string {
    return variant.replace(/(-[0-9][a-z0-9]*)+$/, "");
}

/** The catalog's variants of a group (or the one variant named), in catalog order. */
export function variantsOf(groupOrVariant: string, names: readonly string[]): string[] {
    if (names.includes(groupOrVariant) && experimentGroup(groupOrVariant) !== groupOrVariant) return [groupOrVariant];
    return names.filter((n) => experimentGroup(n) === groupOrVariant);
}

/** The directory of the newest completed run of one experiment and profile (on an endpoint), or undefined. */
export function latestRun(resultsDir: string, experiment: string, profile: string, endpoint?: string): string | undefined {
    const base = path.join(resultsDir, experiment, profile);
    if (!fs.existsSync(base)) return undefined;
    const runs = fs
        .readdirSync(base)
        .filter((d) => fs.existsSync(path.join(base, d, "summary.json")))
        .sort()
        .reverse();
    for (const d of runs) {
        const s = JSON.parse(fs.readFileSync(path.join(base, d, "summary.json"), "utf8")) as { endpoint: string; status?: string };
        if (s.status !== "completed") continue;
        if (endpoint && s.endpoint !== endpoint) continue;
        return path.join(base, d);
    }
    return undefined;
}
