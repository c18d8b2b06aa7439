#!/usr/bin/env bash
# sim/up.sh: bring up the simulated nodes (sim/nodes.tsv) and the upstream
# fixture host; idempotent (a second run only checks). Writes, in .cache/sim/:
#   ssh/id_ed25519  the key every node's root accepts (made once)
#   known_hosts     each node's host key, by its SSH address(es) and name
#   nodes.json      name, role, lanIp, sshHost, jumpHost, hostKey, ...
#   NAME.log        each node's console and supervisor log
# The host reaches only the ingress (172.30.200.101) directly; the other nodes
# are reached through it as an SSH jump host (sim/ssh.sh NAME does that).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_root
take_lock
ensure_host_tools
load_nodes
mkdir -p "$CACHE_DIR" "$RUN_DIR"

if [ ! -f "$SSH_KEY" ]; then
    install -d -m 0700 "$(dirname "$SSH_KEY")"
    ssh-keygen -q -t ed25519 -N '' -C sim-nodes -f "$SSH_KEY"
    log "ssh key: generated $SSH_KEY"
fi

ensure_base
ensure_bridges
# Each node's own rootfs copy, in parallel.
making=()
for n in "${NODE_NAMES[@]}"; do
    [ -d "$(node_root "$n")" ] && continue
    make_node_root "$n" &
    making+=("$n:$!")
done
[ "${#making[@]}" -eq 0 ] || log "making rootfs copies: ${making[*]%%:*}"
for m in "${making[@]}"; do
    wait "${m##*:}" || die "${m%%:*}: making its rootfs failed"
done
for n in "${NODE_NAMES[@]}"; do ensure_node_net "$n"; done
write_ssh_files
upstream_start

started=()
for n in "${NODE_NAMES[@]}"; do
    if ! node_running "$n"; then
        start_node "$n"
        started+=("$n")
    fi
done
[ "${#started[@]}" -eq 0 ] || log "booting: ${started[*]}"
for n in "${NODE_NAMES[@]}"; do wait_sshd "$n"; done

# End to end: every node over SSH (the others through the ingress), pinned keys.
# A blank card has no root login and its key is pinned by the program: its
# first login is the caller's (tests/e2e/bootstrap.e2e.test.ts).
for n in "${NODE_NAMES[@]}"; do
    if node_blank "$n"; then
        log "$n: booted from a blank card (cloud-init; sshd up)"
        continue
    fi
    deadline=$((SECONDS + SSH_WAIT))
    until got=$(ssh_node "$n" hostname 2>"$RUN_DIR/ssh-$n.err") && [ "$got" = "$n" ]; do
        [ "$SECONDS" -lt "$deadline" ] || die "$n: no SSH login as root@$(node_ssh_host "$n") after ${SSH_WAIT}s: $(tail -n 3 "$RUN_DIR/ssh-$n.err")"
        sleep 1
    done
    rm -f "$RUN_DIR/ssh-$n.err"
done
log "up: ${NODE_NAMES[*]} (sim/ssh.sh NAME; nodes in $NODES_JSON)"
