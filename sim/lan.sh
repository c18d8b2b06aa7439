#!/usr/bin/env bash
# sim/lan.sh [CMD...]: run CMD (default: a shell) in netns pcl-lan, a stand-in
# machine on the nodes' private LAN: eth0 172.30.100.2/24 on pclan0, MAC
# 02:50:69:64:00:02, no other interface or route. The host itself has no
# address on the LAN, so tests reach it from here. Needs sim/up.sh first;
# sim/down.sh removes it.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_root
ip link show "$LAN_BRIDGE" >/dev/null 2>&1 || die "no $LAN_BRIDGE: run sim/up.sh first"
(
    take_lock
    ensure_lan_ns
)
[ $# -gt 0 ] || set -- bash -i
exec ip netns exec "$LAN_NS" "$@"
