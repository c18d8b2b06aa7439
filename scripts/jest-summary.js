// Prints the one closing line CI reads: "<label>: N passed, N failed".
// usage: node scripts/jest-summary.js <jest --json output file> <label>
const [file, label] = process.argv.slice(2);
const r = require(require("path").resolve(file));
console.log(`${label}: ${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed`);
