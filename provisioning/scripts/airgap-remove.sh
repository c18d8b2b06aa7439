#!/usr/bin/env bash
# Undo the airgap rules.
# Inputs: STEP
. ./lib.sh # picluster:inline

reload_units=false
for unit in k3s k3s-agent; do
    if remove_file "/etc/systemd/system/${unit}.service.d/picluster-airgap.conf"; then reload_units=true; fi
done
stop_disable picluster-airgap.service
nft delete table inet picluster_airgap 2>/dev/null || true
if remove_file /etc/systemd/system/picluster-airgap.service; then reload_units=true; fi
if [ "$reload_units" = true ]; then systemctl daemon-reload; fi
remove_file /etc/picluster/airgap.nft || true
