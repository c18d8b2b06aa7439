/**
 * A stack's file, `Pulumi.<stack>.yaml`, read outside the engine: by the scripts
 * (experiment runs, experiment selection, the local cluster's nodes), the
 * harness and the tests. The one place that knows where stack files live; the
 * program itself reads its config through the engine (load.ts).
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/** The project directory, where `Pulumi.yaml` and the stack files are. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** Where a stack's file is. */
export function stackFilePath(stack: string): string {
    return path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
}

/** A name Pulumi takes for a stack, and no path: letters, digits, `.`, `_` and `-`. */
export function isStackName(stack: string): boolean {
    return /^[A-Za-z0-9._-]+$/.test(stack);
}

/** Whether the stack has a file (a name a script may take with --stack). */
export function hasStackFile(stack: string): boolean {
    return isStackName(stack) && fs.existsSync(stackFilePath(stack));
}

/** A stack file's content: its `config` map and its committed salt, if any. */
export function readStackFile(stack: string): { config: Record<string, unknown>; encryptionsalt?: string } {
    const file = stackFilePath(stack);
    if (!hasStackFile(stack)) throw new Error(`stack ${JSON.stringify(stack)}: expected a stack file ${path.basename(file)} next to Pulumi.yaml, got none`);
    const doc = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown>; encryptionsalt?: string };
    return { config: { ...(doc.config ?? {}) }, ...(doc.encryptionsalt ? { encryptionsalt: doc.encryptionsalt } : {}) };
}
