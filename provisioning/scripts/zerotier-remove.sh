#!/usr/bin/env bash
# Inputs: STEP ZT_NETWORK
. ./lib.sh # picluster:inline

if command -v zerotier-cli >/dev/null 2>&1; then
    zerotier-cli leave "$ZT_NETWORK" >/dev/null 2>&1 || true
fi
