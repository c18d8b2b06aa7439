#!/usr/bin/env bash
# OCI pull-through mirror on the ingress: one Debian docker-registry (CNCF
# distribution) instance in proxy mode per upstream registry, each on its own
# port, as a systemd template unit. Restarts only the instances whose config
# changed, and retires instances no longer configured.
# A timer removes cached blobs whose content no longer matches their digest,
# so a corrupted blob is fetched again instead of being served for ever.
# Inputs: STEP MIRROR_UNIT MIRROR_CONFIGS (lines of "<registry> <base64 config>")
#         VERIFY_PATH VERIFY_SCRIPT VERIFY_SERVICE VERIFY_TIMER
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

write_file "$VERIFY_PATH" 0755 "$VERIFY_SCRIPT" || true
units_changed=false
if write_file /etc/systemd/system/picluster-mirror-verify.service 0644 "$VERIFY_SERVICE"; then units_changed=true; fi
if write_file /etc/systemd/system/picluster-mirror-verify.timer 0644 "$VERIFY_TIMER"; then units_changed=true; fi
if [ "$units_changed" = true ]; then
    systemctl daemon-reload
    systemctl restart picluster-mirror-verify.timer
fi
ensure_enabled_started picluster-mirror-verify.timer
