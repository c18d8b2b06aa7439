#!/usr/bin/env bash
# npm run preview: `pulumi preview` of every stack with the real engine, test
# secrets and a local backend (what CI runs; scripts/preview.ts says how).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/tools.sh >/dev/null
npx ts-node --transpile-only scripts/preview.ts "$@"
