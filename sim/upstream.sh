#!/usr/bin/env bash
# sim/upstream.sh start|stop|status: the stand-in "internet" host, netns
# pcl-upstream at 172.30.200.2 on pcnet0:
#   :5000  plain docker-registry (storage .cache/sim/upstream-registry)
#   :8080  static files from .cache/sim/upstream-files/
# up.sh starts it and down.sh stops it; tests stop it to prove that the
# mirrors serve from their cache. Stopping keeps the namespace (and data).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_root
case "${1:-}" in
    start)
        take_lock
        ensure_host_tools
        upstream_start
        log "upstream: registry http://$UPSTREAM_IP:$UPSTREAM_REGISTRY_PORT, files http://$UPSTREAM_IP:$UPSTREAM_HTTP_PORT"
        ;;
    stop)
        take_lock
        upstream_stop
        log "upstream: stopped"
        ;;
    status)
        if upstream_running; then echo running; else
            echo stopped
            exit 3
        fi
        ;;
    *) die "usage: sim/upstream.sh start|stop|status" ;;
esac
