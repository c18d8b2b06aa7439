#!/usr/bin/env bash
# The host directory behind the pinned local PersistentVolume of the database.
# Created once, owned by the container's postgres user. Never removed by
# `pulumi destroy`: the data outlives the cluster (see the README to delete it).
# Inputs: STEP DATA_DIR DATA_UID
. ./lib.sh # picluster:inline

if [ ! -d "$DATA_DIR" ]; then
    install -d -m 0700 -o "$DATA_UID" -g "$DATA_UID" "$DATA_DIR"
    log "created ${DATA_DIR}"
elif [ "$(stat -c %u "$DATA_DIR")" != "$DATA_UID" ]; then
    chown "$DATA_UID:$DATA_UID" "$DATA_DIR"
    log "fixed owner of ${DATA_DIR}"
fi
