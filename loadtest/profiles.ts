/**
 * The load-profile table (`profiles.yaml`): endpoints, shapes, profiles and the
 * k6 base options, validated once so every generated plan and script agrees.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { z } from "zod";
import { PROFILES } from "../config/schema";

export const PROFILES_PATH = path.join(__dirname, "profiles.yaml");
export const ENDPOINTS = ["uor", "fs"] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
export type ProfileName = (typeof PROFILES)[number];

const stageSchema = z.strictObject({
    weight: z.number().positive(),
    to: z.number().gte(0).lte(1),
});

const endpointSchema = z.strictObject({
    description: z.string(),
    method: z.enum(["GET", "POST"]),
    path: z.string().startsWith("/"),
    body: z.string().optional(),
});

const profileSchema = z.strictObject({
    rate: z.strictObject({ uor: z.number().positive(), fs: z.number().positive() }),
    durationS: z.number().int().positive(),
    shape: z.string(),
    trials: z.number().int().positive(),
    abortWhenVUsExceed: z.number().int().positive().optional(),
});

const deploymentName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "expected a Deployment name");
const costsSchema = z.record(deploymentName, z.number().positive()).refine((r) => Object.keys(r).length > 0, "expected at least one Deployment");

const tableSchema = z.strictObject({
    endpoints: z.strictObject({ uor: endpointSchema, fs: endpointSchema }),
    shapes: z.record(z.string(), z.array(stageSchema).min(1)),
    simulatedUsage: z.strictObject({
        idleMillicores: z.number().nonnegative(),
        /** CPU milliseconds one request costs each Deployment, per endpoint. */
        cpuMsPerRequest: z.strictObject({ uor: costsSchema, fs: costsSchema }),
    }),
    profiles: z.strictObject(Object.fromEntries(PROFILES.map((p) => [p, profileSchema])) as Record<ProfileName, typeof profileSchema>),
    options: z.strictObject({
        gracefulStopS: z.number().nonnegative(),
        insecureSkipTLSVerify: z.boolean(),
        noConnectionReuse: z.boolean(),
        discardResponseBodies: z.boolean(),
        maxRedirects: z.number().int().nonnegative(),
        requestTimeoutS: z.number().positive(),
        preAllocatedVUs: z.number().int().positive(),
        maxVUs: z.number().int().positive(),
    }),
});

export type LoadTable = z.infer<typeof tableSchema>;
export type EndpointSpec = z.infer<typeof endpointSchema>;
export type ProfileSpec = z.infer<typeof profileSchema>;
export type SimulatedUsage = LoadTable["simulatedUsage"];

/** Parse and cross-check the table; errors name the file and the key. */
export function parseLoadTable(text: string, source = "loadtest/profiles.yaml"): LoadTable {
    const result = tableSchema.safeParse(YAML.parse(text, { merge: true }), { reportInput: true });
    if (!result.success) {
        const lines = result.error.issues.map((i) => `${source}:${i.path.join(".")}: ${i.message}`);
        throw new Error(`Invalid load-profile table:\n- ${lines.join("\n- ")}`);
    }
    const table = result.data;
    const problems: string[] = [];
    for (const [name, p] of Object.entries(table.profiles)) {
        if (!(p.shape in table.shapes)) problems.push(`${source}:profiles.${name}.shape: expected one of ${Object.keys(table.shapes).join(", ")}, got ${JSON.stringify(p.shape)}`);
        if (p.abortWhenVUsExceed !== undefined && p.abortWhenVUsExceed >= table.options.maxVUs) {
            problems.push(`${source}:profiles.${name}.abortWhenVUsExceed: expected less than options.maxVUs (${table.options.maxVUs}), got ${p.abortWhenVUsExceed}`);
        }
    }
    if (problems.length) throw new Error(`Invalid load-profile table:\n- ${problems.join("\n- ")}`);
    return table;
}

export function loadLoadTable(file = PROFILES_PATH): LoadTable {
    return parseLoadTable(fs.readFileSync(file, "utf8"), path.relative(process.cwd(), file) || file);
}
