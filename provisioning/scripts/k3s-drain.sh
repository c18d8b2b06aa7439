#!/usr/bin/env bash
# On the server, before an agent's upgrade: cordon and drain the agent when its
# kubelet is not at the pinned version yet. Marks the node so that the matching
# uncordon step knows the drain was ours.
# Inputs: STEP NODE_NAME K3S_VERSION
. ./lib.sh # picluster:inline

kubectl() { /usr/local/bin/k3s kubectl --request-timeout=30s "$@"; }
current=$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.nodeInfo.kubeletVersion}' 2>/dev/null || true)
if [ -z "$current" ] || [ "$current" = "$K3S_VERSION" ]; then
    log "${NODE_NAME}: nothing to drain (kubelet '${current:-not registered}')"
    exit 0
fi
log "draining ${NODE_NAME} (${current} -> ${K3S_VERSION})"
kubectl annotate --overwrite node "$NODE_NAME" picluster.dev/drained-for="$K3S_VERSION" >/dev/null
kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout=300s >&2
