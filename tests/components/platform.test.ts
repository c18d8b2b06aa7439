import * as pulumi from "@pulumi/pulumi";
import { Platform, PLATFORM_TYPE, resolveKubeconfig } from "../../components/platform";
import { formerPlatformType } from "../../lib/typeTokens";
import { isKubernetesObject, schemaErrors } from "../helpers/schema";
import { isSecret, MOCK_SECRETS, promiseOf, ProgramRun, runComponents, runProgram, sliceOf, TEST_SECRETS, testSettings, withPlatform } from "../helpers/program";

let pi: ProgramRun;
let dev: ProgramRun;
beforeAll(async () => {
    pi = await runProgram("pi-cluster");
    dev = await runProgram("dev", withPlatform("dev"));
});

describe("Platform", () => {
    it.each(["pi-cluster", "dev"])("every Kubernetes object of the %s stack passes the Kubernetes / Traefik schema", (stack) => {
        const run = stack === "dev" ? dev : pi;
        const objects = run.resources.filter(isKubernetesObject);
        expect(objects.length).toBeGreaterThan(30);
        expect(schemaErrors(objects)).toEqual([]);
    });

    it("the schema check does reject a broken object", () => {
        const d = pi.ofType("kubernetes:apps/v1:Deployment")[0];
        const m = pi.ofType("kubernetes:traefik.io/v1alpha1:Middleware")[0];
        const errors = schemaErrors([
            { ...d, inputs: { ...d.inputs, spec: { ...d.inputs.spec, replicas: "two" } } },
            { ...m, inputs: { ...m.inputs, spec: { forwardAuth: { address: 42 } } } },
            { ...d, type: "kubernetes:batch/v1:Job" },
        ]);
        expect(errors).toEqual([
            expect.stringMatching(/^kubernetes:apps\/v1:Deployment .* is invalid/),
            expect.stringMatching(/^kubernetes:traefik.io\/v1alpha1:Middleware .* is invalid/),
            expect.stringMatching(/no schema registered for kubernetes:batch\/v1:Job/),
        ]);
    });

    it("deploys every Kubernetes object through the cluster's own provider", () => {
        const [provider] = pi.ofType("pulumi:providers:kubernetes");
        expect(provider.name).toBe("platform-k8s");
        expect(provider.inputs.clusterIdentifier).toBe("picluster-control");
        expect(provider.secretInputs).toContain("kubeconfig");
        for (const r of pi.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
            expect({ name: r.name, provider: r.provider }).toEqual({ name: r.name, provider: expect.stringContaining("::platform-k8s::") });
        }
    });

    it("parents every resource to a picluster component, and components to the platform or the stack", () => {
        for (const r of pi.resources) {
            if (r.type.startsWith("picluster:provisioning:") || r.name === "platform") {
                expect(r.parent).toBeUndefined();
            } else {
                expect({ name: r.name, parentType: r.parentType }).toEqual({ name: r.name, parentType: expect.stringMatching(/^picluster:/) });
            }
        }
        expect(pi.byName("platform-django").parent).toBe("platform");
        expect(pi.byName("platform-django-deployment").parent).toBe("platform-django");
        expect(pi.byName("platform-database-volume").parent).toBe("platform-database");
    });

    it("reads the kubeconfig from K3s or from a file, always as a secret", async () => {
        const fromK3s = pulumi.output("k3s-kubeconfig");
        const a = resolveKubeconfig({ kubeconfig: { source: "k3s" } }, fromK3s);
        expect(await promiseOf(a)).toBe("k3s-kubeconfig");
        expect(await isSecret(a)).toBe(true);
        const b = resolveKubeconfig({ kubeconfig: { source: "file", path: "/x/kubeconfig" } }, fromK3s, (f) => `file:${f}`);
        expect(await promiseOf(b)).toBe("file:/x/kubeconfig");
        expect(await isSecret(b)).toBe(true);
    });

    it("built alone from its slice of the settings and its two secrets, declares exactly what it does inside the program", async () => {
        const settings = testSettings("pi-cluster");
        const alone = await runComponents(() => {
            new Platform("platform", {
                settings: sliceOf(settings, ["nodes", "platform", "database", "auth", "monitoring", "tunnel", "scaling"]),
                secrets: {
                    oauthClientSecret: pulumi.secret(TEST_SECRETS["picluster:oauthClientSecret"]),
                    grafanaCloudToken: pulumi.secret(TEST_SECRETS["picluster:grafanaCloudToken"]),
                },
                kubeconfig: pulumi.secret(MOCK_SECRETS.kubeconfig),
                clusterIdentifier: "picluster-control",
            });
        }, "pi-cluster");
        const declared = (run: ProgramRun) =>
            Object.fromEntries(run.resources.filter((r) => r.name.startsWith("platform")).map((r) => [`${r.type}::${r.name}`, { inputs: r.inputs, secretInputs: r.secretInputs, parent: r.parent }]));
        const inProgram = declared(pi);
        expect(Object.keys(inProgram).length).toBeGreaterThan(60);
        expect(declared(alone)).toEqual(inProgram);
    });

    it("its components carry their folder's type token, with their former one as an alias, so deployed stacks move without a replacement", () => {
        expect(pi.byName("platform").type).toBe(PLATFORM_TYPE);
        const components = pi.resources.filter((r) => r.type.startsWith("picluster:") && !r.type.startsWith("picluster:provisioning:"));
        expect(components.length).toBeGreaterThan(8);
        for (const r of components) {
            const kind = r.type.split(":")[2];
            expect({ name: r.name, type: r.type, aliases: r.opts.aliases?.map((a) => a.type) }).toEqual({ name: r.name, type: `picluster:components:${kind}`, aliases: [formerPlatformType(kind)] });
        }
    });
});
