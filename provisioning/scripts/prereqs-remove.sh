#!/usr/bin/env bash
# Undo prereqs: restore the original kernel command line (takes effect on the
# next boot). The host name and the ingress's address are left as they are:
# removing them would cut the operator off.
# Inputs: STEP CMDLINE_PATH
. ./lib.sh # picluster:inline

if [ -f "${CMDLINE_PATH}.picluster-orig" ]; then
    mv -f "${CMDLINE_PATH}.picluster-orig" "$CMDLINE_PATH"
    log "restored ${CMDLINE_PATH}; reboot to apply"
fi
