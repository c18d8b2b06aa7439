// Prints the one closing line CI reads: "<label>: N passed, N failed", adding
// up jest's --json report and pytest's JUnit XML report.
// usage: node scripts/test-summary.js <label> <jest.json> [<pytest.xml>]
const fs = require("fs");
const [label, jestFile, junitFile] = process.argv.slice(2);
let passed = 0;
let failed = 0;
try {
    const r = JSON.parse(fs.readFileSync(jestFile, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
} catch (e) {
    console.error(`test-summary: no jest report in ${jestFile}: ${e.message}`);
    failed += 1;
}
if (junitFile) {
    try {
        const xml = fs.readFileSync(junitFile, "utf8");
        const suite = /<testsuite\b[^>]*>/.exec(xml)[0];
        const attr = (name) => Number((new RegExp(`\\b${name}="(\\d+)"`).exec(suite) || [0, 0])[1]);
        const bad = attr("failures") + attr("errors");
        passed += attr("tests") - bad - attr("skipped");
        failed += bad;
    } catch (e) {
        console.error(`test-summary: no pytest report in ${junitFile}: ${e.message}`);
        failed += 1;
    }
}
console.log(`${label}: ${passed} passed, ${failed} failed`);
