/**
 * npm run experiment:select -- <name> [--stack <stack>]
 * npm run experiment:select -- --list [--stack <stack>]
 *
 * Sets `picluster:experiment` in Pulumi.<stack>.yaml (default stack: dev).
 * Apply it with `pulumi up -s <stack>`: only Deployment replicas/resources and
 * HPA objects change.
 */
import * as fs from "fs";
import * as path from "path";
import { loadCatalog } from "../experiments/catalog";
import { describeCatalog, selectedExperiment, withExperiment } from "../experiments/select";

function main(argv: string[]): number {
    let stack = "dev";
    let list = false;
    const names: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--stack" || arg === "-s") stack = argv[++i] ?? "";
        else if (arg === "--list" || arg === "-l") list = true;
        else if (arg === "--help" || arg === "-h") {
            process.stdout.write("usage: npm run experiment:select -- <experiment> [--stack <stack>]\n       npm run experiment:select -- --list [--stack <stack>]\n");
            return 0;
        } else names.push(arg);
    }
    const file = path.join(__dirname, "..", `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        process.stderr.write(`--stack: expected a stack with a Pulumi.<stack>.yaml file, got ${JSON.stringify(stack)} (no ${path.basename(file)})\n`);
        return 2;
    }
    const text = fs.readFileSync(file, "utf8");
    const catalog = loadCatalog();
    if (list) {
        process.stdout.write(`${describeCatalog(catalog, selectedExperiment(text))}\n`);
        return 0;
    }
    if (names.length !== 1) {
        process.stderr.write(`expected exactly one experiment name, got ${names.length} (see --list)\n`);
        return 2;
    }
    try {
        const before = selectedExperiment(text);
        fs.writeFileSync(file, withExperiment(text, names[0], catalog));
        process.stdout.write(`${stack}: experiment ${before} -> ${names[0]}\nApply it with: pulumi up -s ${stack}\n`);
        return 0;
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 2;
    }
}

process.exitCode = main(process.argv.slice(2));
