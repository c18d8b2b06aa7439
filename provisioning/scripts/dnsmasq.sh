#!/usr/bin/env bash
# dnsmasq on the ingress: static DHCP leases by MAC, DNS names for every node,
# forwarding to the upstream resolvers. Restarts only when the config changed.
# Inputs: STEP DNSMASQ_CONF
. ./lib.sh # picluster:inline

conf=/etc/dnsmasq.d/picluster.conf
ensure_pkgs dnsmasq
changed=false
if write_file "$conf" 0644 "$DNSMASQ_CONF"; then changed=true; fi
dnsmasq --test --conf-file="$conf" >/dev/null 2>&1 || die "dnsmasq rejects ${conf}: $(dnsmasq --test --conf-file="$conf" 2>&1)"
systemctl is-enabled -q dnsmasq 2>/dev/null || systemctl enable -q dnsmasq
if [ "$changed" = true ] || ! systemctl is-active -q dnsmasq; then
    systemctl restart dnsmasq
    log "dnsmasq (re)started"
fi
