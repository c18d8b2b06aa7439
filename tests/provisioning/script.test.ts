import * as fs from "fs";
import * as path from "path";
import { scratchDir } from "../helpers/tmp";
import { execFileSync, spawnSync } from "child_process";
import { remoteCommand, renderScript, SCRIPTS_DIR } from "../../provisioning/script";

const STEP_SCRIPTS = fs
    .readdirSync(SCRIPTS_DIR)
    .filter((f) => f.endsWith(".sh") && f !== "lib.sh")
    .map((f) => f.replace(/\.sh$/, ""));

function tmpDir(): string {
    return scratchDir("script");
}

/** Run a command string the way sshd does: through the user's shell. */
function runAsSshWould(commandLine: string) {
    return spawnSync("sh", ["-c", commandLine], { encoding: "utf8" });
}

describe("renderScript", () => {
    it("puts the inputs first, inlines lib.sh, and drops the source line", () => {
        const { script } = renderScript("data-dir", { DATA_DIR: "/srv/data", DATA_UID: 999 });
        const lines = script.split("\n");
        expect(lines.slice(0, 5)).toEqual(["#!/usr/bin/env bash", "set -euo pipefail", "STEP='data-dir'", "DATA_DIR='/srv/data'", "DATA_UID='999'"]);
        expect(script).toContain("write_file() {");
        expect(script).not.toMatch(/^\. \.\/lib\.sh/m);
    });

    it("changes its hash when the script's input changes, and only then", () => {
        const a = renderScript("dnsmasq", { DNSMASQ_CONF: "x" });
        expect(renderScript("dnsmasq", { DNSMASQ_CONF: "x" }).hash).toBe(a.hash);
        expect(renderScript("dnsmasq", { DNSMASQ_CONF: "y" }).hash).not.toBe(a.hash);
        expect(remoteCommand(a, "pi")).toMatch(new RegExp(`^# picluster step sha256=${a.hash}\\n`));
    });

    it("uses sudo unless the SSH user is root", () => {
        const r = renderScript("online", {});
        expect(remoteCommand(r, "pi").split("\n")[1]).toMatch(/^sudo -n bash -c '/);
        expect(remoteCommand(r, "root").split("\n")[1]).toMatch(/^bash -c '/);
    });

    it("refuses a script that does not source lib.sh the inlinable way", () => {
        expect(() => renderScript("lib", {})).toThrow("must source lib.sh");
    });
});

describe("step scripts run for real", () => {
    it("data-dir creates the volume directory once, owned by postgres, and is a no-op the second time", () => {
        const dir = path.join(tmpDir(), "postgres");
        const cmd = remoteCommand(renderScript("data-dir", { DATA_DIR: dir, DATA_UID: 999 }), "root");
        const first = runAsSshWould(cmd);
        expect(first.status).toBe(0);
        expect(first.stderr).toContain(`[data-dir] created ${dir}`);
        expect(fs.statSync(dir).uid).toBe(999);
        const second = runAsSshWould(cmd);
        expect(second.status).toBe(0);
        expect(second.stderr).toBe("");
    });

    it("inputs with quotes, dollars and newlines reach the script intact", () => {
        const dir = path.join(tmpDir(), "it's $HOME\nand `more`");
        const result = runAsSshWould(remoteCommand(renderScript("data-dir", { DATA_DIR: dir, DATA_UID: 0 }), "root"));
        expect(result.status).toBe(0);
        expect(fs.existsSync(dir)).toBe(true);
    });

    it("a failing step exits non-zero with its name in the message", () => {
        const result = runAsSshWould(remoteCommand(renderScript("prereqs-remove", { CMDLINE_PATH: "/nonexistent/cmdline.txt" }), "root"));
        expect(result.status).toBe(0); // nothing to restore is not an error
        const bad = runAsSshWould(remoteCommand(renderScript("k3s", { K3S_ROLE: "both", K3S_VERSION: "v1", K3S_ASSET: "k3s", ARTIFACT_URL: "http://127.0.0.1:9", K3S_CONFIG: "", K3S_TOKEN: "t" }), "root"));
        expect(bad.status).not.toBe(0);
        expect(bad.stderr).toContain("[k3s] ERROR: K3S_ROLE must be server or agent, got 'both'");
    });
});

describe("mirror-verify.sh (the mirror's blob check)", () => {
    it("removes exactly the cached blobs whose content no longer matches their digest", () => {
        const root = scratchDir("mirror");
        const blob = (content: string, name = require("crypto").createHash("sha256").update(content).digest("hex")) => {
            const dir = path.join(root, "docker.io/docker/registry/v2/blobs/sha256", name.slice(0, 2), name);
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, "data"), content);
            return dir;
        };
        const good = blob("intact layer");
        const bad = blob("flipped bits", require("crypto").createHash("sha256").update("original bits").digest("hex"));
        const r = spawnSync("bash", [path.join(SCRIPTS_DIR, "../files/mirror-verify.sh"), root], { encoding: "utf8" });
        expect(r.status).toBe(0);
        expect(fs.existsSync(good)).toBe(true);
        expect(fs.existsSync(bad)).toBe(false);
        expect(r.stderr).toContain("mirror-verify: 1 corrupted blob(s) removed");
    });
});

describe("lib.sh", () => {
    const lib = path.join(SCRIPTS_DIR, "lib.sh");
    const bash = (body: string) => execFileSync("bash", ["-c", `. '${lib}'\n${body}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

    it("write_file reports a change once, then nothing, and keeps the exact content and mode", () => {
        const file = path.join(tmpDir(), "sub", "conf");
        const out = bash(`
            write_file '${file}' 0640 'a=1' && echo changed || echo same
            write_file '${file}' 0640 'a=1' && echo changed || echo same
            write_file '${file}' 0640 'a=2' && echo changed || echo same`);
        expect(out.trim().split("\n")).toEqual(["changed", "same", "changed"]);
        expect(fs.readFileSync(file, "utf8")).toBe("a=2\n");
        expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    });

    it("write_file stops the step when the write fails (file size limit), and leaves the old file in place", () => {
        const file = path.join(tmpDir(), "conf");
        fs.writeFileSync(file, "old=1\n");
        // GIVEN a limit of 1 KiB per file, WHEN a step writes 8 KiB inside an `if`, THEN it fails loudly.
        const r = spawnSync("bash", ["-c", `. '${lib}'\nulimit -f 1\nif write_file '${file}' 0644 "$(head -c 8192 /dev/zero | tr '\\0' a)"; then echo changed; fi\necho after`], { encoding: "utf8" });
        expect(r.status).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain(`could not write ${file} (disk full?); the old file is left as it was`);
        expect(fs.readFileSync(file, "utf8")).toBe("old=1\n");
        expect(fs.readdirSync(path.dirname(file))).toEqual(["conf"]); // no temporary file left behind
    });

    it("backup_once keeps the first original through later changes", () => {
        const file = path.join(tmpDir(), "cmdline.txt");
        fs.writeFileSync(file, "console=tty1\n");
        bash(`backup_once '${file}'; echo 'console=tty1 cgroup_memory=1' >'${file}'; backup_once '${file}'; echo 'console=tty1 cgroup_memory=1 swapaccount=1' >'${file}'`);
        expect(fs.readFileSync(`${file}.picluster-orig`, "utf8")).toBe("console=tty1\n");
    });

    it("wait_for gives up after its bound with a clear message", () => {
        expect(() => bash("wait_for 'the impossible' 1 false")).toThrow(/timed out after 1s waiting for the impossible/);
    });
});

/** Every shell script of the project: provisioning steps, project scripts, CI. */
function projectShellScripts(): string[] {
    const root = path.join(SCRIPTS_DIR, "../..");
    const tracked = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" })
        .split("\n")
        .filter((f) => f.endsWith(".sh") || f === ".ci/run");
    return tracked.filter((f) => fs.existsSync(path.join(root, f))).map((f) => path.join(root, f));
}

describe("shellcheck", () => {
    it("covers the provisioning steps, the project scripts and CI", () => {
        const files = projectShellScripts().map((f) => path.relative(path.join(SCRIPTS_DIR, "../.."), f));
        expect(files).toEqual(expect.arrayContaining(["provisioning/scripts/lib.sh", "provisioning/scripts/k3s.sh", "scripts/setup.sh", ".ci/run"]));
    });

    it.each(projectShellScripts().map((f) => [path.relative(path.join(SCRIPTS_DIR, "../.."), f), f]))("%s is clean", (_, file) => {
        const result = spawnSync("shellcheck", ["-x", "-P", "SCRIPTDIR", file], { encoding: "utf8" });
        expect(result.error).toBeUndefined();
        expect(result.stdout).toBe("");
        expect(result.status).toBe(0);
    });

    it.each(STEP_SCRIPTS)("%s as rendered (inputs + lib + step) is clean", (name) => {
        const vars = Object.fromEntries(
            (fs.readFileSync(path.join(SCRIPTS_DIR, `${name}.sh`), "utf8").match(/^# Inputs: (.*)$/m)?.[1] ?? "")
                .split(/\s+/)
                .filter((v) => /^[A-Z][A-Z0-9_]*$/.test(v) && v !== "STEP")
                .map((v) => [v, "value"]),
        );
        const secrets = (fs.readFileSync(path.join(SCRIPTS_DIR, `${name}.sh`), "utf8").match(/^# Secret inputs \(standard input\): (.*)$/m)?.[1] ?? "").split(/\s+/).filter(Boolean);
        const file = path.join(tmpDir(), `${name}.sh`);
        fs.writeFileSync(file, renderScript(name, vars, secrets).script);
        const result = spawnSync("shellcheck", [file], { encoding: "utf8" });
        expect(result.error).toBeUndefined();
        expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 0, stdout: "", stderr: "" });
    });

    it.each(["lib", ...STEP_SCRIPTS])("%s.sh never pipes into `grep -q` (under pipefail a SIGPIPE turns a match into a failure)", (name) => {
        const text = fs.readFileSync(path.join(SCRIPTS_DIR, `${name}.sh`), "utf8");
        expect(text.split("\n").filter((l) => /\|\s*grep\s+(-\w*q|--quiet)/.test(l))).toEqual([]);
    });

    it("catches a real problem (the check can fail)", () => {
        const file = path.join(tmpDir(), "bad.sh");
        fs.writeFileSync(file, "#!/usr/bin/env bash\nrm -rf $1/*\n");
        expect(spawnSync("shellcheck", [file]).status).not.toBe(0);
    });
});
