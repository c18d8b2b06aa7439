#!/usr/bin/env bash
# Undo the NTP server: restore the packaged config and stop ntpsec.
# Inputs: STEP
. ./lib.sh # picluster:inline

conf=/etc/ntpsec/ntp.conf
if [ -f "${conf}.picluster-orig" ]; then
    mv -f "${conf}.picluster-orig" "$conf"
    log "restored ${conf}"
fi
stop_disable ntpsec.service
