import { UsageError } from "../../loadtest/runner/args";
import { exitWith, stackArg } from "../../scripts/cli";

describe("stackArg", () => {
    it("takes a stack that has a stack file, dev by default", () => {
        expect(stackArg(undefined)).toBe("dev");
        expect(stackArg("pi-cluster")).toBe("pi-cluster");
    });

    it.each(["prod", "../Pulumi", "dev/../pi-cluster", ""])("refuses %j as a usage error naming --stack and what it got", (name) => {
        expect(() => stackArg(name)).toThrow(UsageError);
        expect(() => stackArg(name)).toThrow(`--stack: expected a stack with a Pulumi.<stack>.yaml file next to Pulumi.yaml, got ${JSON.stringify(name)}`);
    });
});

describe("exitWith", () => {
    class Stopped extends Error {}
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    afterEach(() => {
        process.exitCode = 0;
        stderr.mockClear();
    });
    afterAll(() => stderr.mockRestore());

    const settle = () => new Promise((r) => setImmediate(r));

    const failing = (e: Error) => (): number => {
        throw e;
    };
    it.each<[string, () => number, number]>([
        ["main's own code", () => 3, 3],
        ["2 for a usage error", failing(new UsageError("--x: expected y, got z")), 2],
        ["the code given for its class", failing(new Stopped("interrupted")), 130],
        ["1 for any other error", failing(new Error("boom")), 1],
    ])("sets %s", async (_what, main, code) => {
        exitWith(main, [[Stopped, 130]]);
        await settle();
        expect(process.exitCode).toBe(code);
    });

    it("prints an error's message, and only that, on stderr", async () => {
        exitWith(Promise.reject(new UsageError("--stack: expected a stack, got \"prod\"")));
        await settle();
        expect(stderr.mock.calls.map((c) => c[0])).toEqual(['--stack: expected a stack, got "prod"\n']);
    });
});
