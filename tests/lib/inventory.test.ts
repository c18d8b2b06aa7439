import { internetK3sNodes } from "../../lib/inventory";

describe("internetK3sNodes", () => {
    it("lists the server and agents with internet, never the ingress (it runs no K3s)", () => {
        expect(
            internetK3sNodes([
                { name: "ingress", role: "ingress", internet: true },
                { name: "control", role: "server", internet: true },
                { name: "worker-1", role: "agent", internet: false },
                { name: "worker-2", role: "agent", internet: true },
            ]),
        ).toEqual(["control", "worker-2"]);
    });
});
