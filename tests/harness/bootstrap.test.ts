import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { ConfigError } from "../../config/validate";
import { authorizedKeysFor, operatorStack, parseBootstrapArgs, rawConfigFromCli, stateOutput, writeFirstBoot } from "../../harness/bootstrap";
import { UsageError } from "../../loadtest/runner/args";
import { ed25519KeyPair } from "../../lib/sshKeys";
import { renderFirstBoot } from "../../provisioning/firstBoot";
import { testSettings } from "../helpers/program";
import { scratchDir } from "../helpers/tmp";

const settings = () => testSettings("pi-cluster");

describe("parseBootstrapArgs", () => {
    it("reads the node, the target and the stack (dev by default)", () => {
        expect(parseBootstrapArgs(["--node", "worker-1", "--out", "seed"])).toEqual({ node: "worker-1", stack: "dev", out: "seed", boot: undefined });
        expect(parseBootstrapArgs(["--boot", "/media/bootfs", "--node", "control", "--stack", "pi-cluster"])).toMatchObject({ node: "control", boot: "/media/bootfs", stack: "pi-cluster" });
    });

    it.each([
        [["--out", "x"], "--node: expected a node name"],
        [["--node", "a"], "expected exactly one of --out DIR and --boot DIR"],
        [["--node", "a", "--out", "x", "--boot", "y"], "expected exactly one of --out DIR and --boot DIR"],
        [["--node", "--out", "x"], "--node: expected a value"],
        [["--node", "a", "--out", "x", "--force"], 'unknown argument "--force"'],
    ])("refuses %j", (argv, message) => {
        expect(() => parseBootstrapArgs(argv)).toThrow(UsageError);
        expect(() => parseBootstrapArgs(argv)).toThrow(message);
    });
});

describe("operatorStack", () => {
    it("takes a local backend and passphrase from the environment, or names what is missing", () => {
        expect(operatorStack("pi-cluster", { PULUMI_BACKEND_URL: "file:///srv/state", PULUMI_CONFIG_PASSPHRASE: "p" })).toEqual({ name: "pi-cluster", stateDir: "/srv/state", passphrase: "p" });
        expect(() => operatorStack("pi-cluster", { PULUMI_BACKEND_URL: "s3://bucket" })).toThrow('PULUMI_BACKEND_URL: expected the stack\'s local backend (file:///path), got "s3://bucket"');
        expect(() => operatorStack("pi-cluster", { PULUMI_BACKEND_URL: "file:///x" })).toThrow("PULUMI_CONFIG_PASSPHRASE: expected the stack's passphrase, got nothing");
    });
});

describe("rawConfigFromCli", () => {
    it("turns the CLI's config JSON into parser input, secrets marked", () => {
        const json = JSON.stringify({
            "picluster:nodes": { value: '[{"name":"a"}]', objectValue: [{ name: "a" }], secret: false },
            "picluster:experiment": { value: "baseline", secret: false },
            "picluster:wifiPassword": { value: "hunter22hunter", secret: true },
        });
        const raw = rawConfigFromCli(json);
        expect(raw.values).toEqual({ "picluster:nodes": [{ name: "a" }], "picluster:experiment": "baseline", "picluster:wifiPassword": "hunter22hunter" });
        expect([...raw.secretKeys]).toEqual(["picluster:wifiPassword"]);
    });
});

describe("stateOutput", () => {
    const urn = "urn:pulumi:s::picluster::picluster:provisioning:HostKeys$random:index/randomPassword:RandomPassword::host-keys-a";
    it("reads a secret output as stack export --show-secrets shows it, and a plain one", () => {
        const doc = {
            deployment: {
                resources: [
                    { urn, outputs: { result: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: '"c2VlZA=="' }, length: 32 } },
                ],
            },
        };
        expect(stateOutput(JSON.stringify(doc), urn, "result")).toBe("c2VlZA==");
        expect(stateOutput(JSON.stringify(doc), urn, "length")).toBe(32);
        expect(stateOutput(JSON.stringify(doc), `${urn}x`, "result")).toBeUndefined();
        expect(stateOutput(JSON.stringify({ deployment: {} }), urn, "result")).toBeUndefined();
    });
});

describe("authorizedKeysFor", () => {
    it("accepts the provisioning key's public half first, then the extra keys, once each", () => {
        const file = path.join(scratchDir("op"), "id");
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "op", "-f", file]);
        const own = fs.readFileSync(`${file}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
        const extra = `${ed25519KeyPair(Buffer.alloc(32, 8)).publicLine} laptop`;
        const s = { bootstrap: { authorizedKeys: [`${own} duplicate`, extra] } };
        expect(authorizedKeysFor(s, fs.readFileSync(file, "utf8"))).toEqual([own, extra]);
    });

    it("refuses a provisioning key it cannot read a public half from, naming the key and not showing it", () => {
        const secret = "-----BEGIN RSA PRIVATE KEY-----\nMIIsecretbits\n-----END RSA PRIVATE KEY-----";
        let err: unknown;
        try {
            authorizedKeysFor({ bootstrap: { authorizedKeys: [] } }, secret);
        } catch (e) {
            err = e;
        }
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as Error).message).toContain("picluster:sshPrivateKey: expected an OpenSSH private key");
        expect((err as Error).message).not.toContain("MIIsecretbits");
    });
});

describe("writeFirstBoot", () => {
    const s = settings();
    const fb = (node = s.server) => ({
        node,
        settings: s,
        files: renderFirstBoot({ node, settings: s, hostKey: ed25519KeyPair(Buffer.alloc(32, 4)), authorizedKeys: [ed25519KeyPair(Buffer.alloc(32, 5)).publicLine], wifiPassword: "passphrase-1" }),
    });

    it("writes the three files 0600 into a new directory, and over existing files", () => {
        const out = path.join(scratchDir("out"), "seed");
        fs.mkdirSync(out);
        fs.writeFileSync(path.join(out, "user-data"), "old", { mode: 0o644 });
        const written = writeFirstBoot(fb(), { out });
        expect(written.map((f) => path.basename(f)).sort()).toEqual(["meta-data", "network-config", "user-data"]);
        for (const f of written) expect((fs.statSync(f).mode & 0o777).toString(8)).toBe("600");
        expect(fs.readFileSync(path.join(out, "user-data"), "utf8")).toBe(fb().files["user-data"]);
    });

    it("on a boot partition, also adds the cgroup flags to cmdline.txt (not on the ingress)", () => {
        for (const node of [s.server, s.ingress]) {
            const boot = scratchDir("bootfs");
            const line = "console=serial0,115200 root=PARTUUID=abcd-02 rootwait";
            fs.writeFileSync(path.join(boot, "cmdline.txt"), `${line}\n`);
            writeFirstBoot(fb(node), { boot });
            const expected = node.role === "ingress" ? `${line}\n` : `${line} cgroup_memory=1 cgroup_enable=memory\n`;
            expect(fs.readFileSync(path.join(boot, "cmdline.txt"), "utf8")).toBe(expected);
        }
    });

    it("refuses a --boot directory that is no boot partition, writing nothing", () => {
        const dir = scratchDir("notboot");
        expect(() => writeFirstBoot(fb(), { boot: dir })).toThrow(/--boot: expected a mounted Raspberry Pi OS boot partition \(with cmdline.txt\)/);
        expect(fs.readdirSync(dir)).toEqual([]);
    });
});
