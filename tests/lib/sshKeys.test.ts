import * as fs from "fs";
import * as path from "path";
import { execFileSync, spawnSync } from "child_process";
import { createPrivateKey, createPublicKey, sign, verify } from "crypto";
import { ed25519KeyPair, ed25519PublicFromSeed, fingerprint, parsePublicKey, publicLineOfPrivateKey } from "../../lib/sshKeys";
import { scratchDir } from "../helpers/tmp";

const seed = (byte: number) => Buffer.alloc(32, byte);

/** Write a private key file as sshd would hold it (0600), and return its path. */
function keyFile(privateKey: string): string {
    const file = path.join(scratchDir("key"), "ssh_host_ed25519_key");
    fs.writeFileSync(file, privateKey, { mode: 0o600 });
    return file;
}

describe("ed25519KeyPair", () => {
    it("writes a private key that ssh-keygen reads, and derives the same public line from it", () => {
        const pair = ed25519KeyPair(seed(7), "root@worker-1");
        const derived = execFileSync("ssh-keygen", ["-y", "-f", keyFile(pair.privateKey)], { encoding: "utf8" }).trim();
        expect(derived.split(" ").slice(0, 2).join(" ")).toBe(pair.publicLine);
    });

    it("gives the fingerprint ssh-keygen -l computes", () => {
        const pair = ed25519KeyPair(seed(9));
        const listed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", keyFile(pair.privateKey)], { encoding: "utf8" });
        expect(listed.split(" ")[1]).toBe(fingerprint(pair.publicLine));
        expect(listed).toMatch(/^256 SHA256:\S+ .*\(ED25519\)\n$/);
    });

    it("is the key pair of the seed: a signature made with the seed verifies with the public line", () => {
        const s = seed(3);
        const priv = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), s]), format: "der", type: "pkcs8" });
        const signature = sign(null, Buffer.from("host"), priv);
        const raw = ed25519PublicFromSeed(s);
        const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]);
        expect(verify(null, Buffer.from("host"), createPublicKey({ key: spki, format: "der", type: "spki" }), signature)).toBe(true);
        // The line's blob carries exactly those 32 bytes.
        expect(Buffer.from(ed25519KeyPair(s).publicLine.split(" ")[1], "base64").subarray(-32)).toEqual(raw);
    });

    it("is deterministic per seed and differs between seeds", () => {
        expect(ed25519KeyPair(seed(1))).toEqual(ed25519KeyPair(seed(1)));
        expect(ed25519KeyPair(seed(1)).publicLine).not.toBe(ed25519KeyPair(seed(2)).publicLine);
    });

    it("refuses a seed that is not 32 bytes", () => {
        expect(() => ed25519KeyPair(Buffer.alloc(31))).toThrow("ed25519 seed: expected 32 bytes, got 31");
    });

    it("matches what ssh-keygen itself makes, byte for byte apart from the check integers", () => {
        // GIVEN a key ssh-keygen generated, WHEN its seed goes through ed25519KeyPair,
        // THEN the public line is the same (the seed is the first half of OpenSSH's private key).
        const dir = scratchDir("keygen");
        const file = path.join(dir, "k");
        const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file]);
        expect(r.status).toBe(0);
        const body = Buffer.from(fs.readFileSync(file, "utf8").split("\n").slice(1, -2).join(""), "base64");
        // The 64-byte private key (seed || public) sits right before the empty comment and padding.
        const idx = body.lastIndexOf(Buffer.concat([Buffer.from([0, 0, 0, 64])]));
        const theirSeed = body.subarray(idx + 4, idx + 36);
        expect(ed25519KeyPair(theirSeed).publicLine).toBe(fs.readFileSync(`${file}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" "));
    });
});

describe("parsePublicKey", () => {
    const good = ed25519KeyPair(seed(5)).publicLine;

    it("accepts a key ssh-keygen made, with its comment", () => {
        expect(parsePublicKey(`${good} operator@laptop`)).toEqual({ type: "ssh-ed25519", blob: good.split(" ")[1], comment: "operator@laptop" });
    });

    it.each([
        ["no blob", "ssh-ed25519", "not of the form"],
        ["an unknown type", `ssh-dss ${good.split(" ")[1]}`, "key type ssh-dss is not one of"],
        ["a truncated blob", `ssh-ed25519 ${good.split(" ")[1].slice(0, 40)}`, "exactly one 32-byte key"],
        ["broken base64", `ssh-ed25519 ${good.split(" ")[1].slice(0, 41)}`, "not valid base64"],
        ["a blob of another type", `ssh-rsa ${good.split(" ")[1]}`, "does not start with its type ssh-rsa"],
        ["a short ed25519 key", `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 3, 1, 2, 3])]).toString("base64")}`, "exactly one 32-byte key"],
    ])("refuses %s", (_, line, reason) => {
        const parsed = parsePublicKey(line);
        expect("error" in parsed && parsed.error).toContain(reason);
    });
});

describe("publicLineOfPrivateKey", () => {
    it("reads the public half of a key ssh-keygen made, passphrase or not", () => {
        for (const passphrase of ["", "correct horse"]) {
            const file = path.join(scratchDir("own"), "id");
            execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "op", "-f", file]);
            const pub = fs.readFileSync(`${file}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
            expect(publicLineOfPrivateKey(fs.readFileSync(file, "utf8"))).toBe(pub);
        }
    });

    it("reads the public half of the files ed25519KeyPair writes", () => {
        const pair = ed25519KeyPair(seed(11));
        expect(publicLineOfPrivateKey(pair.privateKey)).toBe(pair.publicLine);
    });

    it.each([
        ["a PEM key", "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n", "not an OpenSSH private key"],
        ["a truncated key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----\n", "truncated"],
    ])("refuses %s with a reason", (_, text, reason) => {
        const r = publicLineOfPrivateKey(text);
        expect(typeof r === "object" && r.error).toContain(reason);
    });
});
