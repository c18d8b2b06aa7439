#!/usr/bin/env bash
# ntpsec on the ingress: follows the upstream servers and serves the LAN, in
# orphan mode when the internet is gone so the airgapped clocks never drift.
# Inputs: STEP NTP_CONF
. ./lib.sh # picluster:inline

conf=/etc/ntpsec/ntp.conf
ensure_pkgs ntpsec
if [ -f "$conf" ] && [ ! -f "${conf}.picluster-orig" ] && ! grep -q 'Managed by Pulumi' "$conf"; then
    cp -p "$conf" "${conf}.picluster-orig"
fi
changed=false
if write_file "$conf" 0644 "$NTP_CONF"; then changed=true; fi
# Two NTP clients on one clock fight; ntpsec owns it on the ingress.
stop_disable systemd-timesyncd.service
systemctl is-enabled -q ntpsec 2>/dev/null || systemctl enable -q ntpsec
if [ "$changed" = true ] || ! systemctl is-active -q ntpsec; then
    systemctl restart ntpsec
    log "ntpsec (re)started"
fi
