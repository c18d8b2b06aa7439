#!/usr/bin/env bash
# Runs after prereqs: reaching this point means SSH is up (the provider's dial
# retries ride out a reboot). Waits for systemd to finish booting, bounded.
# Inputs: STEP
. ./lib.sh # picluster:inline

wait_for "systemd to finish booting" 120 system_booted
log "online: boot $(cat /proc/sys/kernel/random/boot_id)"
