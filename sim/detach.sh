#!/usr/bin/env bash
# detach.sh PIDFILE CMD...: used by lib.sh's spawn: drop inherited descriptors
# (a caller's pipes, the sim lock), record this pid, and become CMD.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

pidfile=${1:?usage: detach.sh PIDFILE CMD...}
shift
close_fds
echo $$ >"$pidfile"
exec "$@"
