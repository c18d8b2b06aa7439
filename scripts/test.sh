#!/usr/bin/env bash
# The fast suite: type check, jest (Pulumi mocks, rendered scripts through real
# tools, the load generator and trial runner against a stand-in on loopback),
# the load generator's Go tests and the analysis package's pytest suite. Ends
# with one "N passed, N failed" line for all of them.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npx tsc --noEmit -p .

mkdir -p .cache
status=0
npx jest --json --outputFile=.cache/jest-results.json "$@" || status=$?
cache="${PICLUSTER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/picluster-tools}"
(cd loadgen && GOTOOLCHAIN=local GOMODCACHE="$cache/go-mod" GOCACHE="$cache/go-build" go test -json ./... >../.cache/go-test.json) || status=1
.venv/bin/python -m pytest -q -p no:cacheprovider analysis/tests --junitxml=.cache/pytest-results.xml || status=$?
node scripts/test-summary.js tests jest=.cache/jest-results.json gotest=.cache/go-test.json pytest=.cache/pytest-results.xml || status=1
exit "$status"
