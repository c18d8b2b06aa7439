/**
 * npm run experiment -- <experiment> --endpoint uor|fs --profile <profile> [--trials N] [--dry-run] ...
 *
 * Runs a scaling variant end to end (see loadtest/runner/run.ts and --help).
 */
import { execFileSync, spawn } from "child_process";
import * as dns from "dns/promises";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { loadCatalog } from "../experiments/catalog";
import { withExperiment } from "../experiments/select";
import { loadLoadTable } from "../loadtest/profiles";
import { parseRunArgs, RunArgs, USAGE, UsageError } from "../loadtest/runner/args";
import { loadFlowsheet } from "../loadtest/runner/flowsheet";
import { KubeClient } from "../loadtest/runner/kube";
import { interfaceTowards, netemCommands, NetemCommands } from "../loadtest/runner/netem";
import { describeRun, Interrupted, runExperiment } from "../loadtest/runner/run";
import { clusterSchema, platformSchema } from "../config/schema";
import { PROJECT_ROOT, readStackFile, stackFilePath } from "../config/stackFile";
import { exitWith, stackArg } from "./cli";

const ROOT = PROJECT_ROOT;

/** The parts of a stack's config the runner needs, read from Pulumi.<stack>.yaml. */
export function stackPlatform(stack: string): { apiDomain: string; namespace: string; kubeconfigFile?: string } {
    const { config } = readStackFile(stackArg(stack));
    const platform = platformSchema.parse(config["picluster:platform"]);
    const cluster = clusterSchema.parse(config["picluster:cluster"] ?? {});
    const kubeconfigFile = cluster.kubeconfig.source === "file" ? path.resolve(ROOT, cluster.kubeconfig.path) : undefined;
    return { apiDomain: platform.domains.api, namespace: platform.namespace, kubeconfigFile };
}

export function headersFromEnv(raw: string | undefined): Record<string, string> {
    if (raw === undefined || raw.trim() === "") return {};
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        throw new UsageError("LOADTEST_HEADERS: expected a JSON object of header names to string values, got text that is not JSON");
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === "string")) {
        throw new UsageError("LOADTEST_HEADERS: expected a JSON object of header names to string values, got another JSON value");
    }
    return parsed as Record<string, string>;
}

function gitCommit(): string {
    try {
        const sha = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
        const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
        return dirty ? `${sha}-dirty` : sha;
    } catch {
        return "unknown";
    }
}

function loadgenBinary(): { binary: string; version: string } {
    const binary = execFileSync("bash", [path.join(ROOT, "scripts/loadgen.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    const version = execFileSync(binary, ["version"], { encoding: "utf8" }).trim();
    return { binary, version };
}

/** Select the experiment in the stack file, then `pulumi up` it. */
async function deploy(stack: string, experiment: string): Promise<void> {
    const file = stackFilePath(stack);
    fs.writeFileSync(file, withExperiment(fs.readFileSync(file, "utf8"), experiment, loadCatalog()));
    const pulumi = process.env.PULUMI ?? "pulumi";
    await new Promise<void>((resolve, reject) => {
        const child = spawn(pulumi, ["up", "--yes", "--non-interactive", "--skip-preview", "--stack", stack], { cwd: ROOT, stdio: "inherit" });
        child.on("error", (e) => reject(new Error(`${pulumi}: ${e.message} (put the CLI on PATH: PATH="$(bash scripts/tools.sh):$PATH")`)));
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`pulumi up -s ${stack} failed with exit code ${code}`))));
    });
}

async function latency(args: RunArgs, baseUrl: string): Promise<NetemCommands | null> {
    if (args.latencyMs === null) return null;
    if (args.latencyInterface) return netemCommands(args.latencyInterface, args.latencyMs);
    const host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, "");
    try {
        const address = net.isIP(host) ? host : (await dns.lookup(host)).address;
        return netemCommands(await interfaceTowards(address), args.latencyMs);
    } catch (e) {
        if (!args.dryRun) throw e;
        // A dry run still shows the commands; the interface is found at run time.
        const shown = netemCommands("IFACE", args.latencyMs);
        const name = `<interface towards ${host}>`;
        const fill = (argv: string[]) => argv.map((a) => (a === "IFACE" ? name : a));
        return { ...shown, add: fill(shown.add), remove: fill(shown.remove), show: fill(shown.show) };
    }
}

async function main(argv: string[]): Promise<number> {
    const catalog = loadCatalog();
    const table = loadLoadTable();
    const args = parseRunArgs(argv, catalog, table);
    if (args === null) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const headers = headersFromEnv(process.env.LOADTEST_HEADERS);
    const flowsheet = loadFlowsheet(args.flowsheetFile ? path.resolve(args.flowsheetFile) : undefined);
    let baseUrl = args.baseUrl ?? "http://127.0.0.1:8000";
    let kube: KubeClient | null = null;
    if (args.target === "cluster") {
        const stack = stackPlatform(args.stack);
        baseUrl = args.baseUrl ?? `https://${stack.apiDomain}`;
        const kubeconfig = args.kubeconfig ?? process.env.KUBECONFIG ?? stack.kubeconfigFile;
        if (!kubeconfig) throw new UsageError(`--kubeconfig: expected a kubeconfig file (or KUBECONFIG, or a stack whose cluster.kubeconfig is a file), got none; e.g. pulumi stack output kubeconfig --show-secrets -s ${args.stack} > kubeconfig`);
        if (!args.dryRun && !fs.existsSync(kubeconfig)) throw new UsageError(`--kubeconfig: expected a readable kubeconfig file, got ${JSON.stringify(kubeconfig)} (not found)`);
        kube = args.dryRun ? new KubeClient({ server: "https://unused", headers: {}, tls: {} }, args.namespace ?? stack.namespace) : KubeClient.fromFile(kubeconfig, args.namespace ?? stack.namespace);
    }
    const netem = await latency(args, baseUrl);
    if (args.dryRun) {
        process.stdout.write(`${describeRun({ args, baseUrl, netem, kube, table }).join("\n")}\n`);
        return 0;
    }
    const runDir = await runExperiment(
        { args, table, experiment: catalog[args.experiment], flowsheet, baseUrl, kube, netem, headers, loadgen: loadgenBinary(), gitCommit: gitCommit() },
        { deploy },
    );
    process.stdout.write(`${runDir}\nanalyse with: npm run experiment:report -- ${runDir}\n`);
    return 0;
}

if (require.main === module) exitWith(main(process.argv.slice(2)), [[Interrupted, 130]]);
