/**
 * The project's seams: what programs, scripts and benchmarks run lives outside
 * tests/ (in harness/ when tests share it), so nothing outside tests/ imports a test file.
 */
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { ROOT } from "./helpers/program";

function trackedTs(): string[] {
    return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts"], { cwd: ROOT, encoding: "utf8" })
        .split("\n")
        .filter((f) => f.endsWith(".ts") && fs.existsSync(path.join(ROOT, f)));
}

/** Module paths a file imports (static imports, re-exports, require). */
export function importsOf(text: string): string[] {
    const found: string[] = [];
    for (const m of text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)["']([^"']+)["']/g)) found.push(m[1]);
    return found;
}

describe("imports", () => {
    it("finds the imports of a file (the check can fail)", () => {
        expect(importsOf('import { a } from "../tests/helpers/program";\nexport { b } from "./x";\nconst c = require("../tests/y");')).toEqual(["../tests/helpers/program", "./x", "../tests/y"]);
    });

    it("nothing outside tests/ imports from tests/", () => {
        const offenders = trackedTs()
            .filter((f) => !f.startsWith("tests/"))
            .flatMap((f) =>
                importsOf(fs.readFileSync(path.join(ROOT, f), "utf8"))
                    .filter((spec) => spec.startsWith("."))
                    .filter((spec) => path.relative(ROOT, path.resolve(ROOT, path.dirname(f), spec)).split(path.sep)[0] === "tests")
                    .map((spec) => `${f} -> ${spec}`),
            );
        expect(offenders).toEqual([]);
    });
});
