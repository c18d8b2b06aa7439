#!/usr/bin/env bash
# sim/down.sh [--purge]: power the nodes off (bounded, then killed), stop the
# upstream fixture host, remove the network namespaces, veths, bridges and the
# nodes' rootfs copies. Keeps the cached base rootfs, the SSH key and the
# upstream data (registry storage, files) unless --purge (which also removes
# the base rootfs; the SSH key and upstream data stay even then).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

purge=false
case "${1:-}" in
    '') ;;
    --purge) purge=true ;;
    *) die "usage: sim/down.sh [--purge]" ;;
esac

require_root
take_lock
load_nodes

t0=$SECONDS
stop_nodes "${NODE_NAMES[@]}"
log "nodes stopped ($((SECONDS - t0)) s)"
upstream_stop

for n in "${NODE_NAMES[@]}"; do
    ns=$(node_ns "$n")
    [ ! -e "/run/netns/$ns" ] || ip netns del "$ns"
    ip link del "pl-$n" 2>/dev/null || true
    ip link del "pn-$n" 2>/dev/null || true
done
for ns in "$UPSTREAM_NS" "$LAN_NS"; do
    ns_kill "$ns"
    [ ! -e "/run/netns/$ns" ] || ip netns del "$ns"
done
ip link del pn-upstream 2>/dev/null || true
ip link del pl-lan 2>/dev/null || true
for br in "$LAN_BRIDGE" "$NET_BRIDGE"; do
    ip link del "$br" 2>/dev/null || true
done
remove_host_firewall

# Rootfs copies: only paths under .cache/sim/nodes. In parallel: on this
# ext4 (mounted with discard) one rm -rf of a copy takes ~20 s, four take ~20 s.
removing=()
for n in "${NODE_NAMES[@]}"; do
    root=$(node_root "$n")
    case "$root" in "$NODES_DIR"/?*) ;; *) die "refusing to remove $root" ;; esac
    rm -rf "$root" "$root.tmp" &
    removing+=("$!")
    # nspawn leaves this empty directory behind when /run is not a tmpfs.
    rmdir "/run/systemd/nspawn/propagate/$n" 2>/dev/null || true
done
if $purge; then
    rm -f "$BASE_STAMP"
    rm -rf "$BASE_DIR" "$CACHE_DIR/base-rootfs.tmp" &
    removing+=("$!")
fi
for pid in "${removing[@]}"; do wait "$pid" || die "could not remove a rootfs under $CACHE_DIR"; done
rmdir "$NODES_DIR" 2>/dev/null || true
rm -f "$KNOWN_HOSTS" "$NODES_JSON"
log "network and rootfs copies removed ($((SECONDS - t0)) s)"

if $purge; then
    rm -rf "$CACHE_DIR"/*.log "$CACHE_DIR"/*.log.1 "$RUN_DIR"
    log "purged the base rootfs"
fi
log "down"
