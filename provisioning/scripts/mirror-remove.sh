#!/usr/bin/env bash
# Undo the mirror: stop every instance, remove unit, configs and the cache.
# Inputs: STEP
. ./lib.sh # picluster:inline

stop_disable picluster-mirror-verify.timer
rm -f /etc/systemd/system/picluster-mirror-verify.service /etc/systemd/system/picluster-mirror-verify.timer /usr/local/lib/picluster/mirror-verify.sh
for file in /etc/picluster/mirror/*.yml; do
    [ -e "$file" ] || continue
    systemctl disable -q --now "picluster-mirror@$(basename "$file" .yml).service" || true
done
rm -rf /etc/picluster/mirror /var/lib/picluster/mirror
if remove_file /etc/systemd/system/picluster-mirror@.service; then systemctl daemon-reload; fi
