/**
 * The engine harness's own decisions: which commands get the dev stack's config
 * copy, what a regenerated stack file keeps, how preview steps and secret needles
 * are read, what a failed command's report shows. (The harness runs the real CLI in the e2e suite and `npm run preview`.)
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { engineArgs, failureReport, previewSteps, secretNeedles, succeeded, writeStackConfig } from "../../harness/engine";
import { readStackFile } from "../../config/stackFile";
import { scratchDir } from "../helpers/tmp";

const dev = { name: "dev", stateDir: "/state", passphrase: "p", configFile: "/copy.yaml" };

describe("engineArgs", () => {
    it.each([["up"], ["preview"], ["destroy"], ["refresh"], ["config"]])("gives `%s` the stack's config copy", (cmd) => {
        expect(engineArgs(dev, [cmd, "--yes"])).toEqual([cmd, "--yes", "--stack", "dev", "--config-file", "/copy.yaml", "--non-interactive"]);
    });

    it("leaves it off commands that do not read config, and off stacks that have none", () => {
        expect(engineArgs(dev, ["stack", "export"])).toEqual(["stack", "export", "--stack", "dev", "--non-interactive"]);
        expect(engineArgs({ ...dev, configFile: undefined }, ["up"])).toEqual(["up", "--stack", "dev", "--non-interactive"]);
    });
});

describe("writeStackConfig", () => {
    it("GIVEN a file with secrets set, WHEN it is regenerated with overrides, THEN the secrets and their salt stay and the overrides apply", () => {
        const file = path.join(scratchDir("stackfile"), "Pulumi.e2e.yaml");
        writeStackConfig(file, "dev", { "picluster:experiment": "uor-replicas-2" });
        const first = YAML.parse(fs.readFileSync(file, "utf8"));
        expect(first.encryptionsalt).toBeUndefined(); // left for `pulumi stack init`
        expect(first.config["picluster:experiment"]).toBe("uor-replicas-2");
        expect(first.config["picluster:nodes"]).toEqual(readStackFile("dev").config["picluster:nodes"]);
        // What `pulumi stack init` and `pulumi config set --secret` add:
        fs.writeFileSync(file, YAML.stringify({ config: { ...first.config, "picluster:sshPrivateKey": { secure: "v1:abc" } }, encryptionsalt: "v1:salt" }));
        writeStackConfig(file, "dev", { "picluster:network": undefined });
        const again = YAML.parse(fs.readFileSync(file, "utf8"));
        expect(again.encryptionsalt).toBe("v1:salt");
        expect(again.config["picluster:sshPrivateKey"]).toEqual({ secure: "v1:abc" });
        expect(again.config["picluster:experiment"]).toBe("baseline");
        expect(again.config).not.toHaveProperty("picluster:network");
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    });

    it("a new copy of the dev stack takes the tracked file's salt, so secrets set in it match the dev passphrase", () => {
        const file = path.join(scratchDir("stackfile"), "Pulumi.dev.yaml");
        writeStackConfig(file, "dev", {}, { saltFromBase: true });
        expect(YAML.parse(fs.readFileSync(file, "utf8")).encryptionsalt).toBe(readStackFile("dev").encryptionsalt);
        expect(readStackFile("dev").encryptionsalt).toMatch(/^v1:/);
    });
});

describe("previewSteps", () => {
    it("reads each step's operation, type, name, changed properties and changed paths", () => {
        const json = JSON.stringify({
            steps: [
                {
                    op: "update",
                    urn: "urn:pulumi:e2e::picluster::picluster:provisioning:IngressNode$command:remote:Command::ingress-dnsmasq",
                    diffs: ["create"],
                    detailedDiff: { create: { kind: "update" }, "triggers[0]": { kind: "update" } },
                },
                { op: "create", urn: "urn:pulumi:e2e::picluster::picluster:provisioning:AgentNode$command:remote:Command::worker-3-prereqs" },
                { op: "same", urn: "urn:pulumi:e2e::picluster::pulumi:pulumi:Stack::picluster-e2e" },
            ],
        });
        expect(previewSteps(json)).toEqual([
            { op: "update", urn: expect.any(String), type: "command:remote:Command", name: "ingress-dnsmasq", diffs: ["create"], paths: ["create", "triggers[0]"] },
            { op: "create", urn: expect.any(String), type: "command:remote:Command", name: "worker-3-prereqs", diffs: [], paths: [] },
            { op: "same", urn: expect.any(String), type: "pulumi:pulumi:Stack", name: "picluster-e2e", diffs: [], paths: [] },
        ]);
    });
});

describe("secretNeedles", () => {
    it("looks for each line of a private key but its armour, and for a one-line secret whole", () => {
        const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAMwAAAAtzc2gtZWQyNTUxOQAAACD\n-----END OPENSSH PRIVATE KEY-----\n";
        expect(secretNeedles(key)).toEqual(["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", "AAAAMwAAAAtzc2gtZWQyNTUxOQAAACD"]);
        expect(secretNeedles("tok")).toEqual(["tok"]);
    });
});

describe("failureReport", () => {
    // The shape of `pulumi up`'s output when a resource fails: the errors come in the
    // Diagnostics section, and the outputs (here 45 lines of them) after it.
    const outputs = Array.from({ length: 45 }, (_, i) => `        host-${i}: "10.0.0.${i}"`);
    const failedUp = [
        "Updating (e2e-platform):",
        " +  kubernetes:apps/v1:Deployment django-api creating (301s) error: timed out waiting for the condition",
        "",
        "Diagnostics:",
        "  kubernetes:apps/v1:Deployment (platform-django-api):",
        "    error: 1 error occurred:",
        "    \t* the Kubernetes API server reported that \"platform/django-api\" failed to fully initialize or become live: timed out",
        "",
        "  pulumi:pulumi:Stack (pi-cluster-e2e-platform):",
        "    error: update failed",
        "",
        "Outputs:",
        "    hostKeys: {",
        ...outputs,
        "    }",
        "",
        "Resources:",
        "    + 97 created",
        "    1 errored",
        "",
        "Duration: 6m5s",
    ].join("\n");

    it("shows the Diagnostics section, which a tail of the output would miss behind the outputs", () => {
        const report = failureReport({ stdout: failedUp, stderr: "" });
        expect(report).toMatch(/^Diagnostics:\n  kubernetes:apps\/v1:Deployment \(platform-django-api\):/);
        expect(report).toContain("failed to fully initialize or become live");
        expect(report).toContain("error: update failed");
        expect(report).not.toContain("Outputs:");
        expect(report).not.toContain("host-0");
    });

    it("adds the end of standard error, where an interrupt or a crash shows", () => {
        expect(failureReport({ stdout: failedUp, stderr: "error: update canceled\n" })).toMatch(/error: update failed\n--- stderr:\nerror: update canceled$/);
    });

    it("cuts a long section, saying how much it left out", () => {
        const long = ["Diagnostics:", ...Array.from({ length: 100 }, (_, i) => `    error ${i}`), "Outputs:"].join("\n");
        const report = failureReport({ stdout: long, stderr: "" }, 10).split("\n");
        expect(report).toHaveLength(11);
        expect(report.at(-1)).toBe("  … (91 more lines)");
    });

    it("without a Diagnostics section (the engine did not start), the output's last lines", () => {
        const out = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n");
        expect(failureReport({ stdout: out, stderr: "error: no stack named 'x' found" }, 3)).toBe("line 98\nline 99\nerror: no stack named 'x' found");
    });

    it("succeeded: {code: 0, output: \"\"} on success; the exit code and the report otherwise", () => {
        expect(succeeded({ code: 0, stdout: failedUp, stderr: "", ms: 1 })).toEqual({ code: 0, output: "" });
        expect(succeeded({ code: 255, stdout: failedUp, stderr: "", ms: 1 })).toEqual({ code: 255, output: failureReport({ stdout: failedUp, stderr: "" }) });
    });
});
