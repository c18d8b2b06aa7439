#!/usr/bin/env bash
# K3s's containerd pulls through the ingress's mirror. K3s reads the file at
# start, so a running K3s restarts when it changed.
# Inputs: STEP REGISTRIES_YAML
. ./lib.sh # picluster:inline

if write_file /etc/rancher/k3s/registries.yaml 0644 "$REGISTRIES_YAML"; then
    for unit in k3s.service k3s-agent.service; do
        if systemctl is-active -q "$unit"; then
            systemctl restart "$unit"
            log "restarted ${unit} for the new registries.yaml"
        fi
    done
fi
