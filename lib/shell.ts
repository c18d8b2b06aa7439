/**
 * The one quoting helper. Every value that reaches a remote shell goes through
 * `shellQuote`; scripts never interpolate raw strings.
 */

/** Quote a value for POSIX shells: wrap in single quotes, escape embedded ones. */
export function shellQuote(value: string | number | boolean): string {
    const s = String(value);
    if (s.includes("\0")) {
        throw new Error(`shellQuote: value contains a NUL byte, which no shell variable can hold`);
    }
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

const VAR_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Render `NAME='value'` assignments, one per line, in key order given. */
export function shellAssignments(vars: Readonly<Record<string, string | number | boolean>>): string {
    return Object.entries(vars)
        .map(([name, value]) => {
            if (!VAR_NAME.test(name)) {
                throw new Error(`shellAssignments: variable name '${name}' must match ${VAR_NAME}`);
            }
            return `${name}=${shellQuote(value)}`;
        })
        .join("\n");
}
