import { quantile } from "../../harness/loadgen";

describe("quantile", () => {
    it("interpolates linearly between ranks", () => {
        expect([0, 0.5, 0.9, 1].map((q) => quantile([10, 20, 30, 40, 50], q))).toEqual([10, 30, 46, 50]);
        expect(quantile([7], 0.99)).toBe(7);
    });

    it("is NaN for no values and refuses a q outside [0, 1]", () => {
        expect(quantile([], 0.5)).toBeNaN();
        expect(() => quantile([1], 1.5)).toThrow("quantile: expected q in [0, 1], got 1.5");
    });
});
