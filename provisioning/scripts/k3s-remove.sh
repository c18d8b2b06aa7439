#!/usr/bin/env bash
# Uninstall K3s with the scripts install.sh left behind. Host paths used by
# persistent volumes (e.g. /var/lib/picluster/postgres) are not touched.
# Inputs: STEP
. ./lib.sh # picluster:inline

for script in /usr/local/bin/k3s-uninstall.sh /usr/local/bin/k3s-agent-uninstall.sh; do
    if [ -x "$script" ]; then
        "$script" >&2
        log "ran ${script}"
    fi
done
rm -f /etc/rancher/k3s/config.yaml
