#!/usr/bin/env bash
# Runs after prereqs: reaching this point means SSH is up (the provider's dial
# retries ride out a reboot). Waits for systemd to finish booting, bounded.
# Inputs: STEP
. ./lib.sh # picluster:inline

booted() {
    local state
    state=$(systemctl is-system-running 2>/dev/null || true)
    [ "$state" = running ] || [ "$state" = degraded ]
}
wait_for "systemd to finish booting" 120 booted
log "online: boot $(cat /proc/sys/kernel/random/boot_id)"
