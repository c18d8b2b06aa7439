/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testMatch: ["**/*.test.ts"],
    transform: {
        // Type checking is `npm run build` (tsc --noEmit); tests only transpile.
        "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
    },
    testTimeout: 30000,
};
