#!/usr/bin/env bash
# The fast suite: type check, then jest under Pulumi mocks (no engine, no
# network). Ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npx tsc --noEmit -p .

mkdir -p .cache
status=0
npx jest --json --outputFile=.cache/jest-results.json "$@" || status=$?
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
const r = require("./.cache/jest-results.json");
console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed`);
' || status=1
exit "$status"
