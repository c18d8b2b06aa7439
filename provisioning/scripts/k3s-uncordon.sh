#!/usr/bin/env bash
# On the server, after an agent's install or upgrade: wait until the agent is
# Ready at the pinned version, then uncordon it if our drain cordoned it.
# Inputs: STEP NODE_NAME K3S_VERSION
. ./lib.sh # picluster:inline

kubectl() { /usr/local/bin/k3s kubectl --request-timeout=30s "$@"; }
ready_at_version() {
    [ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.nodeInfo.kubeletVersion}')" = "$K3S_VERSION" ] \
        && kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -x True >/dev/null
}
wait_for "${NODE_NAME} to be Ready at ${K3S_VERSION}" 300 ready_at_version
if [ -n "$(kubectl get node "$NODE_NAME" -o jsonpath='{.metadata.annotations.picluster\.dev/drained-for}')" ]; then
    kubectl uncordon "$NODE_NAME" >&2
    kubectl annotate node "$NODE_NAME" picluster.dev/drained-for- >/dev/null
    log "uncordoned ${NODE_NAME}"
fi
