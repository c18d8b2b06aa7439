#!/usr/bin/env bash
# npm run dev: set up this machine, boot the simulated Raspberry Pi nodes and the
# local Kubernetes control plane, and run `pulumi up -s dev` with the real engine.
# Needs root (network namespaces, systemd-nspawn). Extra arguments go to `pulumi up`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/tools.sh >/dev/null # the Pulumi CLI and plugins (cached after the first build)
bash sim/up.sh
bash scripts/cluster.sh up dev # the local control plane the platform deploys to
npx ts-node --transpile-only scripts/dev.ts "$@"
