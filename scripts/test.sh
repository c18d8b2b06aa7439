#!/usr/bin/env bash
# The fast suite: type check, jest (Pulumi mocks, rendered scripts through real
# tools, the load generator against a stand-in on loopback), then the analysis
# package's pytest suite. Ends with one "N passed, N failed" line for both.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npx tsc --noEmit -p .

mkdir -p .cache
status=0
npx jest --json --outputFile=.cache/jest-results.json "$@" || status=$?
.venv/bin/python -m pytest -q -p no:cacheprovider analysis/tests --junitxml=.cache/pytest-results.xml || status=$?
node scripts/test-summary.js tests .cache/jest-results.json .cache/pytest-results.xml || status=1
exit "$status"
