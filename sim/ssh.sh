#!/usr/bin/env bash
# sim/ssh.sh NODE [CMD...]: root shell (or command) on a simulated node, with
# the generated key and the pinned known_hosts (StrictHostKeyChecking=yes);
# nodes other than the ingress are reached through it as the jump host.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: sim/ssh.sh NODE [CMD...]"
n=$1
shift
load_nodes
[ -n "${NODE_ROLE[$n]:-}" ] || die "unknown node '$n' (nodes: ${NODE_NAMES[*]})"
[ -f "$KNOWN_HOSTS" ] || die "no $KNOWN_HOSTS: run sim/up.sh first"
# No command: an interactive login (ssh allocates the tty itself).
ssh_node "$n" "$@"
