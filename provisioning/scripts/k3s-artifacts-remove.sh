#!/usr/bin/env bash
# Inputs: STEP ARTIFACT_ROOT
. ./lib.sh # picluster:inline

stop_disable picluster-artifacts.service
if remove_file /etc/systemd/system/picluster-artifacts.service; then systemctl daemon-reload; fi
rm -rf "${ARTIFACT_ROOT:?}/k3s"
