/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testMatch: ["**/*.test.ts"],
    // The end-to-end suite (npm run test:e2e) needs the simulated nodes.
    testPathIgnorePatterns: ["/node_modules/", "\\.e2e\\.test\\.ts$"],
    transform: {
        // Type checking is `npm run build` (tsc --noEmit); tests only transpile.
        "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
    },
    setupFilesAfterEnv: ["<rootDir>/tests/helpers/cleanup.ts"],
    testTimeout: 30000,
    // Jest keeps one core free by default; on a 2-core machine that halves the speed.
    maxWorkers: 2,
};
