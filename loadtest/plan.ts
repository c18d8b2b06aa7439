/**
 * One load run as data: the plan the load generator executes and the k6
 * script renders. Pure functions of the profile table and the run's inputs.
 */
import { Endpoint, LoadTable, ProfileName } from "./profiles";

export interface Stage {
    durationS: number;
    target: number;
}

/** The load generator's input (loadgen/README contract; k6 ramping-arrival-rate). */
export interface LoadPlan {
    name: string;
    method: "GET" | "POST";
    url: string;
    body: string | null;
    startRate: number;
    timeUnitS: number;
    stages: Stage[];
    gracefulStopS: number;
    preAllocatedVUs: number;
    maxVUs: number;
    abortWhenVUsExceed: number | null;
    insecureSkipTLSVerify: boolean;
    noConnectionReuse: boolean;
    discardResponseBodies: boolean;
    maxRedirects: number;
    requestTimeoutS: number;
    sampleIntervalS: number;
}

export interface PlanInputs {
    endpoint: Endpoint;
    profile: ProfileName;
    /** Scheme and authority of the API, e.g. https://api.ahuora.org.nz */
    baseUrl: string;
    flowsheetId: string | number;
    /**
     * Shrinks the profile (its stages) and the sampling interval by this factor;
     * rates stay. The graceful stop does not shrink: it bounds how long requests
     * in flight at the end may take, and those take as long as ever.
     */
    timeScale?: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function substitute(template: string, flowsheetId: string | number): string {
    return template.replace(/\{flowsheetId\}/g, String(flowsheetId));
}

export function validateTimeScale(timeScale: number): void {
    if (!(Number.isFinite(timeScale) && timeScale > 0 && timeScale <= 1)) {
        throw new Error(`timeScale: expected a number in (0, 1], got ${timeScale}`);
    }
}

/** Stages in seconds and requests per second for one profile on one endpoint. */
export function stagesFor(table: LoadTable, profile: ProfileName, endpoint: Endpoint, timeScale = 1): Stage[] {
    validateTimeScale(timeScale);
    const p = table.profiles[profile];
    const peak = p.rate[endpoint];
    const shape = table.shapes[p.shape];
    const parts = shape.reduce((sum, s) => sum + s.weight, 0);
    return shape.map((s) => ({
        durationS: round3((p.durationS * s.weight * timeScale) / parts),
        target: round3(peak * s.to),
    }));
}

/** The number of requests a plan starts if nothing aborts it (the integral of the rate). */
export function plannedRequests(plan: Pick<LoadPlan, "startRate" | "stages" | "timeUnitS">): number {
    let prev = plan.startRate;
    let total = 0;
    for (const s of plan.stages) {
        total += ((prev + s.target) / 2) * (s.durationS / plan.timeUnitS);
        prev = s.target;
    }
    return total;
}

export function plannedDurationS(plan: Pick<LoadPlan, "stages">): number {
    return round3(plan.stages.reduce((s, st) => s + st.durationS, 0));
}

export function buildPlan(table: LoadTable, inputs: PlanInputs): LoadPlan {
    const timeScale = inputs.timeScale ?? 1;
    validateTimeScale(timeScale);
    let base: URL;
    try {
        base = new URL(inputs.baseUrl);
    } catch {
        throw new Error(`baseUrl: expected an absolute http(s) URL, got ${JSON.stringify(inputs.baseUrl)}`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
        throw new Error(`baseUrl: expected an http or https URL, got ${JSON.stringify(inputs.baseUrl)}`);
    }
    const endpoint = table.endpoints[inputs.endpoint];
    const profile = table.profiles[inputs.profile];
    const o = table.options;
    return {
        name: `${inputs.endpoint}-${inputs.profile}`,
        method: endpoint.method,
        url: new URL(substitute(endpoint.path, inputs.flowsheetId), base).toString(),
        body: endpoint.body === undefined ? null : substitute(endpoint.body, inputs.flowsheetId),
        startRate: 0,
        timeUnitS: 1,
        stages: stagesFor(table, inputs.profile, inputs.endpoint, timeScale),
        gracefulStopS: o.gracefulStopS,
        preAllocatedVUs: o.preAllocatedVUs,
        maxVUs: o.maxVUs,
        abortWhenVUsExceed: profile.abortWhenVUsExceed ?? null,
        insecureSkipTLSVerify: o.insecureSkipTLSVerify,
        noConnectionReuse: o.noConnectionReuse,
        discardResponseBodies: o.discardResponseBodies,
        maxRedirects: o.maxRedirects,
        requestTimeoutS: o.requestTimeoutS,
        // One sample a second at full scale; never finer than 50 ms.
        sampleIntervalS: Math.max(0.05, round3(timeScale)),
    };
}
