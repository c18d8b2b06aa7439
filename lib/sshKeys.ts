/**
 * SSH key formats, as pure functions over bytes: an ed25519 key pair from a
 * 32-byte seed (the program's generated host keys), its OpenSSH public line and
 * its unencrypted OpenSSH private key file (`openssh-key-v1`, the format sshd
 * and cloud-init's `ssh_keys` read), and a parser for OpenSSH public key lines.
 *
 * Node's crypto does the curve arithmetic; only the wire formats are here
 * (RFC 4253 section 6.6 strings, PROTOCOL.key in OpenSSH's source).
 */
import { createHash, createPrivateKey, createPublicKey } from "crypto";

/** PKCS#8 DER prefix of an ed25519 private key; the 32-byte seed follows (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export interface Ed25519KeyPair {
    /** `ssh-ed25519 AAAA...` (no comment): the form `nodes[].hostKey` pins. */
    readonly publicLine: string;
    /** The unencrypted OpenSSH private key file, ending in a newline. */
    readonly privateKey: string;
}

/** SSH wire string: uint32 length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    return Buffer.concat([len, bytes]);
}

function uint32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
}

/** The 32 raw bytes of the ed25519 public key for `seed`. */
export function ed25519PublicFromSeed(seed: Buffer): Buffer {
    if (seed.length !== 32) throw new Error(`ed25519 seed: expected 32 bytes, got ${seed.length}`);
    const priv = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(priv).export({ format: "der", type: "spki" });
    // SPKI DER of an ed25519 key is a fixed 12-byte header and the 32-byte key.
    return Buffer.from(spki.subarray(spki.length - 32));
}

/**
 * The OpenSSH key pair for an ed25519 seed. Deterministic: the same seed always
 * gives the same files (the check integers, random in ssh-keygen, are derived
 * from the seed), so re-running the bootstrap rewrites identical files.
 */
export function ed25519KeyPair(seed: Buffer, comment = ""): Ed25519KeyPair {
    const pub = ed25519PublicFromSeed(seed);
    const blob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
    const check = createHash("sha256").update("picluster-openssh-checkint").update(seed).digest().readUInt32BE(0);
    let secret = Buffer.concat([
        uint32(check),
        uint32(check),
        sshString("ssh-ed25519"),
        sshString(pub),
        // OpenSSH's ed25519 private key is the seed followed by the public key.
        sshString(Buffer.concat([seed, pub])),
        sshString(comment),
    ]);
    // Padding 1, 2, 3, ... to the cipher block size (8 for "none").
    const pad = (8 - (secret.length % 8)) % 8;
    secret = Buffer.concat([secret, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
    const body = Buffer.concat([
        Buffer.from("openssh-key-v1\0", "latin1"),
        sshString("none"),
        sshString("none"),
        sshString(""),
        uint32(1),
        sshString(blob),
        sshString(secret),
    ]);
    const b64 = body.toString("base64").match(/.{1,70}/g)!.join("\n");
    return {
        publicLine: `ssh-ed25519 ${blob.toString("base64")}`,
        privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`,
    };
}

/** Key types an OpenSSH public key line may have here. */
export const PUBLIC_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"] as const;

export interface ParsedPublicKey {
    readonly type: (typeof PUBLIC_KEY_TYPES)[number];
    /** The base64 key blob. */
    readonly blob: string;
    readonly comment: string;
}

/**
 * Parse an OpenSSH public key line (`TYPE BASE64 [comment]`). Returns a reason
 * when it does not parse: unknown type, bad base64, a blob whose own type name
 * differs from the line's, or an ed25519 key that is not 32 bytes.
 */
export function parsePublicKey(line: string): ParsedPublicKey | { readonly error: string } {
    const m = /^([a-z0-9-]+) ([A-Za-z0-9+/]+={0,2})(?: ([^\r\n]*))?$/.exec(line.trim());
    if (!m) return { error: "not of the form 'TYPE BASE64 [comment]'" };
    const [, type, blob, comment] = m;
    if (!(PUBLIC_KEY_TYPES as readonly string[]).includes(type)) return { error: `key type ${type} is not one of ${PUBLIC_KEY_TYPES.join(", ")}` };
    const bytes = Buffer.from(blob, "base64");
    if (bytes.toString("base64") !== blob) return { error: "the key is not valid base64" };
    const readString = (at: number): [Buffer, number] | undefined => {
        if (at + 4 > bytes.length) return undefined;
        const len = bytes.readUInt32BE(at);
        if (at + 4 + len > bytes.length) return undefined;
        return [bytes.subarray(at + 4, at + 4 + len), at + 4 + len];
    };
    const first = readString(0);
    if (!first || first[0].toString("latin1") !== type) return { error: `the key blob does not start with its type ${type}` };
    if (type === "ssh-ed25519") {
        const key = readString(first[1]);
        if (!key || key[0].length !== 32 || key[1] !== bytes.length) return { error: "an ed25519 key blob must hold exactly one 32-byte key" };
    }
    return { type: type as ParsedPublicKey["type"], blob, comment: comment ?? "" };
}

/** SHA256 fingerprint as `ssh-keygen -l` prints it (`SHA256:...`, no padding). */
export function fingerprint(publicLine: string): string {
    const blob = Buffer.from(publicLine.trim().split(/\s+/)[1] ?? "", "base64");
    return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/**
 * The public key line of an OpenSSH private key file (`openssh-key-v1`, what
 * ssh-keygen writes by default). The public half is stored unencrypted in that
 * format, so this works for passphrase-protected keys too. Returns a reason for
 * any other format (PEM RSA, PKCS#8, ...).
 */
export function publicLineOfPrivateKey(text: string): string | { readonly error: string } {
    const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
    if (!m) return { error: "not an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)" };
    const body = Buffer.from(m[1].replace(/\s+/g, ""), "base64");
    const magic = Buffer.from("openssh-key-v1\0", "latin1");
    if (!body.subarray(0, magic.length).equals(magic)) return { error: "not an openssh-key-v1 key" };
    let at = magic.length;
    const next = (): Buffer | undefined => {
        if (at + 4 > body.length) return undefined;
        const len = body.readUInt32BE(at);
        if (at + 4 + len > body.length) return undefined;
        const value = body.subarray(at + 4, at + 4 + len);
        at += 4 + len;
        return value;
    };
    // ciphername, kdfname, kdfoptions, then the key count and the first public blob.
    if (!next() || !next() || !next() || at + 4 > body.length) return { error: "a truncated openssh-key-v1 key" };
    at += 4;
    const blob = next();
    if (!blob || blob.length < 4) return { error: "a truncated openssh-key-v1 key" };
    const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString("latin1");
    const line = `${type} ${blob.toString("base64")}`;
    const parsed = parsePublicKey(line);
    return "error" in parsed ? parsed : line;
}
