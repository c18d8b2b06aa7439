/**
 * Switching the selected experiment of a stack: rewrite `picluster:experiment`
 * in `Pulumi.<stack>.yaml`, keeping every comment and other key as it is.
 */
import * as YAML from "yaml";
import { DEFAULT_EXPERIMENT, Experiment } from "../config/schema";

export const EXPERIMENT_KEY = "picluster:experiment";

/** The stack file's text with the experiment set to `name`. Throws on an unknown name. */
export function withExperiment(stackFileText: string, name: string, catalog: Readonly<Record<string, Experiment>>): string {
    if (!(name in catalog)) {
        throw new Error(`${EXPERIMENT_KEY}: expected one of ${Object.keys(catalog).join(", ")}, got ${JSON.stringify(name)}`);
    }
    // A line edit rather than re-serialising the document: stack files are
    // hand-written, and their comments and layout are the operator's.
    const line = /^(\s+)picluster:experiment:.*$/m;
    let text: string;
    if (line.test(stackFileText)) {
        text = stackFileText.replace(line, `$1${EXPERIMENT_KEY}: ${name}`);
    } else if (/^config:\s*$/m.test(stackFileText)) {
        text = stackFileText.replace(/^config:\s*$/m, `config:\n  ${EXPERIMENT_KEY}: ${name}`);
    } else {
        throw new Error(`the stack file has no block-style 'config:' section to add ${EXPERIMENT_KEY} to`);
    }
    if (selectedExperiment(text) !== name) throw new Error(`could not set ${EXPERIMENT_KEY} in the stack file`);
    return text;
}

/** The experiment a stack file selects (the program's default when unset). */
export function selectedExperiment(stackFileText: string): string {
    const doc = YAML.parseDocument(stackFileText);
    const value = doc.getIn(["config", EXPERIMENT_KEY]);
    return typeof value === "string" ? value : DEFAULT_EXPERIMENT;
}

/** One line per experiment, for `--list`. */
export function describeCatalog(catalog: Readonly<Record<string, Experiment>>, selected?: string): string {
    const width = Math.max(...Object.keys(catalog).map((n) => n.length));
    return Object.entries(catalog)
        .map(([name, e]) => `${name === selected ? "*" : " "} ${name.padEnd(width)}  ${e.endpoint.padEnd(3)}  ${e.profiles.join(",").padEnd(34)} ${e.description}`)
        .join("\n");
}
