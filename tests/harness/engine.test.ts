/**
 * The engine harness's own decisions: which commands get the dev stack's config
 * copy, what a regenerated stack file keeps, how preview steps and secret needles
 * are read. (The harness runs the real CLI in the e2e suite and `npm run preview`.)
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { engineArgs, previewSteps, secretNeedles, writeStackConfig } from "../../harness/engine";
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
