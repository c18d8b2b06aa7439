#!/usr/bin/env bash
# supervise.sh NAME: run one node's systemd-nspawn, started by up.sh in the
# background (own session, output to .cache/sim/NAME.log). `systemctl reboot`
# in the node makes nspawn exit 133: boot it again. Any other exit, or SIGTERM
# (down.sh; forwarded to nspawn = orderly poweroff of the node), ends the loop.
# (All in main: bash reads a script as it runs, and this one runs for hours,
# so an edit of this file must not reach a running supervisor.)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

child=
stopping=false
# shellcheck disable=SC2317 # called by the trap in main
on_term() {
    stopping=true
    if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
}

main() {
    local n=${1:?usage: supervise.sh NAME} cmd=() boots=0 rc
    load_nodes
    [ -n "${NODE_ROLE[$n]:-}" ] || die "unknown node $n"
    mkdir -p "$RUN_DIR"
    close_fds
    # (spawn in lib.sh wrote this process's pid: detach.sh exec'd this script.)
    trap on_term TERM INT HUP
    mapfile -d '' cmd < <(nspawn_args "$n")
    while :; do
        [ -e "$RUN_DIR/$n.stop" ] && stopping=true
        $stopping && break
        boots=$((boots + 1))
        log "$n: boot #$boots"
        "${cmd[@]}" &
        child=$!
        echo "$child" >"$RUN_DIR/$n.nspawn.pid"
        rc=0
        wait "$child" || rc=$?
        # A trapped signal interrupts wait (status > 128): wait again for nspawn.
        while kill -0 "$child" 2>/dev/null; do
            rc=0
            wait "$child" || rc=$?
        done
        child=
        rm -f "$RUN_DIR/$n.nspawn.pid"
        # A killed nspawn leaves its container behind: never boot a second one.
        container_kill "$n"
        if [ "$rc" -eq 133 ] && ! $stopping && [ ! -e "$RUN_DIR/$n.stop" ]; then
            log "$n: rebooting (nspawn exit 133)"
            sleep 0.5
            continue
        fi
        log "$n: stopped (nspawn exit $rc)"
        break
    done
    rm -f "$RUN_DIR/$n.supervisor.pid"
}

main "$@"
exit
