#!/usr/bin/env bash
# OCI pull-through mirror on the ingress: one Debian docker-registry (CNCF
# distribution) instance in proxy mode per upstream registry, each on its own
# port, as a systemd template unit. Restarts only the instances whose config
# changed, and retires instances no longer configured.
# Inputs: STEP MIRROR_UNIT MIRROR_CONFIGS (lines of "<registry> <base64 config>")
. ./lib.sh # picluster:inline

ensure_pkgs docker-registry
# The package's own instance listens on :5000, which a mirror may need.
stop_disable docker-registry.service

unit=/etc/systemd/system/picluster-mirror@.service
if write_file "$unit" 0644 "$MIRROR_UNIT"; then systemctl daemon-reload; fi

wanted=()
while read -r registry config_b64; do
    [ -n "$registry" ] || continue
    wanted+=("$registry")
    install -d -o docker-registry -g docker-registry "/var/lib/picluster/mirror/${registry}" 2>/dev/null \
        || install -d "/var/lib/picluster/mirror/${registry}"
    config=$(printf '%s' "$config_b64" | base64 -d)
    instance="picluster-mirror@${registry}.service"
    if write_file "/etc/picluster/mirror/${registry}.yml" 0644 "$config" || ! systemctl is-active -q "$instance"; then
        systemctl enable -q "$instance"
        systemctl restart "$instance"
        log "mirror for ${registry} (re)started"
    fi
done <<<"$MIRROR_CONFIGS"

for file in /etc/picluster/mirror/*.yml; do
    [ -e "$file" ] || continue
    registry=$(basename "$file" .yml)
    case " ${wanted[*]} " in
        *" $registry "*) ;;
        *)
            systemctl disable -q --now "picluster-mirror@${registry}.service" || true
            rm -f "$file"
            log "retired mirror for ${registry}"
            ;;
    esac
done
