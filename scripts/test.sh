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
node scripts/jest-summary.js .cache/jest-results.json jest || status=1
exit "$status"
