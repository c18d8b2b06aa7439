#!/usr/bin/env bash
# Installed on the ingress as /usr/local/lib/picluster/mirror-verify.sh and run
# by picluster-mirror-verify.timer. docker-registry names every cached blob by
# its digest but does not re-check it when serving, so a blob corrupted on the
# SD card would be served (and rejected by every client) for ever. This removes
# each blob whose content no longer matches its name; the next pull fetches it
# from upstream again.
# usage: mirror-verify.sh [CACHE_ROOT]   (default /var/lib/picluster/mirror)
set -euo pipefail
root=${1:-/var/lib/picluster/mirror}
removed=0
declare -A registries=()
while IFS= read -r -d '' data; do
    want=$(basename "$(dirname "$data")")
    got=$(sha256sum "$data" | cut -d' ' -f1)
    if [ "$got" != "$want" ]; then
        rm -rf "$(dirname "$data")"
        printf 'mirror-verify: removed corrupted blob sha256:%s (content sha256:%s)\n' "$want" "$got" >&2
        removed=$((removed + 1))
        rel=${data#"$root"/}
        registries[${rel%%/*}]=1
    fi
done < <(find "$root" -path '*/blobs/sha256/*/*/data' -type f -print0 2>/dev/null)
# A restart drops whatever the instance still remembers about the removed blobs.
for registry in "${!registries[@]}"; do
    systemctl try-restart "picluster-mirror@${registry}.service" 2>/dev/null || true
done
printf 'mirror-verify: %d corrupted blob(s) removed\n' "$removed" >&2
