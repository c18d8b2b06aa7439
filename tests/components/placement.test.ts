import { onlyOnNodes } from "../../components/placement";
import { internetK3sNodes } from "../../lib/inventory";
import { ProgramRun, runProgram, stackConfig, withPlatform } from "../helpers/program";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const INTERNET_BOUND = ["oauth2-proxy", "cloudflared"];

function affinityHosts(run: ProgramRun, app: string): string[] | undefined {
    const d = run.ofType(DEPLOYMENT).find((x) => x.inputs.metadata.name === app);
    const terms = d?.inputs.spec.template.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    return terms?.[0]?.matchExpressions?.find((e: { key: string }) => e.key === "kubernetes.io/hostname")?.values;
}

describe("onlyOnNodes", () => {
    it("refuses to pin to no node at all", () => {
        expect(() => onlyOnNodes([])).toThrow("expected at least one node name, got none");
    });
});

describe.each(["pi-cluster", "dev"])("the %s stack", (stack) => {
    it("schedules the pods that need the internet only on the K3s nodes that have it", async () => {
        const run = await runProgram(stack, withPlatform(stack, { "picluster:tunnel": stackConfig("pi-cluster")["picluster:tunnel"]}));
        const expected = internetK3sNodes(stackConfig(stack)["picluster:nodes"] as never);
        expect(expected).toEqual(["control"]);
        for (const app of INTERNET_BOUND) expect({ app, hosts: affinityHosts(run, app) }).toEqual({ app, hosts: expected });
        // Everything else may run anywhere.
        const others = run.ofType(DEPLOYMENT).filter((d) => !INTERNET_BOUND.includes(d.inputs.metadata.name));
        expect(others.length).toBeGreaterThan(2);
        for (const d of others) expect({ app: d.inputs.metadata.name, affinity: d.inputs.spec.template.spec.affinity }).toEqual({ app: d.inputs.metadata.name, affinity: undefined });
    });
});

it("follows the inventory: an agent given the internet becomes a place for them too", async () => {
    const nodes = (stackConfig("pi-cluster")["picluster:nodes"] as { name: string; internet: boolean }[]).map((n) => (n.name === "worker-3" ? { ...n, internet: true } : n));
    const run = await runProgram("pi-cluster", { "picluster:nodes": nodes });
    expect(affinityHosts(run, "oauth2-proxy")).toEqual(["control", "worker-3"]);
    expect(affinityHosts(run, "cloudflared")).toEqual(["control", "worker-3"]);
});
