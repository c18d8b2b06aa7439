#!/usr/bin/env bash
# systemd-timesyncd follows the ingress's NTP server only.
# Inputs: STEP TIMESYNCD_CONF
. ./lib.sh # picluster:inline

conf=/etc/systemd/timesyncd.conf.d/picluster.conf
ensure_pkgs systemd-timesyncd
changed=false
if write_file "$conf" 0644 "$TIMESYNCD_CONF"; then changed=true; fi
systemctl is-enabled -q systemd-timesyncd 2>/dev/null || systemctl enable -q systemd-timesyncd
if [ "$changed" = true ] || ! systemctl is-active -q systemd-timesyncd; then
    systemctl restart systemd-timesyncd
    log "timesyncd (re)started"
fi
timedatectl set-ntp true 2>/dev/null || true
