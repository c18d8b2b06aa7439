#!/usr/bin/env bash
# npm run dev: set up this machine, boot the simulated Raspberry Pi nodes and run
# `pulumi up -s dev` on them with the real engine. Needs root (network namespaces,
# systemd-nspawn). Extra arguments go to `pulumi up`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/tools.sh >/dev/null # the Pulumi CLI and plugins (cached after the first build)
bash sim/up.sh
npx ts-node --transpile-only scripts/dev.ts "$@"
