#!/usr/bin/env bash
# sim/base.sh: build the cached base rootfs (debootstrap, once; later runs only
# check it). sim/up.sh does this too; a caller that needs the base's files
# before any node boots (the blank cards' cmdline.txt) runs this first.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_root
take_lock
ensure_host_tools
ensure_base
