#!/usr/bin/env bash
# Shared helpers, inlined by provisioning/script.ts in place of the
# `. ./lib.sh # picluster:inline` line of each step script.
set -euo pipefail

log() { printf '[%s] %s\n' "${STEP:-picluster}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A write past a file-size limit fails with EFBIG instead of killing the step
# with SIGXFSZ, so write_file can report it.
trap '' XFSZ

# write_file PATH MODE CONTENT: install CONTENT (plus a trailing newline) at PATH.
# Returns 0 when the file changed, 1 when it already had this content.
# Callers test it (`if write_file ...`), and bash suspends errexit inside a test,
# so every step here is checked explicitly: a failed write (a full disk) stops the
# step with a message and leaves the old file in place, never a truncated one.
write_file() {
    local path=$1 mode=$2 content=$3 tmp
    if [ -f "$path" ] && printf '%s\n' "$content" | cmp -s - "$path"; then
        return 1
    fi
    mkdir -p "$(dirname "$path")" || die "cannot create $(dirname "$path")"
    tmp=$(mktemp "${path}.XXXXXX") || die "cannot create a temporary file next to $path"
    if ! printf '%s\n' "$content" >"$tmp" || ! printf '%s\n' "$content" | cmp -s - "$tmp"; then
        rm -f "$tmp"
        die "could not write $path (disk full?); the old file is left as it was"
    fi
    chmod "$mode" "$tmp" || { rm -f "$tmp"; die "cannot set mode $mode on $tmp"; }
    mv -f "$tmp" "$path" || { rm -f "$tmp"; die "cannot move $tmp to $path"; }
    log "wrote $path"
    return 0
}

# backup_once PATH: keep PATH's original as PATH.picluster-orig, made on the first
# change only, so that undoing restores what was there before the program came,
# not an intermediate version.
backup_once() {
    [ -e "$1.picluster-orig" ] && return 0
    cp -p "$1" "$1.picluster-orig" || die "cannot back up $1"
}

# remove_file PATH: returns 0 when something was removed.
remove_file() {
    if [ -e "$1" ]; then
        rm -f "$1"
        log "removed $1"
        return 0
    fi
    return 1
}

# Note for every script: a grep fed by a pipe reads to the end (`>/dev/null`,
# never `-q`). Under pipefail, `grep -q` exiting at the first match can kill the
# writer with SIGPIPE and turn the match into a failure.
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep 'install ok installed' >/dev/null; }

# ensure_pkgs PKG...: install the missing ones. Airgapped nodes cannot reach a
# package mirror, so there the packages must already be in the OS image.
ensure_pkgs() {
    local missing=() p
    for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
    [ "${#missing[@]}" -eq 0 ] && return 0
    log "installing ${missing[*]}"
    # Bounded: a stalled mirror fails the step instead of hanging it.
    local bound=(-o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30 -o Acquire::Retries=3)
    if ! { timeout 900 apt-get "${bound[@]}" update -qq && DEBIAN_FRONTEND=noninteractive timeout 900 apt-get "${bound[@]}" install -y -qq --no-install-recommends "${missing[@]}"; } >&2; then
        die "could not install ${missing[*]} on $(hostname): on an airgapped node these packages must be in the OS image"
    fi
}

unit_exists() { systemctl list-unit-files --no-legend "$1" 2>/dev/null | grep . >/dev/null; }

# ensure_enabled_started UNIT: enable and start, idempotently.
ensure_enabled_started() {
    systemctl is-enabled -q "$1" 2>/dev/null || systemctl enable -q "$1"
    systemctl is-active -q "$1" || systemctl start "$1"
}

# stop_disable UNIT: stop and disable if present.
stop_disable() {
    if unit_exists "$1"; then
        systemctl disable -q --now "$1" 2>/dev/null || true
    fi
}

# system_booted: systemd finished booting (degraded counts: one failed unit
# elsewhere is not ours to judge).
system_booted() {
    local state
    state=$(systemctl is-system-running 2>/dev/null || true)
    [ "$state" = running ] || [ "$state" = degraded ]
}

# wait_for DESCRIPTION SECONDS CMD...: bounded poll until CMD succeeds.
wait_for() {
    local what=$1 limit=$2 i
    shift 2
    for ((i = 0; i < limit; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    die "timed out after ${limit}s waiting for ${what}"
}
