#!/usr/bin/env bash
# nftables egress rules for a node without internet: only the LAN (and the
# cluster's own pod/service ranges) are reachable. A oneshot unit reloads the
# ruleset at boot. Applied only when the rules changed or the table is missing.
# Inputs: STEP AIRGAP_RULES AIRGAP_UNIT
. ./lib.sh # picluster:inline

ensure_pkgs nftables
changed=false
if write_file /etc/picluster/airgap.nft 0644 "$AIRGAP_RULES"; then changed=true; fi
if write_file /etc/systemd/system/picluster-airgap.service 0644 "$AIRGAP_UNIT"; then
    systemctl daemon-reload
    changed=true
fi
nft -c -f /etc/picluster/airgap.nft || die "nft rejects /etc/picluster/airgap.nft"
systemctl is-enabled -q picluster-airgap.service || systemctl enable -q picluster-airgap.service
if [ "$changed" = true ] || ! nft list table inet picluster_airgap >/dev/null 2>&1; then
    systemctl restart picluster-airgap.service
    log "airgap rules applied"
fi
