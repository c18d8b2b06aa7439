/**
 * The pre-trial flowsheet: set up through the API before a trial, torn down
 * after it. Steps are data (loadtest/flowsheet.yaml); values captured from one
 * answer (ids) fill `{placeholders}` in later paths and bodies.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { z } from "zod";
import { requestOk } from "./http";

export const FLOWSHEET_PATH = path.join(__dirname, "..", "flowsheet.yaml");

const stepSchema = z.strictObject({
    name: z.string().min(1),
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    path: z.string().startsWith("/"),
    body: z.unknown().optional(),
    capture: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.string().min(1)).optional(),
});

const fileSchema = z.strictObject({
    setup: z.array(stepSchema).min(1),
    teardown: z.array(stepSchema).min(1),
});

export type FlowsheetStep = z.infer<typeof stepSchema>;
export type FlowsheetScript = z.infer<typeof fileSchema>;
export type Vars = Record<string, string | number>;

export function parseFlowsheet(text: string, source = "loadtest/flowsheet.yaml"): FlowsheetScript {
    const result = fileSchema.safeParse(YAML.parse(text), { reportInput: true });
    if (!result.success) {
        const lines = result.error.issues.map((i) => `${source}:${i.path.join(".")}: ${i.message}`);
        throw new Error(`Invalid flowsheet script:\n- ${lines.join("\n- ")}`);
    }
    const script = result.data;
    // Every placeholder must be known by the time its step runs.
    const known = new Set(["runId"]);
    const problems: string[] = [];
    const check = (step: FlowsheetStep, where: string) => {
        for (const name of placeholders(step)) {
            if (!known.has(name)) problems.push(`${source}:${where} (${step.name}): {${name}} is used before any step captures it`);
        }
    };
    script.setup.forEach((step, i) => {
        check(step, `setup.${i}`);
        for (const name of Object.keys(step.capture ?? {})) known.add(name);
    });
    script.teardown.forEach((step, i) => check(step, `teardown.${i}`));
    if (!known.has("flowsheetId")) problems.push(`${source}:setup: expected a step that captures flowsheetId (the load scripts need it), got none`);
    if (problems.length) throw new Error(`Invalid flowsheet script:\n- ${problems.join("\n- ")}`);
    return script;
}

export function loadFlowsheet(file = FLOWSHEET_PATH): FlowsheetScript {
    return parseFlowsheet(fs.readFileSync(file, "utf8"), path.relative(process.cwd(), file) || file);
}

function placeholders(step: FlowsheetStep): string[] {
    const text = step.path + JSON.stringify(step.body ?? null);
    return [...text.matchAll(/\{([A-Za-z][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
}

/** Fill `{name}` placeholders; a string that is exactly one placeholder takes the value's own type. */
export function fill(value: unknown, vars: Readonly<Vars>): unknown {
    if (typeof value === "string") {
        const whole = /^\{([A-Za-z][A-Za-z0-9_]*)\}$/.exec(value);
        if (whole && whole[1] in vars) return vars[whole[1]];
        return value.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
    }
    if (Array.isArray(value)) return value.map((v) => fill(v, vars));
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
    return value;
}

/** Read `a.b.c` from a JSON answer. */
export function pick(body: unknown, dotted: string): unknown {
    return dotted.split(".").reduce<unknown>((v, key) => (v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), body);
}

export interface FlowsheetClient {
    baseUrl: string;
    headers: Readonly<Record<string, string>>;
    insecure: boolean;
    log?: (line: string) => void;
}

async function runSteps(steps: readonly FlowsheetStep[], client: FlowsheetClient, vars: Vars): Promise<Vars> {
    for (const step of steps) {
        const url = new URL(String(fill(step.path, vars)), client.baseUrl).toString();
        const res = await requestOk(url, {
            method: step.method,
            headers: client.headers,
            body: step.body === undefined ? undefined : fill(step.body, vars),
            tls: { insecure: client.insecure },
            timeoutMs: 30_000,
        }).catch((e: Error) => {
            throw new Error(`flowsheet step "${step.name}": ${e.message}`);
        });
        for (const [name, field] of Object.entries(step.capture ?? {})) {
            const v = pick(res.body, field);
            if (typeof v !== "string" && typeof v !== "number") {
                throw new Error(`flowsheet step "${step.name}": expected the answer to have ${field} (a string or number) to capture as ${name}, got ${JSON.stringify(v)}`);
            }
            vars[name] = v;
        }
        client.log?.(`flowsheet: ${step.name}`);
    }
    return vars;
}

/**
 * Create the flowsheet; returns the captured values (flowsheetId among them).
 * When a later step fails, the half-built flowsheet is deleted before the
 * error is passed on, so a failed setup leaves nothing behind for users.
 */
export async function setUpFlowsheet(script: FlowsheetScript, client: FlowsheetClient, runId: string): Promise<Vars> {
    const vars: Vars = { runId };
    try {
        return await runSteps(script.setup, client, vars);
    } catch (e) {
        if ("flowsheetId" in vars) {
            await tearDownFlowsheet(script, client, vars).catch((t: Error) => client.log?.(`flowsheet: could not delete the half-built flowsheet ${vars.flowsheetId}: ${t.message}`));
        }
        throw e;
    }
}

export async function tearDownFlowsheet(script: FlowsheetScript, client: FlowsheetClient, vars: Readonly<Vars>): Promise<void> {
    await runSteps(script.teardown, client, { ...vars });
}
