import * as fs from "fs";
import * as os from "os";
import * as path from "path";

let root: string | undefined;

/** A fresh directory under one scratch root per test file (removed after the file, see cleanup.ts). */
export function scratchDir(prefix: string): string {
    root ??= fs.mkdtempSync(path.join(os.tmpdir(), "picluster-tests-"));
    return fs.mkdtempSync(path.join(root, `${prefix}-`));
}

export function removeScratch(): void {
    if (root !== undefined) fs.rmSync(root, { recursive: true, force: true });
    root = undefined;
}
