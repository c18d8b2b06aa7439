/**
 * npm run loadtest:k6 -- --out DIR --base-url URL --flowsheet-id ID [--time-scale F]
 *
 * Writes the k6 script of every endpoint and profile (uor-average.js, ...,
 * fs-breakpoint.js) from loadtest/profiles.yaml, for running a profile with
 * your own k6 (`k6 run DIR/uor-spike.js`). The project's runner does not need
 * them: it executes the same plans with loadgen/.
 */
import * as fs from "fs";
import * as path from "path";
import { PROFILES } from "../config/schema";
import { renderK6Script } from "../loadtest/k6";
import { buildPlan } from "../loadtest/plan";
import { ENDPOINTS, loadLoadTable } from "../loadtest/profiles";

export function writeK6Scripts(out: string, baseUrl: string, flowsheetId: string, timeScale = 1): string[] {
    const table = loadLoadTable();
    fs.mkdirSync(out, { recursive: true });
    const written: string[] = [];
    for (const endpoint of ENDPOINTS) {
        for (const profile of PROFILES) {
            const plan = buildPlan(table, { endpoint, profile, baseUrl, flowsheetId, timeScale });
            const file = path.join(out, `${plan.name}.js`);
            fs.writeFileSync(file, renderK6Script(plan));
            written.push(file);
        }
    }
    return written;
}

function main(argv: string[]): number {
    const opts = new Map<string, string>();
    for (let i = 0; i < argv.length; i++) {
        if (!["--out", "--base-url", "--flowsheet-id", "--time-scale"].includes(argv[i]) || argv[i + 1] === undefined) {
            process.stderr.write(`usage: npm run loadtest:k6 -- --out DIR --base-url URL --flowsheet-id ID [--time-scale F] (got ${JSON.stringify(argv[i])})\n`);
            return 2;
        }
        opts.set(argv[i], argv[++i]);
    }
    for (const key of ["--out", "--base-url", "--flowsheet-id"]) {
        if (!opts.has(key)) {
            process.stderr.write(`${key}: expected a value, got none\n`);
            return 2;
        }
    }
    const id = opts.get("--flowsheet-id")!;
    if (!/^[A-Za-z0-9_-]+$/.test(id)) {
        process.stderr.write(`--flowsheet-id: expected an id (letters, digits, - or _), got ${JSON.stringify(id)}\n`);
        return 2;
    }
    try {
        const files = writeK6Scripts(opts.get("--out")!, opts.get("--base-url")!, id, opts.has("--time-scale") ? Number(opts.get("--time-scale")) : 1);
        process.stdout.write(`${files.join("\n")}\n`);
        return 0;
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 2;
    }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
