#!/usr/bin/env bash
# nftables egress rules for a node without internet: only the LAN (and the
# cluster's own pod/service ranges) are reachable. A oneshot unit loads the
# ruleset at boot, and K3s requires that unit. Applied only when the rules
# changed or the table is missing, by a reload: one `nft -f` transaction, never
# a moment without rules.
# Inputs: STEP AIRGAP_RULES AIRGAP_UNIT K3S_DROPIN
. ./lib.sh # picluster:inline

ensure_pkgs nftables
changed=false
reload_units=false
if write_file /etc/picluster/airgap.nft 0644 "$AIRGAP_RULES"; then changed=true; fi
if write_file /etc/systemd/system/picluster-airgap.service 0644 "$AIRGAP_UNIT"; then reload_units=true; fi
for unit in k3s k3s-agent; do
    if write_file "/etc/systemd/system/${unit}.service.d/picluster-airgap.conf" 0644 "$K3S_DROPIN"; then reload_units=true; fi
done
if [ "$reload_units" = true ]; then systemctl daemon-reload; fi
nft -c -f /etc/picluster/airgap.nft || die "nft rejects /etc/picluster/airgap.nft"
systemctl is-enabled -q picluster-airgap.service || systemctl enable -q picluster-airgap.service
if ! systemctl is-active -q picluster-airgap.service; then
    systemctl start picluster-airgap.service
    log "airgap rules applied"
elif [ "$changed" = true ] || ! nft list table inet picluster_airgap >/dev/null 2>&1; then
    systemctl reload picluster-airgap.service
    log "airgap rules replaced"
fi
