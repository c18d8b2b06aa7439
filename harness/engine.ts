/**
 * The real Pulumi engine as the project's scripts and end-to-end tests drive it:
 * the CLI and plugins that scripts/tools.sh builds, a local file backend and a
 * passphrase secrets provider, with no network (no update check, no plugin
 * downloads). `npm run dev`, `npm run preview` and the e2e suite all go through
 * here; the program itself knows nothing of it.
 *
 * Secrets reach the CLI on standard input (`pulumi config set --secret KEY`
 * reads the value from stdin), never in its arguments.
 */
import * as fs from "fs";
import * as path from "path";
import { execFileSync, spawn } from "child_process";
import * as YAML from "yaml";
import { readStackFile } from "../config/stackFile";

export const ROOT = path.resolve(__dirname, "..");

export interface EngineStack {
    /** Stack name (`--stack`). */
    readonly name: string;
    /** Directory of the local file backend that holds the stack's state. */
    readonly stateDir: string;
    /** Passphrase of the stack's secrets provider. */
    readonly passphrase: string;
    /**
     * The stack config file the engine reads (`--config-file`), when it is not the
     * project's own `Pulumi.<name>.yaml`: the dev stack's tracked file holds no
     * machine-specific secret, so its scripts use a git-ignored copy that does.
     */
    readonly configFile?: string;
}

export interface EngineResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
    readonly ms: number;
}

let toolsBinDir: string | undefined;

/**
 * The directory with `pulumi` and its language host: scripts/tools.sh builds or
 * reuses them (seconds when cached). PICLUSTER_TOOLS_BIN names a directory to use
 * as it is instead (a toolchain installed some other way).
 */
export function toolsBin(): string {
    toolsBinDir ??= process.env.PICLUSTER_TOOLS_BIN || execFileSync("bash", [path.join(ROOT, "scripts/tools.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    return toolsBinDir;
}

/** The environment every pulumi command of this stack runs with. */
export function engineEnv(s: EngineStack): NodeJS.ProcessEnv {
    return {
        ...process.env,
        PATH: `${toolsBin()}:${process.env.PATH ?? ""}`,
        PULUMI_BACKEND_URL: `file://${s.stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: s.passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // `npm test` type-checks the program once (tsc --noEmit); every run need not.
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    };
}

/** Commands that read the stack's config, and so take `--config-file`. */
const CONFIG_COMMANDS = new Set(["up", "preview", "destroy", "refresh", "config"]);

/** The full argument list for `pulumi <args>` on this stack. */
export function engineArgs(s: EngineStack, args: readonly string[]): string[] {
    const extra = s.configFile !== undefined && CONFIG_COMMANDS.has(args[0]) ? ["--config-file", s.configFile] : [];
    return [...args, "--stack", s.name, ...extra, "--non-interactive"];
}

/**
 * Run `pulumi <args>` on the stack. Output is collected, and also copied to this
 * process's own when `echo` is set. `input` goes to its standard input.
 */
export function pulumi(s: EngineStack, args: readonly string[], opts: { input?: string; echo?: boolean; timeoutMs?: number; env?: Readonly<Record<string, string>> } = {}): Promise<EngineResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", engineArgs(s, args), { cwd: ROOT, env: { ...engineEnv(s), ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (b: Buffer) => {
            out.push(b);
            if (opts.echo) process.stdout.write(b);
        });
        child.stderr.on("data", (b: Buffer) => {
            err.push(b);
            if (opts.echo) process.stderr.write(b);
        });
        const timer =
            opts.timeoutMs === undefined
                ? undefined
                : setTimeout(() => {
                      child.kill("SIGINT"); // pulumi stops cleanly on an interrupt and keeps its state consistent
                      setTimeout(() => child.kill("SIGKILL"), 30_000).unref();
                  }, opts.timeoutMs);
        child.on("error", (e) => reject(new Error(`pulumi ${args.join(" ")}: ${e.message}`)));
        child.on("close", (code) => {
            if (timer) clearTimeout(timer);
            resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), ms: Date.now() - started });
        });
        child.stdin.end(opts.input ?? "");
    });
}

/** The last `n` lines of a text (a command's output, a log), without surrounding blank space. */
export const lastLines = (text: string, n: number) => text.trim().split("\n").slice(-n).join("\n");

/**
 * What to show of a failed pulumi command: the errors. The engine prints them in its
 * `Diagnostics:` section, which the stack's `Outputs:` listing and the resource
 * summary follow, so the end of the output alone would show the outputs and not why
 * it failed. That section (at most `maxLines` of it), then the end of standard error
 * (where a crash or an interrupt shows); with no such section, the output's last
 * `maxLines` lines.
 */
export function failureReport(r: Pick<EngineResult, "stdout" | "stderr">, maxLines = 60): string {
    const lines = r.stdout.split("\n");
    const start = lines.findIndex((l) => l.trimEnd() === "Diagnostics:");
    if (start < 0) return lastLines(`${r.stdout}\n${r.stderr}`, maxLines);
    // The section ends at the next heading: a line at column 0 such as "Outputs:".
    const after = lines.findIndex((l, i) => i > start && /^\S/.test(l));
    const section = lines.slice(start, after < 0 ? undefined : after).join("\n").trim().split("\n");
    const shown = section.length > maxLines ? [...section.slice(0, maxLines), `  … (${section.length - maxLines} more lines)`] : section;
    const stderr = lastLines(r.stderr, 20);
    return stderr ? `${shown.join("\n")}\n--- stderr:\n${stderr}` : shown.join("\n");
}

/** Like `pulumi`, but a non-zero exit is an error that carries the command's errors. */
export async function pulumiOk(s: EngineStack, args: readonly string[], opts: { input?: string; echo?: boolean; timeoutMs?: number; env?: Readonly<Record<string, string>> } = {}): Promise<EngineResult> {
    const r = await pulumi(s, args, opts);
    if (r.code !== 0) throw new Error(`pulumi ${args[0]} -s ${s.name} failed (exit ${r.code}):\n${failureReport(r)}`);
    return r;
}

/**
 * The shape a test expects of a pulumi command that must succeed: `{code: 0, output: ""}`,
 * and on failure its exit code and errors (`failureReport`), so the assertion shows why.
 */
export const succeeded = (r: EngineResult) => ({ code: r.code, output: r.code === 0 ? "" : failureReport(r) });

/**
 * Write a generated stack config file: the tracked `Pulumi.<base>.yaml`'s config with
 * `overrides` on top (an override of `undefined` removes the key). From the file
 * being replaced it keeps the secrets already set in it (`secure:` values) and the
 * salt they were encrypted with; a new file takes the base's salt when
 * `saltFromBase`, else leaves it for `pulumi stack init` to make.
 */
export function writeStackConfig(file: string, base: string, overrides: Record<string, unknown>, opts: { saltFromBase?: boolean } = {}): void {
    const tracked = readStackFile(base);
    const previous = fs.existsSync(file) ? ((YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown>; encryptionsalt?: string }) : {};
    const secrets = Object.entries(previous.config ?? {}).filter(([, v]) => typeof v === "object" && v !== null && "secure" in v);
    const config: Record<string, unknown> = { ...tracked.config, ...Object.fromEntries(secrets) };
    for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete config[k];
        else config[k] = v;
    }
    let salt = previous.encryptionsalt;
    salt ??= opts.saltFromBase ? tracked.encryptionsalt : undefined;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const header = `# Generated from Pulumi.${base}.yaml by harness/engine.ts; not tracked. Do not edit.\n`;
    fs.writeFileSync(file, header + YAML.stringify({ config, ...(salt ? { encryptionsalt: salt } : {}) }, { lineWidth: 0 }), { mode: 0o600 });
}

/** Create the stack in its backend if it is not there yet, and select it. */
export async function ensureStack(s: EngineStack): Promise<void> {
    fs.mkdirSync(s.stateDir, { recursive: true });
    const r = await pulumi(s, ["stack", "select", "--create"]);
    if (r.code !== 0) throw new Error(`pulumi stack select --create ${s.name}: ${r.stderr.trim()}`);
}

/** Set secret config values; each value goes to the CLI on standard input. */
export async function setSecrets(s: EngineStack, secrets: Readonly<Record<string, string>>): Promise<void> {
    for (const [key, value] of Object.entries(secrets)) {
        const r = await pulumi(s, ["config", "set", "--secret", key], { input: value });
        if (r.code !== 0) throw new Error(`pulumi config set --secret ${key} -s ${s.name}: ${r.stderr.trim()}`);
    }
}

/** One step of `pulumi preview --json`. */
export interface PreviewStep {
    readonly op: string;
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Properties whose change causes the step (updates and replacements). */
    readonly diffs: readonly string[];
    /** Property paths that change, from the provider's detailed diff (`spec.replicas`, …). */
    readonly paths: readonly string[];
}

/** The steps of a `pulumi preview --json` document, with each resource's type and name. */
export function previewSteps(json: string): PreviewStep[] {
    const doc = JSON.parse(json) as { steps?: { op: string; urn: string; diffs?: string[]; detailedDiff?: Record<string, unknown> }[] };
    return (doc.steps ?? []).map((st) => {
        const parts = st.urn.split("::");
        const types = (parts[2] ?? "").split("$");
        return { op: st.op, urn: st.urn, type: types[types.length - 1], name: parts[3] ?? "", diffs: st.diffs ?? [], paths: Object.keys(st.detailedDiff ?? {}) };
    });
}

/**
 * The text that would show a secret value in some output: the value itself, or for
 * a multi-line value (a private key) each of its lines but the armour.
 */
export function secretNeedles(value: string): string[] {
    const lines = value.split("\n").map((l) => l.trim()).filter((l) => l.length >= 16 && !l.startsWith("-----"));
    return lines.length > 0 ? lines : [value];
}
