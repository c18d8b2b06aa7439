#!/usr/bin/env bash
# Undo the airgap rules.
# Inputs: STEP
. ./lib.sh # picluster:inline

stop_disable picluster-airgap.service
nft delete table inet picluster_airgap 2>/dev/null || true
if remove_file /etc/systemd/system/picluster-airgap.service; then systemctl daemon-reload; fi
remove_file /etc/picluster/airgap.nft || true
