#!/usr/bin/env bash
# The end-to-end suite: the program's provisioning run for real against
# simulated nodes (sim/), checked from outside. Needs root. Ends with one
# "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# Client tools the checks use from outside the nodes.
need=()
command -v ntpdig >/dev/null 2>&1 || need+=(ntpsec-ntpdig)
command -v busybox >/dev/null 2>&1 || need+=(busybox)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

mkdir -p .cache
status=0
npx jest -c jest.e2e.config.js --json --outputFile=.cache/jest-e2e-results.json "$@" || status=$?
node scripts/test-summary.js e2e jest=.cache/jest-e2e-results.json || status=1
exit "$status"
