/**
 * The experiments catalog: named scaling variants stored as data in
 * `catalog.yaml`, validated with the same schema as the stack's own scaling.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { z } from "zod";
import { scalingPolicySchema } from "../schema/stack";

export const CATALOG_PATH = path.join(__dirname, "catalog.yaml");

export const PROFILES = ["average", "stress", "soak", "spike", "breakpoint"] as const;

export const experimentSchema = z.strictObject({
    description: z.string().min(1),
    /** The endpoint the variant is measured on: UOR, FS, or either. */
    endpoint: z.enum(["uor", "fs", "any"]),
    profiles: z.array(z.enum(PROFILES)).min(1),
    /** Scaling policy per workload; unnamed workloads keep the stack's policy. */
    workloads: z.strictObject({
        django: scalingPolicySchema.optional(),
        frontend: scalingPolicySchema.optional(),
        idaes: scalingPolicySchema.optional(),
    }),
});

export type Experiment = z.infer<typeof experimentSchema>;

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
