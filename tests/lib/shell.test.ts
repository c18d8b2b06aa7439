import { execFileSync } from "child_process";
import { shellAssignments, shellQuote } from "../../lib/shell";

/** What bash sees after evaluating `printf %s <quoted>`. */
function throughBash(quoted: string): string {
    return execFileSync("bash", ["-c", `printf %s ${quoted}`], { encoding: "utf8" });
}

describe("shellQuote", () => {
    it.each([
        ["plain", "hello"],
        ["spaces", "two words  and   more"],
        ["single quotes", "it's 'quoted'"],
        ["double quotes and dollars", `"$HOME" \${PATH} $(id) \`id\``],
        ["newlines", "line one\nline two\n"],
        ["globs and semicolons", "*; rm -rf / #"],
        ["empty", ""],
        ["backslashes", "a\\b\\\\c"],
    ])("passes %s through bash unchanged", (_, value) => {
        expect(throughBash(shellQuote(value))).toBe(value);
    });

    it("refuses a NUL byte, which no shell variable can hold", () => {
        expect(() => shellQuote("a\0b")).toThrow(/NUL/);
    });
});

describe("shellAssignments", () => {
    it("assigns every input, and bash reads back the exact values", () => {
        const vars = { NAME: "worker-1", CONF: "a='b'\n$c", COUNT: 3, FLAG: true };
        const out = execFileSync("bash", ["-c", `${shellAssignments(vars)}\nprintf '%s|' "$NAME" "$CONF" "$COUNT" "$FLAG"`], { encoding: "utf8" });
        expect(out).toBe("worker-1|a='b'\n$c|3|true|");
    });

    it("rejects names that are not upper-case shell identifiers", () => {
        expect(() => shellAssignments({ "bad-name": "x" })).toThrow("variable name 'bad-name'");
        expect(() => shellAssignments({ lower: "x" })).toThrow("variable name 'lower'");
    });
});
