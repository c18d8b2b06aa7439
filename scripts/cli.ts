/** What the project's command-line scripts share: the stack they act on, and their exit codes. */
import { hasStackFile } from "../config/stackFile";
import { UsageError } from "../loadtest/runner/args";

/** The stack a script acts on (`--stack`, default dev): one with a `Pulumi.<stack>.yaml` next to Pulumi.yaml. */
export function stackArg(value: string | undefined, fallback = "dev"): string {
    const stack = value ?? fallback;
    if (!hasStackFile(stack)) throw new UsageError(`--stack: expected a stack with a Pulumi.<stack>.yaml file next to Pulumi.yaml, got ${JSON.stringify(stack)} (no Pulumi.${stack}.yaml)`);
    return stack;
}

/** An error class and the exit code it means (Ctrl-C: 130). */
export type ExitCode = readonly [new (...args: never[]) => Error, number];

/**
 * Set the process's exit code from a script's main(): its number; for an error, its
 * message on stderr and 2 for a usage error, the code `codes` gives its class, or 1.
 */
export function exitWith(main: Promise<number> | (() => number), codes: readonly ExitCode[] = []): void {
    const run = typeof main === "function" ? Promise.resolve().then(main) : main;
    run.then(
        (code) => (process.exitCode = code),
        (e: unknown) => {
            process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
            process.exitCode = e instanceof UsageError ? 2 : (codes.find(([cls]) => e instanceof cls)?.[1] ?? 1);
        },
    );
}
