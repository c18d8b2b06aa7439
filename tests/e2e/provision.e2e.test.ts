/**
 * End to end: `pulumi up` of the dev stack's provisioning with the real engine
 * (the CLI, the language host and the command plugin built by scripts/tools.sh)
 * against the simulated nodes (sim/), checked from outside the nodes.
 *
 * The suite runs its own stack, `e2e`, on its own backend (.cache/e2e/state), so
 * the user's dev stack state is never touched.
 */
import * as fs from "fs";
import * as path from "path";
import { execFileSync, spawnSync } from "child_process";
import * as YAML from "yaml";
import { StackSettings } from "../../config/schema";
import {
    renderAirgapUnit,
    renderArtifactUnit,
    renderK3sConfig,
    renderMirrorUnit,
    renderRegistriesYaml,
    renderTimesyncdConf,
} from "../../provisioning/render";
import { EngineResult, EngineStack, previewSteps, pulumi, pulumiOk, ROOT, secretNeedles, succeeded, writeStackConfig } from "../../harness/engine";
import { readStackFile } from "../../config/stackFile";
import { devK3sVersion, freshStackOnBareNodes, loginsDuring, mustOnNode, onNode, simConfig, simDown, simPrivateKey } from "../../harness/sim";
import { platformEnabled } from "../../harness/stacks";
import { testSettings } from "../helpers/program";
import { scratchDir } from "../helpers/tmp";

const K3S_VERSION = devK3sVersion();
const NODES = ["ingress", "control", "worker-1", "worker-2"];

const E2E: EngineStack = { name: "e2e", stateDir: path.join(ROOT, ".cache/e2e/state"), passphrase: "picluster-e2e" };
const STACK_FILE = path.join(ROOT, "Pulumi.e2e.yaml");
const SECRETS = { "picluster:oauthClientSecret": "e2e-oauth-client-secret-31f7" };

let settings: StackSettings;
let first: EngineResult;
let fixtureSha: string;

/** The nodes and K3s only: the platform on the local control plane has its own suite (platform.e2e.test.ts). */
const PROVISION_ONLY = platformEnabled("dev", false);

/** Write the e2e stack's config: the dev stack's file, pointed at the simulated nodes, plus `overrides`. */
function configure(overrides: Record<string, unknown> = {}): void {
    writeStackConfig(STACK_FILE, "dev", { ...simConfig(), ...PROVISION_ONLY, ...overrides });
}

function log(name: string, r: EngineResult): void {
    const file = path.join(ROOT, ".cache/e2e", `${name}.log`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${r.stdout}\n${r.stderr}`, { mode: 0o600 });
}

beforeAll(async () => {
    // Bare nodes every time: the first run must start from what a fresh Pi has, and so must the stack.
    fixtureSha = await freshStackOnBareNodes(E2E, STACK_FILE, SECRETS, PROVISION_ONLY);
    settings = testSettings("dev", { ...simConfig(), ...PROVISION_ONLY });
    first = await pulumi(E2E, ["up", "--yes", "--skip-preview"], { timeoutMs: 20 * 60_000 });
    log("first-up", first);
    process.stdout.write(`pulumi up -s e2e (first, bare nodes): exit ${first.code} in ${(first.ms / 1000).toFixed(1)} s\n`);
}, 1_800_000);

afterAll(() => {
    // Leave nothing running; the cached base root filesystem stays for the next run.
    simDown();
}, 300_000);

describe("provisioning the simulated nodes", () => {
    it("pulumi up provisions every node without error", () => {
        expect(succeeded(first)).toEqual({ code: 0, output: "" });
        expect(first.stdout).toMatch(/Resources:\n\s+\+ \d+ created/);
    });

    it("makes every node but the ingress follow the ingress's NTP server, which answers", () => {
        for (const node of ["control", "worker-1", "worker-2"]) {
            expect(mustOnNode(node, "cat /etc/systemd/timesyncd.conf.d/picluster.conf")).toBe(`${renderTimesyncdConf(settings.ingress)}\n`);
            expect(mustOnNode(node, "systemctl is-active systemd-timesyncd").trim()).toBe("active");
            // The server timesyncd actually talks to (bounded wait for its first exchange).
            const source = mustOnNode(node, "for i in $(seq 30); do a=$(timedatectl show-timesync -p ServerAddress --value); [ -n \"$a\" ] && break; sleep 1; done; echo \"$a\"");
            expect(source.trim()).toBe(settings.ingress.ip);
        }
        // Asked from an airgapped node: the ingress's ntpsec answers (in orphan mode, offline).
        const answer = onNode("worker-1", "timeout 20 sh -c 'until ntpdig -t 2 172.30.100.101; do sleep 1; done'");
        expect(answer.status).toBe(0);
        expect(answer.stdout).toMatch(/172\.30\.100\.101/);
    });

    it("keeps agents off the internet segment while the ingress and the server reach it", () => {
        const reach = (node: string) => onNode(node, "curl -s -m 3 -o /dev/null -w '%{http_code}' http://172.30.200.2:8080/").stdout;
        expect(reach("ingress")).toBe("200");
        expect(reach("control")).toBe("200");
        for (const node of ["worker-1", "worker-2"]) {
            expect(reach(node)).not.toBe("200");
            expect(mustOnNode(node, "nft list table inet picluster_airgap")).toContain("policy drop");
        }
    });

    it("writes the registries.yaml and K3s config the program rendered", () => {
        for (const node of [settings.server, ...settings.agents]) {
            expect(mustOnNode(node.name, "cat /etc/rancher/k3s/registries.yaml")).toBe(`${renderRegistriesYaml(settings.ingress, settings.mirror.upstreams)}\n`);
            expect(mustOnNode(node.name, "cat /etc/rancher/k3s/config.yaml")).toBe(`${renderK3sConfig(settings, node)}\n`);
            expect(mustOnNode(node.name, "stat -c %a /etc/rancher/k3s/config.yaml").trim()).toBe("600");
        }
        expect(YAML.parse(mustOnNode("worker-1", "cat /etc/rancher/k3s/config.yaml")).server).toBe("https://172.30.100.121:6443");
    });

    it("installs the service units the program rendered", () => {
        expect(mustOnNode("ingress", "cat /etc/systemd/system/picluster-mirror@.service")).toBe(`${renderMirrorUnit()}\n`);
        expect(mustOnNode("ingress", "cat /etc/systemd/system/picluster-artifacts.service")).toBe(`${renderArtifactUnit(settings.ingress, settings.k3s)}\n`);
        for (const node of ["worker-1", "worker-2"]) {
            expect(mustOnNode(node, "cat /etc/systemd/system/picluster-airgap.service")).toBe(`${renderAirgapUnit()}\n`);
        }
        expect(mustOnNode("ingress", "systemctl is-active picluster-mirror@docker.io picluster-mirror@ghcr.io picluster-mirror@quay.io picluster-mirror@registry.k8s.io picluster-artifacts dnsmasq ntpsec").trim().split("\n")).toEqual(
            Array(7).fill("active"),
        );
    });

    it("delivers the pinned K3s to the airgapped agents from the ingress, verified, as a running service", () => {
        // The agents cannot reach the fixture upstream (see above), so their copy came from the ingress.
        // Agents join with the server's token (kept in the service env file, 0600, never in config.yaml).
        const serverToken = mustOnNode("control", "cat /etc/systemd/system/k3s.service.env");
        expect(serverToken).toMatch(/^K3S_TOKEN=\S+$/m);
        for (const node of ["worker-1", "worker-2"]) {
            expect(mustOnNode(node, "sha256sum /usr/local/bin/k3s").split(" ")[0]).toBe(fixtureSha);
            expect(mustOnNode(node, "systemctl is-active k3s-agent").trim()).toBe("active");
            expect(mustOnNode(node, "cat /etc/systemd/system/k3s-agent.service.env")).toBe(serverToken);
            expect(mustOnNode(node, "stat -c %a /etc/systemd/system/k3s-agent.service.env").trim()).toBe("600");
        }
        expect(mustOnNode("control", "systemctl is-active k3s").trim()).toBe("active");
        expect(mustOnNode("ingress", `sha256sum /srv/picluster/k3s/${K3S_VERSION}/k3s`).split(" ")[0]).toBe(fixtureSha);
    });

    it("reads the kubeconfig back as a secret output, rewritten to the server's LAN address", async () => {
        const shown = await pulumiOk(E2E, ["stack", "output", "kubeconfig", "--show-secrets"]);
        expect(YAML.parse(shown.stdout).clusters[0].cluster.server).toBe("https://172.30.100.121:6443");
        expect((await pulumiOk(E2E, ["stack", "output", "kubeconfig"])).stdout.trim()).toBe("[secret]");
    });

    it("keeps every secret out of the state: the SSH key, the K3s token and the kubeconfig's key", async () => {
        const exported = (await pulumiOk(E2E, ["stack", "export"])).stdout;
        const token = mustOnNode("control", "cat /etc/systemd/system/k3s.service.env").match(/^K3S_TOKEN=(\S+)$/m)![1];
        const kubeconfig = YAML.parse((await pulumiOk(E2E, ["stack", "output", "kubeconfig", "--show-secrets"])).stdout);
        const secrets: Record<string, string> = {
            sshPrivateKey: simPrivateKey(),
            ...SECRETS,
            k3sToken: token,
            kubeconfigClientKey: kubeconfig.users[0].user["client-key-data"] ?? kubeconfig.users[0].user.token,
        };
        const leaks = Object.entries(secrets).filter(([, v]) => secretNeedles(v).some((n) => exported.includes(n)));
        expect(leaks.map(([k]) => k)).toEqual([]);
        expect(exported).toContain('"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"'); // ciphertexts are there
    });

    it("changes nothing when run a second time: same files, no service restarted", async () => {
        const managed = [
            "/etc/dnsmasq.d/picluster.conf",
            "/etc/ntpsec/ntp.conf",
            "/etc/picluster/mirror/docker.io.yml",
            "/etc/systemd/timesyncd.conf.d/picluster.conf",
            "/etc/rancher/k3s/registries.yaml",
            "/etc/rancher/k3s/config.yaml",
            "/etc/picluster/airgap.nft",
        ].join(" ");
        const services = "dnsmasq ntpsec picluster-mirror@docker.io picluster-artifacts systemd-timesyncd k3s k3s-agent picluster-airgap";
        const snapshot = () =>
            Object.fromEntries(
                ["ingress", "control", "worker-1", "worker-2"].map((n) => [
                    n,
                    mustOnNode(n, `sha256sum ${managed} 2>/dev/null || true; for s in ${services}; do echo "$s $(systemctl show -p InvocationID --value $s 2>/dev/null)"; done`),
                ]),
            );
        const before = snapshot();
        const { result: again, logins } = await loginsDuring(() => pulumi(E2E, ["up", "--yes", "--skip-preview", "--expect-no-changes"], { timeoutMs: 10 * 60_000 }), NODES);
        log("second-up", again);
        expect(succeeded(again)).toEqual({ code: 0, output: "" });
        expect(again.stdout).not.toMatch(/[~+-] \d+ (updated|created|deleted|replaced)/);
        // From outside: no node's sshd accepted a single login during the second up, so no step ran.
        expect(logins).toEqual(Object.fromEntries(NODES.map((n) => [n, 0])));
        expect(snapshot()).toEqual(before);
    }, 900_000);

    it("counts logins (the no-op check above can fail): a step run in the window is seen", async () => {
        const { logins: counted } = await loginsDuring(async () => mustOnNode("worker-2", "true"), NODES);
        expect(counted["worker-2"]).toBeGreaterThanOrEqual(1);
        expect(counted.ingress).toBeGreaterThanOrEqual(1); // the jump host sees the hop too
    });
});

describe("the registry mirror on the ingress", () => {
    const image = "picluster/e2e:1";
    const pullFromAgent = () => {
        const out = path.join(scratchDir("pull"), "image");
        return spawnSync("ip", ["netns", "exec", "pcl-worker-1", "skopeo", "copy", "--retry-times=0", "--src-tls-verify=false", `docker://172.30.100.101:5000/${image}`, `dir:${out}`], {
            encoding: "utf8",
            timeout: 120_000,
        });
    };
    let layer: string;

    beforeAll(() => {
        const oci = scratchDir("oci");
        layer = makeOciImage(oci);
        execFileSync("bash", [path.join(ROOT, "sim/upstream.sh"), "start"], { stdio: "inherit" });
        execFileSync("skopeo", ["copy", "--dest-tls-verify=false", `oci:${oci}:1`, `docker://172.30.200.2:5000/${image}`], { stdio: "pipe" });
    });

    afterAll(() => {
        execFileSync("bash", [path.join(ROOT, "sim/upstream.sh"), "start"], { stdio: "inherit" });
    });

    it("serves an upstream image to an airgapped agent, and from its cache when the upstream is down", () => {
        const first = pullFromAgent();
        expect(first.status).toBe(0);
        execFileSync("bash", [path.join(ROOT, "sim/upstream.sh"), "stop"], { stdio: "inherit" });
        const cached = pullFromAgent();
        expect(cached.stderr).toBe("");
        expect(cached.status).toBe(0);
    });

    it("a corrupted cached blob is detected, removed by the blob check, and fetched again", () => {
        const data = `/var/lib/picluster/mirror/docker.io/docker/registry/v2/blobs/sha256/${layer.slice(0, 2)}/${layer}/data`;
        mustOnNode("ingress", `python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[20]^=0xff; open(p,"wb").write(bytes(b))' ${data}`);
        const corrupt = pullFromAgent();
        expect(corrupt.status).not.toBe(0);
        expect(corrupt.stderr).toMatch(/[Dd]igest did not match/);
        // The hourly check, run now: it removes the blob; with the upstream back, the next pull re-fetches it.
        mustOnNode("ingress", "systemctl start picluster-mirror-verify.service");
        expect(mustOnNode("ingress", "journalctl -u picluster-mirror-verify --no-pager")).toContain(`removed corrupted blob sha256:${layer}`);
        execFileSync("bash", [path.join(ROOT, "sim/upstream.sh"), "start"], { stdio: "inherit" });
        // The mirror instance restarts after the check; give it (and the upstream) a bounded moment.
        let refetched = pullFromAgent();
        for (let i = 0; i < 15 && refetched.status !== 0; i++) {
            execFileSync("sleep", ["2"]);
            refetched = pullFromAgent();
        }
        expect(refetched.stderr).toBe("");
        expect(refetched.status).toBe(0);
        expect(mustOnNode("ingress", `sha256sum ${data}`).split(" ")[0]).toBe(layer);
    });
});

/** A one-layer OCI image layout in `dir` (tag 1); returns the layer's digest (hex). */
function makeOciImage(dir: string): string {
    const sha = (b: Buffer | string) => require("crypto").createHash("sha256").update(b).digest("hex") as string;
    const src = scratchDir("layer");
    fs.writeFileSync(path.join(src, "hello.txt"), "hello from the picluster e2e suite\n");
    execFileSync("tar", ["-C", src, "-cf", path.join(src, "layer.tar"), "hello.txt"]);
    const raw = fs.readFileSync(path.join(src, "layer.tar"));
    const gz = require("zlib").gzipSync(raw) as Buffer;
    fs.mkdirSync(path.join(dir, "blobs/sha256"), { recursive: true });
    const put = (b: Buffer) => {
        const h = sha(b);
        fs.writeFileSync(path.join(dir, "blobs/sha256", h), b);
        return h;
    };
    const layer = put(gz);
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [`sha256:${sha(raw)}`] }, config: {} }));
    const cfg = put(config);
    const manifest = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${cfg}`, size: config.length },
            layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: `sha256:${layer}`, size: gz.length }],
        }),
    );
    const m = put(manifest);
    fs.writeFileSync(
        path.join(dir, "index.json"),
        JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${m}`, size: manifest.length, annotations: { "org.opencontainers.image.ref.name": "1" } }] }),
    );
    fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    return layer;
}

describe("the airgap", () => {
    it("holds while its unit is reloaded and restarted, and K3s requires it", () => {
        const blocked = () => onNode("worker-1", "curl -s -m 3 -o /dev/null -w '%{http_code}' http://172.30.200.2:8080/").stdout !== "200";
        expect(mustOnNode("worker-1", "systemctl show -p Requires --value k3s-agent")).toContain("picluster-airgap.service");
        mustOnNode("worker-1", "systemctl reload picluster-airgap");
        expect(blocked()).toBe(true);
        // A restart stops the unit first: the rules must survive that (no ExecStop), and K3s restarts with it.
        mustOnNode("worker-1", "systemctl restart picluster-airgap && nft list table inet picluster_airgap >/dev/null");
        expect(blocked()).toBe(true);
        expect(mustOnNode("worker-1", "systemctl is-active picluster-airgap k3s-agent").trim().split("\n")).toEqual(["active", "active"]);
    });
});

describe("a K3s config change whose first attempt fails", () => {
    let failed: EngineResult;
    let retried: EngineResult;
    let before: string;

    beforeAll(async () => {
        before = mustOnNode("worker-2", "systemctl show -p InvocationID --value k3s-agent").trim();
        // The ingress stops serving the artifacts: worker-2's step writes its new config, then cannot download.
        mustOnNode("ingress", "systemctl stop picluster-artifacts");
        const nodes = (readStackFile("dev").config["picluster:nodes"] as Record<string, unknown>[]).map((n) => (n.name === "worker-2" ? { ...n, labels: { "picluster.io/pool": "fs" } } : n));
        configure({ "picluster:nodes": nodes });
        failed = await pulumi(E2E, ["up", "--yes", "--skip-preview"], { timeoutMs: 10 * 60_000 });
        log("k3s-change-failed", failed);
        mustOnNode("ingress", "systemctl start picluster-artifacts");
        retried = await pulumi(E2E, ["up", "--yes", "--skip-preview"], { timeoutMs: 10 * 60_000 });
        log("k3s-change-retried", retried);
    }, 1_200_000);

    afterAll(async () => {
        configure();
        log("k3s-change-reverted", await pulumi(E2E, ["up", "--yes", "--skip-preview"], { timeoutMs: 10 * 60_000 }));
    }, 900_000);

    it("fails the first time, naming the download", () => {
        expect(failed.code).not.toBe(0);
        expect(`${failed.stdout}\n${failed.stderr}`).toMatch(/worker-2-k3s-upgrade[\s\S]*cannot fetch http:\/\/172\.30\.100\.101:\d+\/\S+ from the ingress/);
    });

    it("re-runs on the next up and restarts K3s with the new config, though the file was already written", () => {
        expect(succeeded(retried)).toEqual({ code: 0, output: "" });
        expect(retried.stdout).toMatch(/worker-2-k3s-upgrade\s+updated/);
        expect(mustOnNode("worker-2", "cat /etc/rancher/k3s/config.yaml")).toContain("picluster.io/pool=fs");
        expect(mustOnNode("worker-2", "systemctl show -p InvocationID --value k3s-agent").trim()).not.toBe(before);
    });
});

describe("a node added to the config", () => {
    // worker-3 is in the config but has no simulated machine: it is also the unreachable node.
    const worker3 = { name: "worker-3", role: "agent", mac: "02:50:69:64:00:7c", ip: "172.30.100.124", internet: false };
    let changes: ReturnType<typeof previewSteps>;
    let grown: EngineResult;

    beforeAll(async () => {
        // Its host key, pinned inline as a real board's would be (no machine will ever present it).
        const keyFile = path.join(scratchDir("worker-3"), "key");
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
        const hostKey = fs.readFileSync(`${keyFile}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
        const nodes = [...(readStackFile("dev").config["picluster:nodes"] as object[]), { ...worker3, hostKey }];
        // The SSH settings stay as they are: they are part of every step's connection.
        configure({ "picluster:nodes": nodes });
        const preview = await pulumi(E2E, ["preview", "--json"], { timeoutMs: 5 * 60_000 });
        log("add-node-preview", preview);
        if (preview.code !== 0) throw new Error(`pulumi preview -s e2e failed (exit ${preview.code}): ${preview.stderr.trim()}; see .cache/e2e/add-node-preview.log`);
        changes = previewSteps(preview.stdout).filter((st) => st.op !== "same");
        grown = await pulumi(E2E, ["up", "--yes", "--skip-preview"], { timeoutMs: 10 * 60_000 });
        log("add-node-up", grown);
    }, 900_000);

    it("the engine plans to re-run only the node-list step (dnsmasq) on the existing nodes, and to create the new node's steps", () => {
        const existing = changes.filter((st) => !st.name.startsWith("worker-3"));
        expect(existing.map((st) => [st.op, st.name])).toEqual([["update", "ingress-dnsmasq"]]);
        const added = changes.filter((st) => st.name.startsWith("worker-3"));
        expect(added.length).toBeGreaterThan(5);
        expect(added.filter((st) => st.op !== "create")).toEqual([]);
    });

    it("an unreachable node fails with an error naming it, within a bounded time, and the others finish", () => {
        expect(grown.code).not.toBe(0);
        const out = `${grown.stdout}\n${grown.stderr}`;
        expect(out).toMatch(/worker-3-prereqs/);
        expect(out).toMatch(/172\.30\.100\.124/);
        expect(out).toMatch(/ingress-dnsmasq\s+updated/);
        expect(out).not.toMatch(/worker-3-(?!prereqs)[a-z-]+\s+(created|creating failed)/);
        // 40 dials (ssh.dialErrorLimit), 3 to 8 s apart as the provider backs off, then the error.
        expect(out).toMatch(/after 40 failed attempts/);
        expect(grown.ms).toBeLessThan(480_000);
    });

    it("a fresh DHCP client with the node's MAC gets its static IP, and node names resolve through the ingress", () => {
        const ns = "pcl-e2e-dhcp";
        const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8", timeout: 60_000 });
        sh(`ip netns del ${ns} 2>/dev/null || true; ip link del pcl-e2e-v0 2>/dev/null || true
            ip netns add ${ns}
            ip link add pcl-e2e-v0 type veth peer name eth0 netns ${ns}
            ip link set pcl-e2e-v0 master pclan0 up
            ip -n ${ns} link set eth0 address ${worker3.mac} up
            ip -n ${ns} link set lo up`);
        try {
            const lease = sh(`ip netns exec ${ns} busybox udhcpc -i eth0 -n -q -f -t 5 -T 2 -s /bin/true 2>&1`);
            expect(lease).toContain(`lease of ${worker3.ip} obtained`);
            sh(`ip -n ${ns} addr add ${worker3.ip}/24 dev eth0`);
            for (const [name, ip] of [["worker-1", "172.30.100.122"], ["control", "172.30.100.121"], ["worker-3", worker3.ip]]) {
                expect(sh(`ip netns exec ${ns} dig +short +time=2 +tries=3 @172.30.100.101 ${name}.picluster.lan`).trim()).toBe(ip);
            }
        } finally {
            sh(`ip netns del ${ns}; ip link del pcl-e2e-v0 2>/dev/null || true`);
        }
    });
});

describe("pulumi destroy", () => {
    let destroyed: EngineResult;
    beforeAll(async () => {
        configure(); // back to the four nodes that exist
        destroyed = await pulumi(E2E, ["destroy", "--yes", "--skip-preview"], { timeoutMs: 15 * 60_000 });
        log("destroy", destroyed);
    }, 900_000);

    it("removes every step's changes from the nodes and empties the stack", async () => {
        expect(succeeded(destroyed)).toEqual({ code: 0, output: "" });
        const state = JSON.parse((await pulumiOk(E2E, ["stack", "export"])).stdout);
        expect((state.deployment.resources ?? []).filter((r: { type: string }) => r.type === "command:remote:Command")).toEqual([]);
        for (const node of ["worker-1", "worker-2"]) {
            expect(onNode(node, "systemctl is-active k3s-agent").stdout.trim()).not.toBe("active");
            expect(mustOnNode(node, "ls /etc/rancher/k3s 2>/dev/null || true").trim()).toBe("");
            expect(onNode(node, "nft list table inet picluster_airgap").status).not.toBe(0);
        }
        expect(onNode("control", "systemctl is-active k3s").stdout.trim()).not.toBe("active");
        expect(mustOnNode("ingress", "ls /etc/dnsmasq.d/picluster.conf 2>/dev/null || true").trim()).toBe("");
    });

    it("leaves the database's data directory on its node", () => {
        expect(mustOnNode(settings.database.node, `test -d ${settings.database.hostPath} && echo kept`).trim()).toBe("kept");
    });
});
