/** @type {import('jest').Config} End-to-end suite: real programs on simulated nodes (npm run test:e2e). */
const base = require("./jest.config.js");
module.exports = {
    ...base,
    testMatch: ["**/*.e2e.test.ts"],
    testPathIgnorePatterns: ["/node_modules/"],
    // One suite at a time: they share the simulated nodes.
    maxWorkers: 1,
    testTimeout: 600000,
};
