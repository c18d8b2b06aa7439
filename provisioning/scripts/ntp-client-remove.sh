#!/usr/bin/env bash
# Undo the NTP client config; timesyncd falls back to its defaults.
# Inputs: STEP
. ./lib.sh # picluster:inline

if remove_file /etc/systemd/timesyncd.conf.d/picluster.conf; then
    systemctl try-restart systemd-timesyncd || true
fi
