/**
 * The experiments catalog: named scaling variants stored as data in
 * `catalog.yaml`, each validated with config/schema.ts's `experimentSchema`,
 * whose policies are the stack's own scaling schema.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { z } from "zod";
import { Experiment, experimentSchema } from "../config/schema";

export const CATALOG_PATH = path.join(__dirname, "catalog.yaml");

const catalogSchema = z.strictObject({
    templates: z.record(z.string(), z.unknown()).optional(),
    experiments: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/), experimentSchema),
});

/** Parse catalog text; errors name the experiment and field. */
export function parseCatalog(text: string, source = "experiments/catalog.yaml"): Record<string, Experiment> {
    // Merge keys (`<<: *hpa`) keep variants short; the file is ours, so alias limits are generous.
    const doc: unknown = YAML.parse(text, { merge: true, maxAliasCount: 10_000 });
    const result = catalogSchema.safeParse(doc, { reportInput: true });
    if (!result.success) {
        const lines = result.error.issues.map((i) => `${source}:${i.path.join(".")}: ${i.message}`);
        throw new Error(`Invalid experiments catalog:\n- ${lines.join("\n- ")}`);
    }
    return result.data.experiments;
}

export function loadCatalog(file = CATALOG_PATH): Record<string, Experiment> {
    return parseCatalog(fs.readFileSync(file, "utf8"), path.relative(process.cwd(), file) || file);
}
