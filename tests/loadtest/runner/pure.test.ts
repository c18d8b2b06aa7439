import { clientInvalidReasons, cpuPercent, memPercent, parseProcStat } from "../../../loadtest/runner/client";
import { fill, FLOWSHEET_PATH, loadFlowsheet, parseFlowsheet, pick } from "../../../loadtest/runner/flowsheet";
import * as fs from "fs";
import { cpuMillicores, deploymentFrom, hpaFrom, memoryBytes, parseKubeconfig, podUsageFrom, sampleRows, unsettledReasons } from "../../../loadtest/runner/kube";
import { hasQdisc, netemCommands, routeInterface } from "../../../loadtest/runner/netem";
import { deployment, hpa, podMetrics } from "../../../harness/standin";

describe("client validity", () => {
    const stat = (user: number, idle: number) => `cpu  ${user} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 1 2 3 4\n`;

    it("measures busy CPU between two /proc/stat readings", () => {
        expect(cpuPercent(parseProcStat(stat(100, 100)), parseProcStat(stat(190, 110)))).toBeCloseTo(90, 6);
        expect(cpuPercent(parseProcStat(stat(100, 100)), parseProcStat(stat(100, 100)))).toBe(0);
    });

    it("measures used memory from MemAvailable", () => {
        expect(memPercent("MemTotal:       1000 kB\nMemFree:  10 kB\nMemAvailable:    250 kB\n")).toBeCloseTo(75, 6);
        expect(() => memPercent("MemTotal: 1000 kB\n")).toThrow("MemAvailable");
    });

    it("marks a trial invalid above 90 % CPU or 80 % memory, naming the worst moment", () => {
        const ok = [{ tS: 1, cpuPercent: 90, memPercent: 80 }];
        expect(clientInvalidReasons(ok)).toEqual([]);
        expect(clientInvalidReasons([...ok, { tS: 2, cpuPercent: 95.5, memPercent: 81 }])).toEqual(["client CPU 95.5 % > 90 % at t=2.0 s", "client memory 81.0 % > 80 % at t=2.0 s"]);
        expect(clientInvalidReasons([{ tS: 3, cpuPercent: 60, memPercent: 10 }], { cpuPercent: 50, memPercent: 80 })).toEqual(["client CPU 60.0 % > 50 % at t=3.0 s"]);
    });
});

describe("latency injection", () => {
    it("is the thesis's tc commands", () => {
        expect(netemCommands("eth0", 5)).toEqual({
            add: ["tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "5ms"],
            remove: ["tc", "qdisc", "del", "dev", "eth0", "root", "netem"],
            show: ["tc", "qdisc", "show", "dev", "eth0"],
            kind: "netem",
        });
    });

    it("recognises a delay already on the interface", () => {
        expect(hasQdisc("qdisc netem 8001: root refcnt 2 limit 1000 delay 5ms\n", "netem")).toBe(true);
        expect(hasQdisc("qdisc mq 0: root\nqdisc fq_codel 0: parent :1 limit 10240p\n", "netem")).toBe(false);
    });

    it("rejects what is not an interface name or a sane delay", () => {
        expect(() => netemCommands("eth0; reboot", 5)).toThrow('--latency-interface: expected a network interface name, got "eth0; reboot"');
        expect(() => netemCommands("eth0", 0)).toThrow("--latency-ms: expected a number of milliseconds in (0, 1000], got 0");
    });

    it("finds the interface towards the target", () => {
        expect(routeInterface("10.0.0.121 via 10.0.0.1 dev eth0 src 10.0.0.101 uid 0\n    cache\n")).toBe("eth0");
        expect(routeInterface("local 127.0.0.1 dev lo table local src 127.0.0.1")).toBe("lo");
        expect(routeInterface("")).toBeUndefined();
    });
});

describe("the pre-trial flowsheet", () => {
    it("is the thesis's eleven steps and one teardown", () => {
        const script = loadFlowsheet();
        expect(script.setup).toHaveLength(11);
        expect(script.setup.map((s) => s.name)).toEqual([
            "create flowsheet",
            "add water compound",
            "add Helmholtz water property package",
            "create pump",
            "pump efficiency 0.5",
            "outlet pressure 200",
            "inlet stream temperature 80",
            "inlet stream pressure 100",
            "inlet stream molar flow 1000",
            "inlet stream vapour fraction 0",
            "inlet stream water amount 1",
        ]);
        expect(script.teardown.map((s) => s.method)).toEqual(["DELETE"]);
    });

    it("fills placeholders, keeping a whole placeholder's type", () => {
        expect(fill({ a: "{id}", b: "x-{id}-{missing}", c: ["{id}"] }, { id: 7 })).toEqual({ a: 7, b: "x-7-{missing}", c: [7] });
        expect(pick({ inlet: { id: 3 } }, "inlet.id")).toBe(3);
        expect(pick({ inlet: null }, "inlet.id")).toBeUndefined();
    });

    it("rejects a step that uses a value before it is captured", () => {
        const text = fs.readFileSync(FLOWSHEET_PATH, "utf8").replace("capture: { pumpId: id, inletId: inlet.id }", "capture: { pumpId: id }");
        expect(() => parseFlowsheet(text)).toThrow("setup.6 (inlet stream temperature 80): {inletId} is used before any step captures it");
    });

    it("rejects a script that never captures the flowsheet id", () => {
        expect(() => parseFlowsheet("setup: [{ name: a, method: POST, path: /x }]\nteardown: [{ name: b, method: DELETE, path: /y }]\n")).toThrow("expected a step that captures flowsheetId");
        expect(() => parseFlowsheet("setup: []\nteardown: []\n")).toThrow("setup");
    });
});

describe("cluster reads", () => {
    it("parse the kubeconfig K3s writes (CA, client certificate and key)", () => {
        const b = (s: string) => Buffer.from(s).toString("base64");
        const target = parseKubeconfig(`apiVersion: v1
clusters:
- cluster: { certificate-authority-data: ${b("CA")}, server: "https://127.0.0.1:6443" }
  name: default
contexts:
- context: { cluster: default, user: default }
  name: default
current-context: default
users:
- name: default
  user: { client-certificate-data: ${b("CERT")}, client-key-data: ${b("KEY")} }
`);
        expect(target.server).toBe("https://127.0.0.1:6443");
        expect(target.tls.ca?.toString()).toBe("CA");
        expect(target.tls.cert?.toString()).toBe("CERT");
        expect(target.tls.key?.toString()).toBe("KEY");
        expect(target.headers).toEqual({});
    });

    it("reject kubeconfigs the runner cannot use, naming the field", () => {
        expect(() => parseKubeconfig("contexts: []\n")).toThrow("kubeconfig: current-context: expected a context name, got undefined");
        expect(() => parseKubeconfig("current-context: a\ncontexts: []\n")).toThrow('contexts: expected one named "a", got none');
        expect(() =>
            parseKubeconfig("current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: https://x}}]\nusers: [{name: u, user: {exec: {command: aws}}}]\n"),
        ).toThrow("users.u: expected a client certificate or token, got an exec/auth-provider plugin");
    });

    it("convert quantities", () => {
        expect(cpuMillicores("250m")).toBe(250);
        expect(cpuMillicores("1")).toBe(1000);
        expect(cpuMillicores("123456789n")).toBeCloseTo(123.456789, 6);
        expect(memoryBytes("128Mi")).toBe(128 * 1024 * 1024);
        expect(memoryBytes("2048Ki")).toBe(2 * 1024 * 1024);
        expect(() => cpuMillicores("lots")).toThrow("cpu quantity");
    });

    it("call the cluster settled only when every rollout is done and every HPA at rest", () => {
        const settled = { deployments: [deploymentFrom(deployment("django", 2))], hpas: [hpaFrom(hpa("django", 2))] };
        expect(unsettledReasons(settled)).toEqual([]);
        expect(unsettledReasons({ ...settled, deployments: [deploymentFrom(deployment("django", 4, 3))] })).toEqual(["deployment django: 3/4 replicas ready"]);
        expect(unsettledReasons({ ...settled, hpas: [hpaFrom(hpa("idaes", 2, 5))] })).toEqual(["hpa idaes: 2 replicas, wants 5"]);
        const rolling = deploymentFrom({ metadata: { name: "api", generation: 3 }, spec: { replicas: 2 }, status: { observedGeneration: 2 } });
        expect(unsettledReasons({ deployments: [rolling], hpas: [] })).toEqual(["deployment api: generation 3 not observed yet"]);
    });

    it("write one long-format sample row per figure", () => {
        const state = { deployments: [deploymentFrom(deployment("django", 3, 2))], hpas: [hpaFrom(hpa("django", 3, 4, 71))] };
        expect(sampleRows(1.5, state, [podUsageFrom(podMetrics("django-a", "412m", "100Mi"))])).toEqual([
            "1.500,deployment,django,replicas,3",
            "1.500,deployment,django,readyReplicas,2",
            "1.500,hpa,django,currentReplicas,3",
            "1.500,hpa,django,desiredReplicas,4",
            "1.500,hpa,django,currentCPUUtilizationPercentage,71",
            "1.500,pod,django-a,cpuMillicores,412",
            `1.500,pod,django-a,memoryBytes,${100 * 1024 * 1024}`,
        ]);
    });
});
