/** Exit-code plumbing shared by the project's command-line scripts. */
import { UsageError } from "../loadtest/runner/args";

/** Set the process's exit code from a script's main(): its number, or 2 for a usage error and 1 for any other error. */
export function exitWith(main: Promise<number>): void {
    main.then(
        (code) => (process.exitCode = code),
        (e: unknown) => {
            process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
            process.exitCode = e instanceof UsageError ? 2 : 1;
        },
    );
}
