/**
 * `npm run experiment -- <experiment> --endpoint uor|fs --profile <profile> [options]`
 * parsed and checked against the catalog and the profile table before
 * anything is touched.
 */
import { Experiment, PROFILES } from "../../config/schema";
import { isStackName } from "../../config/stackFile";
import { ENDPOINTS, Endpoint, LoadTable, ProfileName } from "../profiles";

export const TARGETS = ["cluster", "local"] as const;
export type Target = (typeof TARGETS)[number];
export const USAGES = ["http", "simulated"] as const;
export type Usage = (typeof USAGES)[number];

export interface RunArgs {
    experiment: string;
    endpoint: Endpoint;
    profile: ProfileName;
    trials: number;
    dryRun: boolean;
    target: Target;
    /** http: real requests by the load generator; simulated: the rate played as pod CPU (kwok clusters). */
    usage: Usage;
    stack: string;
    baseUrl?: string;
    timeScale: number;
    latencyMs: number | null;
    latencyInterface?: string;
    resultsDir: string;
    flowsheetFile?: string;
    kubeconfig?: string;
    namespace?: string;
    settleTimeoutS: number;
    clientCpuLimit: number;
    clientMemLimit: number;
}

export const USAGE = `usage: npm run experiment -- <experiment> --endpoint uor|fs --profile <profile> [options]

  --endpoint uor|fs          endpoint to load (default: the experiment's own, when it has one)
  --profile P                ${PROFILES.join(" | ")}
  --trials N                 trials to run (default: 3; soak 1)
  --dry-run                  print the plan and touch nothing
  --target cluster|local     the Pi cluster (default) or the Docker Compose baseline (baseline/)
  --usage http|simulated     http: send the requests (default); simulated: on a cluster whose pods
                             run nothing (npm run cluster:up), play the rate as each pod's CPU
                             (loadtest/profiles.yaml simulatedUsage) and record what the HPAs do
  --stack S                  Pulumi stack to select the experiment in and deploy (default: dev)
  --base-url URL             API base URL (default: https://<platform.domains.api>; local: http://127.0.0.1:8000)
  --time-scale F             shrink the profile in time by F in (0, 1] (default: 1); rates stay
  --latency[=MS]             add MS (default 5) ms of latency with tc netem for each trial
  --latency-interface IF     interface to add it on (default: the one routing to the API)
  --results DIR              where results go (default: results)
  --flowsheet FILE           pre-trial flowsheet steps (default: loadtest/flowsheet.yaml)
  --kubeconfig FILE          cluster credentials (default: $KUBECONFIG, then the stack's cluster.kubeconfig file)
  --namespace NS             platform namespace (default: the stack's platform.namespace)
  --settle-timeout S         longest wait for rollouts and HPAs to settle (default: 900)
  --client-cpu-limit PCT     a trial is invalid above this client CPU (default: 90)
  --client-mem-limit PCT     a trial is invalid above this client memory (default: 80)

Extra request headers (e.g. the OAuth2 Proxy cookie) come from LOADTEST_HEADERS,
a JSON object; their values are never written to results or logs.`;

export class UsageError extends Error {}

function num(key: string, raw: string | undefined, check: (n: number) => boolean, expected: string): number {
    const n = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
    if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${key}: expected ${expected}, got ${JSON.stringify(raw ?? null)}`);
    return n;
}

function oneOf<T extends string>(key: string, raw: string | undefined, values: readonly T[]): T {
    if (!values.includes(raw as T)) throw new UsageError(`${key}: expected one of ${values.join(", ")}, got ${JSON.stringify(raw ?? null)}`);
    return raw as T;
}

/** Parse argv; `null` means --help was asked for. */
export function parseRunArgs(argv: readonly string[], catalog: Readonly<Record<string, Experiment>>, table: LoadTable): RunArgs | null {
    const opts = new Map<string, string>();
    const flags = new Set<string>();
    const positional: string[] = [];
    const valued = new Set(["--endpoint", "--profile", "--trials", "--target", "--usage", "--stack", "--base-url", "--time-scale", "--latency-interface", "--results", "--flowsheet", "--kubeconfig", "--namespace", "--settle-timeout", "--client-cpu-limit", "--client-mem-limit"]);
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--help" || arg === "-h") return null;
        const eq = arg.indexOf("=");
        const key = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
        if (key === "--dry-run" || (key === "--latency" && eq < 0)) {
            flags.add(key);
        } else if (key === "--latency") {
            opts.set(key, arg.slice(eq + 1));
        } else if (valued.has(key)) {
            const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
            if (value === undefined) throw new UsageError(`${key}: expected a value, got none`);
            opts.set(key, value);
        } else if (arg.startsWith("-")) {
            throw new UsageError(`unknown option ${arg} (see --help)`);
        } else positional.push(arg);
    }
    if (positional.length !== 1) throw new UsageError(`expected exactly one experiment name, got ${positional.length} (${positional.join(" ") || "none"}); see npm run experiment:select -- --list`);

    const experiment = positional[0];
    const spec = catalog[experiment];
    if (!spec) throw new UsageError(`experiment: expected one of ${Object.keys(catalog).join(", ")}, got ${JSON.stringify(experiment)}`);
    const target = opts.has("--target") ? oneOf("--target", opts.get("--target"), TARGETS) : "cluster";
    if (target === "local" && experiment !== "baseline") {
        throw new UsageError(`--target local: expected experiment baseline (the Docker Compose baseline has no scaling variants), got ${JSON.stringify(experiment)}`);
    }

    const usage = opts.has("--usage") ? oneOf("--usage", opts.get("--usage"), USAGES) : "http";
    if (usage === "simulated" && target !== "cluster") throw new UsageError(`--usage simulated: expected --target cluster (it plays the load as pod CPU on a cluster), got --target ${target}`);

    let endpoint: Endpoint;
    if (opts.has("--endpoint")) {
        endpoint = oneOf("--endpoint", opts.get("--endpoint"), ENDPOINTS);
        if (spec.endpoint !== "any" && spec.endpoint !== endpoint) {
            throw new UsageError(`--endpoint: experiment ${experiment} is measured on ${spec.endpoint}, got ${endpoint}`);
        }
    } else if (spec.endpoint !== "any") {
        endpoint = spec.endpoint;
    } else {
        throw new UsageError(`--endpoint: expected one of ${ENDPOINTS.join(", ")} (experiment ${experiment} fits either), got none`);
    }

    const profile = oneOf("--profile", opts.get("--profile"), PROFILES);
    if (!spec.profiles.includes(profile)) {
        throw new UsageError(`--profile: experiment ${experiment} is run with ${spec.profiles.join(", ")}, got ${profile}`);
    }
    const trials = opts.has("--trials") ? num("--trials", opts.get("--trials"), (n) => Number.isInteger(n) && n >= 1 && n <= 20, "a whole number from 1 to 20") : table.profiles[profile].trials;
    const timeScale = opts.has("--time-scale") ? num("--time-scale", opts.get("--time-scale"), (n) => n > 0 && n <= 1, "a number in (0, 1]") : 1;
    const latencyMs = opts.has("--latency")
        ? num("--latency", opts.get("--latency"), (n) => n > 0 && n <= 1000, "milliseconds in (0, 1000]")
        : flags.has("--latency")
          ? 5
          : null;
    if (usage === "simulated") {
        // No request is sent: what shapes requests has nothing to act on.
        for (const key of ["--latency", "--base-url", "--flowsheet"]) {
            if (opts.has(key) || flags.has(key)) throw new UsageError(`${key}: not used with --usage simulated (no request is sent), got it`);
        }
    }
    if (opts.has("--latency-interface") && latencyMs === null) throw new UsageError("--latency-interface: only meaningful with --latency, got it without");
    const stack = opts.get("--stack") ?? "dev";
    if (!isStackName(stack)) throw new UsageError(`--stack: expected a stack name, got ${JSON.stringify(stack)}`);
    const baseUrl = opts.get("--base-url");
    if (baseUrl !== undefined && !/^https?:\/\/[^/]+/.test(baseUrl)) throw new UsageError(`--base-url: expected an http(s) URL, got ${JSON.stringify(baseUrl)}`);

    return {
        experiment,
        endpoint,
        profile,
        trials,
        dryRun: flags.has("--dry-run"),
        target,
        usage,
        stack,
        baseUrl,
        timeScale,
        latencyMs,
        latencyInterface: opts.get("--latency-interface"),
        resultsDir: opts.get("--results") ?? "results",
        flowsheetFile: opts.get("--flowsheet"),
        kubeconfig: opts.get("--kubeconfig"),
        namespace: opts.get("--namespace"),
        settleTimeoutS: opts.has("--settle-timeout") ? num("--settle-timeout", opts.get("--settle-timeout"), (n) => n > 0 && n <= 7200, "seconds in (0, 7200]") : 900,
        clientCpuLimit: opts.has("--client-cpu-limit") ? num("--client-cpu-limit", opts.get("--client-cpu-limit"), (n) => n > 0 && n <= 100, "a percentage in (0, 100]") : 90,
        clientMemLimit: opts.has("--client-mem-limit") ? num("--client-mem-limit", opts.get("--client-mem-limit"), (n) => n > 0 && n <= 100, "a percentage in (0, 100]") : 80,
    };
}
