// Prints the one closing line CI reads: "<label>: N passed, N failed", adding
// up the reports of every runner in the suite.
// usage: node scripts/test-summary.js <label> jest=<jest --json file> [pytest=<JUnit XML>] [gotest=<go test -json output>]
// A missing or unreadable report counts as one failure.
const fs = require("fs");
const [label, ...reports] = process.argv.slice(2);

const readers = {
    jest(text) {
        const r = JSON.parse(text);
        return [r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites];
    },
    pytest(text) {
        const suite = /<testsuite\b[^>]*>/.exec(text)[0];
        const attr = (name) => Number((new RegExp(`\\b${name}="(\\d+)"`).exec(suite) || [0, 0])[1]);
        const bad = attr("failures") + attr("errors");
        return [attr("tests") - bad - attr("skipped"), bad];
    },
    gotest(text) {
        let passed = 0;
        let failed = 0;
        for (const line of text.split("\n")) {
            if (!line.startsWith("{")) continue;
            const e = JSON.parse(line);
            // Count tests (subtests included); a package that failed to build has no Test.
            if (e.Action === "pass" && e.Test) passed++;
            else if (e.Action === "fail" && (e.Test || !passed)) failed++;
        }
        return [passed, failed];
    },
};

let passed = 0;
let failed = 0;
for (const spec of reports) {
    const [kind, file] = spec.split("=");
    try {
        const [p, f] = readers[kind](fs.readFileSync(file, "utf8"));
        passed += p;
        failed += f;
    } catch (e) {
        console.error(`test-summary: no usable ${kind} report in ${file}: ${e.message}`);
        failed += 1;
    }
}
console.log(`${label}: ${passed} passed, ${failed} failed`);
