import { ProgramRun, Registered } from "./program";

/** Names of the resources a resource depends on. */
export function dependencyNames(r: Registered): string[] {
    return (r.opts.dependsOn ?? []).map((urn) => urn.slice(urn.lastIndexOf("::") + 2));
}

/** Remote commands of one node component (its children), by step suffix. */
export function stepsOf(run: ProgramRun, node: string): Map<string, Registered> {
    const steps = run.ofType("command:remote:Command").filter((r) => r.parent === node);
    return new Map(steps.map((r) => [r.name.slice(node.length + 1), r]));
}

/** Follow dependsOn from a step back to the first step of its own node. */
export function chainOf(run: ProgramRun, node: string, last: string): string[] {
    const steps = stepsOf(run, node);
    const chain: string[] = [];
    let current: Registered | undefined = steps.get(last);
    while (current) {
        const suffix = current.name.slice(node.length + 1);
        chain.unshift(suffix);
        const previous = dependencyNames(current).find((d) => d.startsWith(`${node}-`) && steps.has(d.slice(node.length + 1)));
        current = previous ? steps.get(previous.slice(node.length + 1)) : undefined;
    }
    return chain;
}
