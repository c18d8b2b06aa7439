#!/usr/bin/env bash
# ZeroTier on the ingress, for remote SSH. The zerotier-one package comes from
# ZeroTier's own apt repository, which the operator adds (see the README).
# Inputs: STEP ZT_NETWORK
. ./lib.sh # picluster:inline

ensure_pkgs zerotier-one
ensure_enabled_started zerotier-one.service
wait_for "zerotier-one to answer" 30 zerotier-cli info
if ! zerotier-cli listnetworks | awk '{print $3}' | grep -x "$ZT_NETWORK" >/dev/null; then
    zerotier-cli join "$ZT_NETWORK" >/dev/null
    log "joined ZeroTier network ${ZT_NETWORK}; authorise this node in ZeroTier Central"
fi
