/**
 * What the dev and e2e stacks need from the simulated nodes (sim/): the config
 * that points a stack at them, and the K3s test fixture served where the dev
 * stack's download URLs point (the simulated "upstream" host, sim/upstream.sh).
 */
import * as fs from "fs";
import * as path from "path";
import { createHash } from "crypto";
import { ROOT, readStackFile } from "./engine";

export const SIM_DIR = path.join(ROOT, ".cache/sim");

/** The simulated nodes' SSH client key (sim/up.sh makes it): a secret of the dev stacks. */
export function simPrivateKey(): string {
    return fs.readFileSync(path.join(SIM_DIR, "ssh/id_ed25519"), "utf8");
}

/**
 * Plain config overrides that point the dev stack at the running simulated nodes:
 * the host keys sim/up.sh pinned, and dial limits long enough to ride out the
 * cgroup reboot (a Pi takes as long).
 */
export function simConfig(): Record<string, unknown> {
    return {
        "picluster:ssh": { user: "root", knownHostsFile: path.join(SIM_DIR, "known_hosts"), dialErrorLimit: 90, perDialTimeout: 5 },
    };
}

export function devK3sVersion(): string {
    return (readStackFile("dev").config["picluster:k3s"] as { version: string }).version;
}

/** Put the K3s fixture under the pinned version on the upstream's file server; returns its SHA-256. */
export function placeK3sFixtures(version = devK3sVersion()): string {
    const files = path.join(SIM_DIR, "upstream-files/k3s");
    const releases = path.join(files, "releases", version);
    const install = path.join(files, "install", version);
    fs.mkdirSync(releases, { recursive: true });
    fs.mkdirSync(install, { recursive: true });
    const binary = fs.readFileSync(path.join(__dirname, "fixtures/k3s"), "utf8").replace("@VERSION@", version);
    fs.writeFileSync(path.join(releases, "k3s"), binary, { mode: 0o755 });
    const sha = createHash("sha256").update(binary).digest("hex");
    fs.writeFileSync(path.join(releases, "sha256sum-amd64.txt"), `${sha}  k3s\n${"0".repeat(64)}  k3s-airgap-images-amd64.tar\n`);
    fs.copyFileSync(path.join(__dirname, "fixtures/install.sh"), path.join(install, "install.sh"));
    return sha;
}
