/**
 * Turns a step script (`provisioning/scripts/<name>.sh`) and its inputs into
 * the command string a `remote.Command` runs.
 *
 * - Inputs become `NAME='value'` lines through the one quoting helper.
 * - `lib.sh` is inlined where the script sources it, so the node needs nothing
 *   but bash.
 * - The first line carries a SHA-256 of script and inputs. The command text is
 *   the step's identity: an unchanged step has an identical command and never
 *   re-runs; any change to the script or an input changes it, and the provider
 *   re-runs the (idempotent) script as an update. We deliberately do not put the
 *   hash in `triggers`: a trigger change *replaces* the resource, which runs the
 *   old step's delete command (uninstall) around the new create.
 */
import * as fs from "fs";
import * as path from "path";
import { sha256 } from "../lib/hash";
import { shellAssignments, shellQuote } from "../lib/shell";

export const SCRIPTS_DIR = path.join(__dirname, "scripts");
const INLINE_MARKER = /^\. \.\/lib\.sh # picluster:inline$/m;

const cache = new Map<string, string>();
function readScript(name: string): string {
    let text = cache.get(name);
    if (text === undefined) {
        text = fs.readFileSync(path.join(SCRIPTS_DIR, `${name}.sh`), "utf8");
        cache.set(name, text);
    }
    return text;
}

/** Strip the shebang and `set` line so the library body can be inlined. */
function libraryBody(): string {
    return readScript("lib")
        .split("\n")
        .filter((line) => !line.startsWith("#!") && line !== "set -euo pipefail")
        .join("\n")
        .trim();
}

export type ScriptVars = Readonly<Record<string, string | number | boolean>>;

export interface RenderedScript {
    /** The full bash program: inputs, library, step. */
    readonly script: string;
    /** SHA-256 of `script`. */
    readonly hash: string;
}

/**
 * Lines that read secret inputs from standard input, one line each in the given
 * order: a secret never appears in the command text, which any local user can read
 * from /proc while the step runs and which the provider repeats in its errors.
 */
export function stdinReads(names: readonly string[]): string[] {
    return names.map((n) => {
        if (!/^[A-Z][A-Z0-9_]*$/.test(n)) throw new Error(`secret input name ${JSON.stringify(n)}: expected an upper-case shell variable name`);
        return `IFS= read -r ${n} || { echo "\${STEP}: ${n} expected on standard input" >&2; exit 1; }`;
    });
}

/**
 * Render a step script with its inputs. `stdinNames` are secret inputs the script
 * reads from standard input (see `stdinReads`). Pure apart from reading the script file.
 */
export function renderScript(name: string, vars: ScriptVars, stdinNames: readonly string[] = []): RenderedScript {
    const source = readScript(name);
    if (!INLINE_MARKER.test(source)) {
        throw new Error(`provisioning/scripts/${name}.sh must source lib.sh with '. ./lib.sh # picluster:inline'`);
    }
    const body = source
        .replace(INLINE_MARKER, () => libraryBody())
        .split("\n")
        .filter((line) => !line.startsWith("#!"))
        .join("\n");
    const script = ["#!/usr/bin/env bash", "set -euo pipefail", shellAssignments({ STEP: name, ...vars }), ...stdinReads(stdinNames), body].join("\n");
    return { script, hash: sha256(script) };
}

/**
 * The command line that runs a rendered script over SSH: as root via
 * passwordless sudo, unless the SSH user already is root.
 */
export function remoteCommand(rendered: RenderedScript, user: string): string {
    const runner = user === "root" ? "bash -c" : "sudo -n bash -c";
    return `# picluster step sha256=${rendered.hash}\n${runner} ${shellQuote(rendered.script)}`;
}
