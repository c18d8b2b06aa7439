/**
 * npm run experiment:select -- <name> [--stack <stack>]
 * npm run experiment:select -- --list [--stack <stack>]
 *
 * Sets `picluster:experiment` in Pulumi.<stack>.yaml (default stack: dev).
 * Apply it with `pulumi up -s <stack>`: only Deployment replicas/resources and
 * HPA objects change.
 */
import * as fs from "fs";
import { stackFilePath } from "../config/stackFile";
import { loadCatalog } from "../experiments/catalog";
import { describeCatalog, selectedExperiment, withExperiment } from "../experiments/select";
import { UsageError } from "../loadtest/runner/args";
import { exitWith, stackArg } from "./cli";

function main(argv: string[]): number {
    let stackOption: string | undefined;
    let list = false;
    const names: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--stack" || arg === "-s") stackOption = argv[++i] ?? "";
        else if (arg === "--list" || arg === "-l") list = true;
        else if (arg === "--help" || arg === "-h") {
            process.stdout.write("usage: npm run experiment:select -- <experiment> [--stack <stack>]\n       npm run experiment:select -- --list [--stack <stack>]\n");
            return 0;
        } else names.push(arg);
    }
    const stack = stackArg(stackOption);
    const file = stackFilePath(stack);
    const text = fs.readFileSync(file, "utf8");
    const catalog = loadCatalog();
    if (list) {
        process.stdout.write(`${describeCatalog(catalog, selectedExperiment(text))}\n`);
        return 0;
    }
    if (names.length !== 1) throw new UsageError(`expected exactly one experiment name, got ${names.length} (see --list)`);
    const before = selectedExperiment(text);
    let updated: string;
    try {
        updated = withExperiment(text, names[0], catalog);
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    fs.writeFileSync(file, updated);
    process.stdout.write(`${stack}: experiment ${before} -> ${names[0]}\nApply it with: pulumi up -s ${stack}\n`);
    return 0;
}

exitWith(() => main(process.argv.slice(2)));
