#!/usr/bin/env bash
# npm run dev: set up this machine and run the dev stack's main job on the
# simulated Raspberry Pi nodes. Needs root (network namespaces, systemd-nspawn).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash sim/up.sh
# The simulated "upstream" serves the K3s test fixture under the pinned version.
npx ts-node --transpile-only scripts/dev.ts
