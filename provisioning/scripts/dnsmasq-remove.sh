#!/usr/bin/env bash
# Undo dnsmasq: drop our config and stop the service.
# Inputs: STEP
. ./lib.sh # picluster:inline

remove_file /etc/dnsmasq.d/picluster.conf || true
stop_disable dnsmasq.service
