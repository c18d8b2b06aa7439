/**
 * End to end: the program's own provisioning, run for real against the
 * simulated nodes (sim/), checked from outside the nodes.
 */
import * as fs from "fs";
import * as path from "path";
import { execFileSync, spawnSync } from "child_process";
import * as YAML from "yaml";
import { parseStackConfig, StackSettings } from "../../config";
import {
    renderAirgapUnit,
    renderArtifactUnit,
    renderK3sConfig,
    renderMirrorUnit,
    renderRegistriesYaml,
    renderTimesyncdConf,
} from "../../provisioning/render";
import { ProgramRun, ROOT, runProgram, stackConfig, testConfig } from "../helpers/program";
import { scratchDir } from "../helpers/tmp";
import { devK3sVersion, placeK3sFixtures, simOverrides } from "./fixtures/place";
import { provision, ProvisionReport, sshArgs, writeLog } from "./runner";

const K3S_VERSION = devK3sVersion();




let run: ProgramRun;
let settings: StackSettings;
let report: ProvisionReport;
let fixtureSha: string;

function connectionOf(node: string) {
    return run.byName(`${node}-online`).inputs.connection;
}

/** Run a command on a node the way provisioning reaches it (jump host, pinned keys). */
function onNode(node: string, command: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("ssh", [...sshArgs(connectionOf(node), scratchDir("check")), "--", command], { encoding: "utf8", timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function mustOnNode(node: string, command: string): string {
    const r = onNode(node, command);
    if (r.status !== 0) throw new Error(`${node}: '${command}' failed (${r.status}): ${r.stderr}`);
    return r.stdout;
}

beforeAll(async () => {
    // Bare nodes every time: the first run must start from what a fresh Pi has.
    execFileSync("bash", [path.join(ROOT, "sim/down.sh")], { stdio: "inherit", timeout: 300_000 });
    execFileSync("bash", [path.join(ROOT, "sim/up.sh")], { stdio: "inherit", timeout: 900_000 });
    fixtureSha = placeK3sFixtures();
    const { values, secretKeys } = testConfig("dev", simOverrides());
    settings = parseStackConfig({ values, secretKeys: new Set(secretKeys) });
    run = await runProgram("dev", simOverrides());
    report = await provision(run);
    writeLog(report, run, path.join(ROOT, ".cache/e2e/first-run.log"));
    const slowest = Math.max(...Object.values(report.perNodeMs));
    process.stdout.write(
        [
            "provisioning report:",
            `  wall time (all nodes in parallel): ${(report.wallMs / 1000).toFixed(1)} s`,
            ...Object.entries(report.perNodeMs).map(([n, ms]) => `  ${n}: ${(ms / 1000).toFixed(1)} s`),
            `  slowest single node: ${(slowest / 1000).toFixed(1)} s`,
            `  wall / slowest: ${(report.wallMs / slowest).toFixed(2)}`,
            "",
        ].join("\n"),
    );
}, 1_200_000);

afterAll(() => {
    // Leave nothing running; the cached base root filesystem stays for the next run.
    execFileSync("bash", [path.join(ROOT, "sim/down.sh")], { stdio: "inherit", timeout: 300_000 });
}, 300_000);

describe("provisioning the simulated nodes", () => {
    it("runs every step on every node without error", () => {
        expect(report.failed.map((f) => `${f.name}: ${f.error}`)).toEqual([]);
        expect(report.steps.filter((s) => s.status !== "ok")).toEqual([]);
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

    it("reads the kubeconfig back, rewritten to the server's LAN address", () => {
        const kubeconfig = report.steps.find((s) => s.name === "control-kubeconfig")!.stdout;
        expect(YAML.parse(kubeconfig).clusters[0].cluster.server).toBe("https://172.30.100.121:6443");
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
        const again = await provision(run);
        writeLog(again, run, path.join(ROOT, ".cache/e2e/second-run.log"));
        expect(again.failed).toEqual([]);
        expect(snapshot()).toEqual(before);
        // Nothing was written or restarted: no step logged a change.
        const changes = again.steps.flatMap((s) => s.stderr.split("\n").filter((l) => /\] (wrote|removed|installing|created|.*\(re\)started|restarted)/.test(l)));
        expect(changes).toEqual([]);
    }, 600_000);
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

describe("a node added to the config", () => {
    // worker-3 is in the config but has no simulated machine: it is also the unreachable node.
    const worker3 = { name: "worker-3", role: "agent", mac: "02:50:69:64:00:7c", ip: "172.30.100.124", internet: false };
    let grown: ProgramRun;
    let rerun: ProvisionReport;

    beforeAll(async () => {
        // Its host key, pinned inline as a real board's would be (no machine will ever present it).
        const keyFile = path.join(scratchDir("worker-3"), "key");
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
        const hostKey = fs.readFileSync(`${keyFile}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
        const nodes = [...(stackConfig("dev")["picluster:nodes"] as object[]), { ...worker3, hostKey }];
        // Few, short dials: an unreachable node must fail within a bounded time.
        const overrides: Record<string, unknown> = { ...simOverrides(), "picluster:nodes": nodes };
        (overrides["picluster:ssh"] as Record<string, unknown>).dialErrorLimit = 3;
        grown = await runProgram("dev", overrides);
        // What the engine would do: run only steps whose command changed, and new steps.
        rerun = await provision(grown, {
            only: (step) => {
                const before = run.resources.find((r) => r.name === step.name);
                return before === undefined || before.inputs.create !== step.inputs.create;
            },
        });
        writeLog(rerun, grown, path.join(ROOT, ".cache/e2e/add-node.log"));
    }, 600_000);

    it("re-runs only the node-list step (dnsmasq) on the existing nodes, and provisions only the new node", () => {
        const ran = rerun.steps.map((s) => s.name);
        expect(ran.filter((n) => !n.startsWith("worker-3-"))).toEqual(["ingress-dnsmasq"]);
        expect(ran.filter((n) => n.startsWith("worker-3-")).length).toBeGreaterThan(5);
        expect(rerun.steps.find((s) => s.name === "ingress-dnsmasq")!.status).toBe("ok");
    });

    it("an unreachable node fails with a clear error naming it, within a bounded time, and the others finish", () => {
        const failed = rerun.failed.map((f) => f.name);
        expect(failed).toEqual(["worker-3-prereqs"]);
        expect(rerun.failed[0].error).toMatch(/^could not reach 172\.30\.100\.124 \(3 dials\)/);
        expect(rerun.failed[0].node).toBe("worker-3");
        expect(rerun.steps.filter((s) => s.node === "worker-3" && s.name !== "worker-3-prereqs").every((s) => s.status === "skipped")).toBe(true);
        expect(rerun.wallMs).toBeLessThan(120_000);
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
