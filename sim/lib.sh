# shellcheck shell=bash
# Shared by sim/*.sh: simulated Raspberry Pi nodes on this machine, each a
# systemd-nspawn container (systemd as init, sshd) in its own network namespace.
#
#   pclan0  bridge, 172.30.100.0/24, the nodes' private LAN (no host address)
#   pcnet0  bridge, 172.30.200.0/24, the "internet" segment; host 172.30.200.1,
#           upstream fixture host (netns pcl-upstream) 172.30.200.2
#
# Everything generated lives in .cache/sim/ (git-ignored).

SIM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SIM_DIR/.." && pwd)
CACHE_DIR="$REPO_DIR/.cache/sim"
RUN_DIR="$CACHE_DIR/run"
NODES_DIR="$CACHE_DIR/nodes"
BASE_DIR="$CACHE_DIR/base-rootfs"
BASE_STAMP="$CACHE_DIR/base-rootfs.stamp"
SSH_KEY="$CACHE_DIR/ssh/id_ed25519"
KNOWN_HOSTS="$CACHE_DIR/known_hosts"
NODES_JSON="$CACHE_DIR/nodes.json"
NODES_TSV="$SIM_DIR/nodes.tsv"

LAN_BRIDGE=pclan0
LAN_PREFIX=24
NET_BRIDGE=pcnet0
NET_PREFIX=24
NET_HOST_IP=172.30.200.1
LAN_NS=pcl-lan
LAN_NS_IP=172.30.100.2
LAN_NS_MAC=02:50:69:64:00:02
UPSTREAM_NS=pcl-upstream
UPSTREAM_IP=172.30.200.2
UPSTREAM_MAC=02:50:69:64:01:02
UPSTREAM_REGISTRY_PORT=5000
UPSTREAM_HTTP_PORT=8080
SUITE=bookworm

# Blank cards: SIM_BOOTFS=DIR boots every node that has a directory DIR/NAME as a
# freshly flashed Raspberry Pi OS card whose boot partition holds that
# directory's files (npm run bootstrap --boot DIR/NAME): no host key, no user,
# no authorised key, host name "raspberrypi", cloud-init on, seeded from
# /boot/firmware. Read when a node's rootfs copy is made (after down.sh).
BOOTFS_DIR=${SIM_BOOTFS:-}
node_blank() { [ -n "$BOOTFS_DIR" ] && [ -d "$BOOTFS_DIR/$1" ]; }

# Time bounds (seconds).
SSH_WAIT=${SIM_SSH_WAIT:-60}
STOP_WAIT=${SIM_STOP_WAIT:-30}

# The base rootfs. Changing either list (or BASE_RECIPE) rebuilds it on the next up.
BASE_RECIPE=5
BOOTSTRAP_PKGS=systemd,systemd-sysv,dbus,openssh-server,iproute2
# cloud-init: installed but off (/etc/cloud/cloud-init.disabled) except on a
# node booted from a blank card (SIM_BOOTFS, below).
BASE_PKGS="sudo curl ca-certificates python3 dnsmasq ntpsec-ntpdate ntpsec-ntpdig systemd-timesyncd docker-registry nftables kmod procps iputils-ping less cloud-init"
# ntpsec and systemd-timesyncd conflict (both provide time-daemon), so the base
# has timesyncd (what Raspberry Pi OS ships) and keeps ntpsec's .debs; the
# ingress (the NTP server) gets them swapped in when its rootfs is made.
INGRESS_SWAP_PKGS="ntpsec python3-ntp"
# Services these packages enable by default; a node starts bare (disabled, not
# masked: provisioning runs plain `systemctl enable`).
BASE_DISABLE="dnsmasq.service ntpsec.service docker-registry.service systemd-timesyncd.service"
CMDLINE_TXT="console=serial0,115200 console=tty1 root=PARTUUID=deadbeef-02 rootfstype=ext4 fsck.repair=yes rootwait"

log() { printf '[sim %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf '[sim] error: %s\n' "$*" >&2; exit 1; }

require_root() { [ "$(id -u)" -eq 0 ] || die "run as root (needs network namespaces and systemd-nspawn)"; }

# Serialise up/down/upstream: one at a time.
take_lock() {
    mkdir -p "$CACHE_DIR"
    exec 9>"$CACHE_DIR/.lock"
    flock -w 900 9 || die "another sim/ script holds $CACHE_DIR/.lock (waited 900 s)"
}

# ensure_host_tools: install what the scripts need on the host (apt, once).
ensure_host_tools() {
    local want=(systemd-nspawn:systemd-container debootstrap:debootstrap docker-registry:docker-registry
        ssh:openssh-client ssh-keygen:openssh-client ip:iproute2 flock:util-linux setsid:util-linux
        curl:curl nft:nftables /usr/bin/python3:python3)
    local missing=() item
    for item in "${want[@]}"; do
        command -v "${item%%:*}" >/dev/null 2>&1 || missing+=("${item##*:}")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    log "installing host packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Node inventory: sets NODE_NAMES and, per node, NODE_ROLE/LAN_IP/MAC/NET_IP.
declare -a NODE_NAMES=()
declare -A NODE_ROLE=() NODE_LAN_IP=() NODE_MAC=() NODE_NET_IP=()
load_nodes() {
    local name role ip mac net
    NODE_NAMES=()
    while IFS=$'\t' read -r name role ip mac net; do
        case "$name" in '' | '#'*) continue ;; esac
        [ "${#name}" -le 12 ] || die "nodes.tsv: node name '$name' longer than 12 characters (interface names)"
        NODE_NAMES+=("$name")
        NODE_ROLE[$name]=$role
        NODE_LAN_IP[$name]=$ip
        NODE_MAC[$name]=$mac
        NODE_NET_IP[$name]=${net:--}
    done <"$NODES_TSV"
    [ "${#NODE_NAMES[@]}" -gt 0 ] || die "no nodes in $NODES_TSV"
    jump_node >/dev/null
}

# jump_node: the ingress, the only node the host reaches directly.
jump_node() {
    local n
    for n in "${NODE_NAMES[@]}"; do
        if [ "${NODE_ROLE[$n]}" = ingress ]; then
            [ "${NODE_NET_IP[$n]}" != - ] || die "nodes.tsv: the ingress needs a net_ip"
            printf '%s\n' "$n"
            return 0
        fi
    done
    die "nodes.tsv: no node with role ingress"
}

node_ns() { printf 'pcl-%s\n' "$1"; }
node_root() { printf '%s/%s\n' "$NODES_DIR" "$1"; }
node_ssh_host() { if [ "${NODE_ROLE[$1]}" = ingress ]; then printf '%s\n' "${NODE_NET_IP[$1]}"; else printf '%s\n' "${NODE_LAN_IP[$1]}"; fi; }
# The MAC of a node's internet interface: the LAN MAC with 01 in the 5th octet.
net_mac() { local m=$1; printf '%s:01:%s\n' "${m%:*:*}" "${m##*:}"; }

# close_fds: close every inherited descriptor but 0-2 (and bash's script fd),
# so a background process holds no caller's pipe or lock open.
close_fds() {
    local fd
    for fd in /proc/self/fd/*; do
        fd=${fd##*/}
        case "$fd" in 0 | 1 | 2 | 255) continue ;; esac
        exec {fd}>&-
    done
}

# spawn LOG PIDFILE CMD...: CMD in the background, detached (own session, no
# inherited descriptors, output appended to LOG), its pid in PIDFILE.
spawn() {
    local logf=$1 pidf=$2 deadline=$((SECONDS + 5))
    shift 2
    rm -f "$pidf"
    setsid "$SIM_DIR/detach.sh" "$pidf" "$@" >>"$logf" 2>&1 </dev/null &
    while [ "$SECONDS" -le "$deadline" ]; do
        [ -s "$pidf" ] && return 0
        sleep 0.1
    done
    die "could not start $1 (log: $logf)"
}

# replace_if_changed TMP DEST: move TMP over DEST only if they differ (a
# second up.sh leaves the files, mtimes included, alone).
replace_if_changed() {
    if [ -f "$2" ] && cmp -s "$1" "$2"; then rm -f "$1"; else mv "$1" "$2"; fi
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
read_pid() { if [ -f "$1" ]; then cat "$1" 2>/dev/null || true; fi; }

# ---------------------------------------------------------------- apt mirror

# apt_mirror: the Debian mirror the host's apt uses for $SUITE (read, never
# hard-coded), from deb822 .sources files or one-line .list files.
apt_mirror() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk -v suite="$SUITE" '
            function flush() { if (types ~ /(^| )deb( |$)/ && suites ~ ("(^| )" suite "( |$)") && enabled != "no" && uris != "") { split(uris, u, " "); print u[1]; found = 1; exit } }
            /^[[:space:]]*$/ { flush(); types = suites = uris = enabled = ""; next }
            /^[Tt]ypes:/ { sub(/^[^:]*:[[:space:]]*/, ""); types = $0 }
            /^URIs:/ { sub(/^[^:]*:[[:space:]]*/, ""); uris = $0 }
            /^Suites:/ { sub(/^[^:]*:[[:space:]]*/, ""); suites = $0 }
            /^Enabled:/ { sub(/^[^:]*:[[:space:]]*/, ""); enabled = tolower($0) }
            END { if (!found) flush() }' "$f")
        if [ -n "$uri" ]; then printf '%s\n' "$uri"; return 0; fi
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(awk -v suite="$SUITE" '
            $1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' "$f")
        if [ -n "$uri" ]; then printf '%s\n' "$uri"; return 0; fi
    done
    return 1
}

# ---------------------------------------------------------------- base rootfs

base_wanted_stamp() { printf 'recipe=%s suite=%s bootstrap=%s pkgs=%s swap=%s\n' "$BASE_RECIPE" "$SUITE" "$BOOTSTRAP_PKGS" "$BASE_PKGS" "$INGRESS_SWAP_PKGS"; }
base_ok() { [ -d "$BASE_DIR" ] && [ -f "$BASE_STAMP" ] && [ "$(cat "$BASE_STAMP")" = "$(base_wanted_stamp)" ]; }

# in_root DIR CMD...: run a command inside a rootfs (not booted), host network.
in_root() {
    local dir=$1
    shift
    systemd-nspawn --quiet --register=no --keep-unit --directory="$dir" --resolv-conf=replace-host \
        --timezone=off --link-journal=no --setenv=DEBIAN_FRONTEND=noninteractive "$@" </dev/null
}

ensure_base() {
    if base_ok; then
        log "base rootfs: cached ($BASE_DIR)"
        return 0
    fi
    local tmp="$CACHE_DIR/base-rootfs.tmp" mirror
    mirror=$(apt_mirror) || die "no Debian $SUITE source in /etc/apt/sources.list{,.d/*}: cannot debootstrap"
    log "base rootfs: building with debootstrap (a minute or two)"
    rm -rf "$tmp" "$BASE_STAMP"
    [ ! -e "$BASE_DIR" ] || rm -rf "$BASE_DIR"
    mkdir -p "$CACHE_DIR"
    if ! debootstrap --variant=minbase --include="$BOOTSTRAP_PKGS" "$SUITE" "$tmp" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1; then
        tail -n 20 "$CACHE_DIR/debootstrap.log" >&2
        die "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"
    fi
    # No service may start while packages install (the host is not the node).
    printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
    chmod 0755 "$tmp/usr/sbin/policy-rc.d"
    # shellcheck disable=SC2086 # word lists on purpose
    if ! in_root "$tmp" /bin/sh -ec "apt-get update -qq
        apt-get install -y -qq --no-install-recommends $BASE_PKGS
        mkdir -p /var/cache/sim-debs && cd /var/cache/sim-debs && apt-get download -qq $INGRESS_SWAP_PKGS
        apt-get clean" >>"$CACHE_DIR/debootstrap.log" 2>&1; then
        tail -n 20 "$CACHE_DIR/debootstrap.log" >&2
        die "installing the base packages failed (log: $CACHE_DIR/debootstrap.log)"
    fi
    rm -f "$tmp/usr/sbin/policy-rc.d"
    configure_base "$tmp"
    mv "$tmp" "$BASE_DIR"
    base_wanted_stamp >"$BASE_STAMP"
    log "base rootfs: ready ($(du -sh "$BASE_DIR" | cut -f1))"
}

configure_base() {
    local d=$1 unit
    for unit in $BASE_DISABLE; do
        systemctl --root="$d" disable --quiet "$unit" 2>/dev/null || true
    done
    systemctl --root="$d" enable --quiet systemd-networkd.service
    # sshd: root with a key only; the ingress is the jump host (forwarding on).
    mkdir -p "$d/etc/ssh/sshd_config.d"
    printf '%s\n' '# sim/: key-only root login; TCP forwarding for the jump host.' \
        'HostKey /etc/ssh/ssh_host_ed25519_key' 'PermitRootLogin prohibit-password' \
        'PasswordAuthentication no' 'KbdInteractiveAuthentication no' 'AllowTcpForwarding yes' \
        'UseDNS no' >"$d/etc/ssh/sshd_config.d/10-sim.conf"
    rm -f "$d"/etc/ssh/ssh_host_*_key "$d"/etc/ssh/ssh_host_*_key.pub
    # Each node gets its own machine-id, host key and hostname.
    : >"$d/etc/machine-id"
    rm -f "$d/var/lib/dbus/machine-id"
    # cloud-init stays off unless a node boots from a blank card (make_node_root).
    mkdir -p "$d/etc/cloud"
    : >"$d/etc/cloud/cloud-init.disabled"
    # Nodes are offline: no package sources (and no mirror name left behind).
    rm -f "$d/etc/apt/sources.list" "$d"/etc/apt/sources.list.d/*
    rm -rf "$d"/var/lib/apt/lists/*
    : >"$d/etc/apt/sources.list"
    mkdir -p "$d/boot/firmware"
    printf '%s\n' "$CMDLINE_TXT" >"$d/boot/firmware/cmdline.txt"
    # A container shares the host's clock and must not set it (no
    # CAP_SYS_TIME), so both time daemons would skip starting. Let them run
    # and serve/follow time without owning the clock.
    mkdir -p "$d/etc/systemd/system/ntpsec.service.d" "$d/etc/systemd/system/systemd-timesyncd.service.d"
    printf '%s\n' '# sim/: no CAP_SYS_TIME in a container; run as root (no privilege drop).' \
        '[Unit]' 'ConditionCapability=' '[Service]' 'ExecStart=' \
        'ExecStart=/usr/sbin/ntpd -p /run/ntpd.pid -c /etc/ntpsec/ntp.conf -g -N' \
        >"$d/etc/systemd/system/ntpsec.service.d/10-sim-container.conf"
    printf '%s\n' '# sim/: no CAP_SYS_TIME in a container; run anyway (the clock is the host'"'"'s).' \
        '[Unit]' 'ConditionCapability=' 'ConditionVirtualization=' \
        >"$d/etc/systemd/system/systemd-timesyncd.service.d/10-sim-container.conf"
    rm -f "$d/etc/resolv.conf"
    : >"$d/etc/resolv.conf"
    # No getty on the (absent) consoles.
    systemctl --root="$d" mask --quiet console-getty.service getty@tty1.service 2>/dev/null || true
}

# ---------------------------------------------------------------- network

ensure_bridge() {
    local br=$1
    ip link show "$br" >/dev/null 2>&1 || ip link add "$br" type bridge
    # No host address on the LAN at all: not even an IPv6 link-local one.
    sysctl -qw "net.ipv6.conf.$br.disable_ipv6=1" >/dev/null
    ip link set "$br" up
}

ensure_bridges() {
    ensure_bridge "$LAN_BRIDGE"
    ensure_bridge "$NET_BRIDGE"
    ip addr replace "$NET_HOST_IP/$NET_PREFIX" dev "$NET_BRIDGE"
    ensure_host_firewall
}

# The nodes and the upstream host must not open connections to the host
# itself (its own services listen on 0.0.0.0): on the two bridges the host
# accepts only replies to what it opened. Bridged traffic is not touched.
HOST_FW_TABLE=pcl_sim
ensure_host_firewall() {
    nft list table inet "$HOST_FW_TABLE" >/dev/null 2>&1 && return 0
    nft -f - <<EOF
table inet $HOST_FW_TABLE {
    chain input {
        type filter hook input priority filter; policy accept;
        iifname { "$LAN_BRIDGE", "$NET_BRIDGE" } ct state established,related accept
        iifname { "$LAN_BRIDGE", "$NET_BRIDGE" } drop
    }
}
EOF
}
remove_host_firewall() { nft delete table inet "$HOST_FW_TABLE" 2>/dev/null || true; }

# ensure_veth NS HOST_IF INNER_IF MAC BRIDGE ADDR/PREFIX
ensure_veth() {
    local ns=$1 hif=$2 inner=$3 mac=$4 br=$5 cidr=$6
    if ! ip -n "$ns" link show "$inner" >/dev/null 2>&1; then
        ip link del "$hif" 2>/dev/null || true
        ip link add "$hif" type veth peer name "$inner" address "$mac" netns "$ns"
    fi
    ip link set "$hif" master "$br" up
    ip -n "$ns" link set "$inner" address "$mac" up
    ip -n "$ns" addr replace "$cidr" dev "$inner"
}

ensure_netns() {
    local ns=$1
    if ! mountpoint -q "/run/netns/$ns" 2>/dev/null; then
        # (A leftover file that is no namespace mount, e.g. after a host reboot.)
        rm -f "/run/netns/$ns"
        ip netns add "$ns"
    fi
    ip -n "$ns" link set lo up
}

# A node's namespace: eth0 on the LAN, eth1 on the internet segment (if any),
# each only with its directly connected /24: no default route anywhere.
ensure_node_net() {
    local n=$1 ns
    ns=$(node_ns "$n")
    ensure_netns "$ns"
    ensure_veth "$ns" "pl-$n" eth0 "${NODE_MAC[$n]}" "$LAN_BRIDGE" "${NODE_LAN_IP[$n]}/$LAN_PREFIX"
    if [ "${NODE_NET_IP[$n]}" != - ]; then
        ensure_veth "$ns" "pn-$n" eth1 "$(net_mac "${NODE_MAC[$n]}")" "$NET_BRIDGE" "${NODE_NET_IP[$n]}/$NET_PREFIX"
    fi
}

# The stand-in LAN machine of sim/lan.sh.
ensure_lan_ns() {
    ensure_netns "$LAN_NS"
    ensure_veth "$LAN_NS" pl-lan eth0 "$LAN_NS_MAC" "$LAN_BRIDGE" "$LAN_NS_IP/$LAN_PREFIX"
}

# ---------------------------------------------------------------- nodes

# make_node_root NAME: a node's own copy of the base rootfs (kept until down).
make_node_root() {
    local n=$1 root tmp
    root=$(node_root "$n")
    [ -d "$root" ] && return 0
    tmp="$root.tmp"
    rm -rf "$tmp"
    mkdir -p "$NODES_DIR"
    # A new node, a new log (the previous one kept as NAME.log.1).
    [ ! -s "$CACHE_DIR/$n.log" ] || mv -f "$CACHE_DIR/$n.log" "$CACHE_DIR/$n.log.1"
    cp --reflink=auto -a "$BASE_DIR" "$tmp"
    tr -d '-' </proc/sys/kernel/random/uuid >"$tmp/etc/machine-id"
    if node_blank "$n"; then
        make_blank_card "$n" "$tmp"
    else
        printf '%s\n' "$n" >"$tmp/etc/hostname"
        printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$n" >"$tmp/etc/hosts"
        ssh-keygen -q -t ed25519 -N '' -C "root@$n" -f "$tmp/etc/ssh/ssh_host_ed25519_key"
        install -d -m 0700 "$tmp/root/.ssh"
        install -m 0600 "$SSH_KEY.pub" "$tmp/root/.ssh/authorized_keys"
    fi
    # The addresses live in the node's network namespace, made before boot and
    # kept across reboots, like a Pi's static configuration. systemd-networkd
    # would try to re-add them and fail ("Numerical result out of range"),
    # which leaves network-online.target waiting two minutes: it stays off.
    rm -f "$tmp"/etc/systemd/network/05-sim-eth*.network
    systemctl --root="$tmp" disable --quiet systemd-networkd.service systemd-networkd.socket 2>/dev/null || true
    systemctl --root="$tmp" mask --quiet systemd-networkd-wait-online.service
    if [ "${NODE_ROLE[$n]}" = ingress ]; then
        # The NTP server: ntpsec instead of timesyncd (they conflict).
        printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
        chmod 0755 "$tmp/usr/sbin/policy-rc.d"
        in_root "$tmp" --private-network --resolv-conf=off /bin/sh -ec 'dpkg --purge systemd-timesyncd >/dev/null
            dpkg -i /var/cache/sim-debs/*.deb >/dev/null' >>"$CACHE_DIR/$n.log" 2>&1 ||
            die "$n: swapping systemd-timesyncd for ntpsec failed (log: $CACHE_DIR/$n.log)"
        rm -f "$tmp/usr/sbin/policy-rc.d"
        systemctl --root="$tmp" disable --quiet ntpsec.service 2>/dev/null || true
    fi
    # DNS as DHCP would give it once the ingress serves it.
    rm -f "$tmp/etc/resolv.conf"
    printf 'nameserver %s\n' "${NODE_LAN_IP[$(jump_node)]}" >"$tmp/etc/resolv.conf"
    mv "$tmp" "$root"
}

# make_blank_card NAME ROOT: the node as a freshly flashed card with the
# first-boot files on its boot partition: what a Pi has before its first boot.
make_blank_card() {
    local n=$1 d=$2
    printf 'raspberrypi\n' >"$d/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$d/etc/hosts"
    # The image's own sshd settings (Debian's defaults: password login on); the
    # jump host keeps TCP forwarding. What cloud-init writes decides the rest.
    printf '%s\n' '# sim/: a blank card; cloud-init sets up login.' 'UseDNS no' >"$d/etc/ssh/sshd_config.d/10-sim.conf"
    cp "$BOOTFS_DIR/$n"/* "$d/boot/firmware/"
    chmod 0600 "$d/boot/firmware/user-data" "$d/boot/firmware/network-config"
    # NoCloud's seed directory is the boot partition, as on Raspberry Pi OS.
    mkdir -p "$d/var/lib/cloud/seed"
    ln -sfn /boot/firmware "$d/var/lib/cloud/seed/nocloud"
    rm -f "$d/etc/cloud/cloud-init.disabled"
}

# The nspawn command line for a node (also used by supervise.sh on restarts).
nspawn_args() {
    local n=$1 extra=()
    read -ra extra <<<"${SIM_NSPAWN_ARGS:-}"
    printf '%s\0' systemd-nspawn --quiet --boot --register=no --keep-unit \
        --directory="$(node_root "$n")" --machine="$n" \
        --network-namespace-path="/run/netns/$(node_ns "$n")" --capability=CAP_NET_ADMIN \
        --resolv-conf=off --timezone=off --link-journal=no --console=read-only "${extra[@]}"
}

node_running() {
    local pid
    pid=$(read_pid "$RUN_DIR/$1.supervisor.pid")
    pid_alive "$pid" && grep -qa supervise.sh "/proc/$pid/cmdline" 2>/dev/null
}

start_node() {
    local n=$1
    if node_running "$n"; then
        return 0
    fi
    mkdir -p "$RUN_DIR"
    container_kill "$n"
    rm -f "$RUN_DIR/$n.stop" "$RUN_DIR/$n.supervisor.pid" "$RUN_DIR/$n.nspawn.pid"
    spawn "$CACHE_DIR/$n.log" "$RUN_DIR/$n.supervisor.pid" "$SIM_DIR/supervise.sh" "$n"
}

# ns_kill NS: SIGKILL whatever still runs in a network namespace (all ours).
ns_kill() {
    local ns=$1 pids
    [ -e "/run/netns/$ns" ] || return 0
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
}

# container_kill NAME: SIGKILL what is left of a node's container: processes
# in its network namespace but not in the host's PID namespace (a SIGKILLed
# nspawn leaves its container running). Spares host processes that merely
# entered the namespace (ip netns exec pcl-NAME ...).
container_kill() {
    local ns p host_pidns left=()
    ns=$(node_ns "$1")
    [ -e "/run/netns/$ns" ] || return 0
    host_pidns=$(readlink /proc/self/ns/pid)
    for p in $(ip netns pids "$ns" 2>/dev/null || true); do
        [ "$(readlink "/proc/$p/ns/pid" 2>/dev/null || echo "$host_pidns")" = "$host_pidns" ] || left+=("$p")
    done
    [ "${#left[@]}" -eq 0 ] && return 0
    log "$1: killing ${#left[@]} leftover container processes"
    kill -KILL "${left[@]}" 2>/dev/null || true
}

# stop_nodes NAME...: orderly poweroff (SIGTERM to nspawn = SIGRTMIN+3 to the
# node's systemd), bounded; then SIGKILL what is left.
stop_nodes() {
    local n pid deadline left
    for n in "$@"; do
        pid=$(read_pid "$RUN_DIR/$n.supervisor.pid")
        if pid_alive "$pid"; then
            : >"$RUN_DIR/$n.stop"
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    deadline=$((SECONDS + STOP_WAIT))
    while :; do
        left=()
        for n in "$@"; do node_running "$n" && left+=("$n"); done
        [ "${#left[@]}" -eq 0 ] && break
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "did not power off within ${STOP_WAIT}s, killing: ${left[*]}"
            for n in "${left[@]}"; do
                kill -KILL "$(read_pid "$RUN_DIR/$n.supervisor.pid")" "$(read_pid "$RUN_DIR/$n.nspawn.pid")" 2>/dev/null || true
            done
            break
        fi
        sleep 0.2
    done
    for n in "$@"; do
        container_kill "$n"
        rm -f "$RUN_DIR/$n.supervisor.pid" "$RUN_DIR/$n.nspawn.pid" "$RUN_DIR/$n.stop"
    done
}

# ---------------------------------------------------------------- ssh

ssh_base_opts() {
    printf '%s\0' -i "$SSH_KEY" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes \
        -o UserKnownHostsFile="$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=5 \
        -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -o LogLevel=ERROR
}

# ssh_node NAME CMD...: through the ingress unless NAME is the ingress.
ssh_node() {
    local n=$1 opts=() j jump o
    shift
    mapfile -d '' opts < <(ssh_base_opts)
    j=$(jump_node)
    if [ "$n" != "$j" ]; then
        # ProxyCommand (not -J) so the hop uses the same key and known_hosts.
        jump=ssh
        for o in "${opts[@]}"; do printf -v jump '%s %q' "$jump" "$o"; done
        opts+=(-o "ProxyCommand=$jump -W %h:%p root@$(node_ssh_host "$j")")
    fi
    # shellcheck disable=SC2029 # the command is meant to run on the node
    ssh "${opts[@]}" "root@$(node_ssh_host "$n")" "$@"
}

write_ssh_files() {
    local n tmp addrs key
    tmp="$KNOWN_HOSTS.tmp"
    : >"$tmp"
    for n in "${NODE_NAMES[@]}"; do
        # A blank card's key is the one its first-boot files carry: pinned by the program, not here.
        node_blank "$n" && continue
        key=$(cut -d' ' -f1,2 "$(node_root "$n")/etc/ssh/ssh_host_ed25519_key.pub")
        addrs="$(node_ssh_host "$n")"
        [ "${NODE_LAN_IP[$n]}" = "$addrs" ] || addrs="$addrs,${NODE_LAN_IP[$n]}"
        [ "${NODE_NET_IP[$n]}" = - ] || [[ ",$addrs," == *",${NODE_NET_IP[$n]},"* ]] || addrs="$addrs,${NODE_NET_IP[$n]}"
        printf '%s,%s %s\n' "$addrs" "$n" "$key" >>"$tmp"
    done
    replace_if_changed "$tmp" "$KNOWN_HOSTS"

    local j first=true jump_ip net
    j=$(jump_node)
    jump_ip=$(node_ssh_host "$j")
    tmp="$NODES_JSON.tmp"
    {
        printf '[\n'
        for n in "${NODE_NAMES[@]}"; do
            key=
            node_blank "$n" || key=$(cut -d' ' -f1,2 "$(node_root "$n")/etc/ssh/ssh_host_ed25519_key.pub")
            net=null
            [ "${NODE_NET_IP[$n]}" = - ] || net="\"${NODE_NET_IP[$n]}\""
            $first || printf ',\n'
            first=false
            printf '  {"name": "%s", "role": "%s", "lanIp": "%s", "mac": "%s", "internet": %s, "internetIp": %s, "sshHost": "%s", "jumpHost": %s, "hostKey": "%s"}' \
                "$n" "${NODE_ROLE[$n]}" "${NODE_LAN_IP[$n]}" "${NODE_MAC[$n]}" \
                "$([ "$net" = null ] && echo false || echo true)" "$net" "$(node_ssh_host "$n")" \
                "$([ "$n" = "$j" ] && echo null || echo "\"$jump_ip\"")" "$key"
        done
        printf '\n]\n'
    } >"$tmp"
    replace_if_changed "$tmp" "$NODES_JSON"
}

# wait_sshd NAME: sshd listening inside the node's namespace, bounded.
wait_sshd() {
    local n=$1 ns deadline
    ns=$(node_ns "$n")
    deadline=$((SECONDS + SSH_WAIT))
    # A blank card's first boot runs cloud-init before sshd starts.
    if node_blank "$n"; then deadline=$((SECONDS + ${SIM_BLANK_WAIT:-180})); fi
    until ip netns exec "$ns" timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/22' 2>/dev/null; do
        node_running "$n" || die "$n: the node stopped while booting (log: $CACHE_DIR/$n.log)"
        [ "$SECONDS" -lt "$deadline" ] || die "$n: sshd not listening after ${SSH_WAIT}s (log: $CACHE_DIR/$n.log)"
        sleep 0.5
    done
}

# ---------------------------------------------------------------- upstream

upstream_running() { pid_alive "$(read_pid "$RUN_DIR/upstream-registry.pid")" && pid_alive "$(read_pid "$RUN_DIR/upstream-http.pid")"; }

upstream_start() {
    mkdir -p "$RUN_DIR" "$CACHE_DIR/upstream-registry" "$CACHE_DIR/upstream-files"
    ensure_bridges
    ensure_netns "$UPSTREAM_NS"
    ensure_veth "$UPSTREAM_NS" pn-upstream eth0 "$UPSTREAM_MAC" "$NET_BRIDGE" "$UPSTREAM_IP/$NET_PREFIX"
    local cfg="$CACHE_DIR/upstream-registry.yml" pid
    printf '%s\n' '# Written by sim/lib.sh: the stand-in upstream registry (plain, not a proxy).' \
        'version: 0.1' 'log:' '  level: info' 'storage:' '  filesystem:' \
        "    rootdirectory: $CACHE_DIR/upstream-registry" '  delete:' '    enabled: true' \
        'http:' "  addr: $UPSTREAM_IP:$UPSTREAM_REGISTRY_PORT" >"$cfg.tmp"
    replace_if_changed "$cfg.tmp" "$cfg"
    pid=$(read_pid "$RUN_DIR/upstream-registry.pid")
    if ! pid_alive "$pid"; then
        spawn "$CACHE_DIR/upstream-registry.log" "$RUN_DIR/upstream-registry.pid" \
            ip netns exec "$UPSTREAM_NS" docker-registry serve "$cfg"
    fi
    pid=$(read_pid "$RUN_DIR/upstream-http.pid")
    if ! pid_alive "$pid"; then
        spawn "$CACHE_DIR/upstream-http.log" "$RUN_DIR/upstream-http.pid" \
            ip netns exec "$UPSTREAM_NS" /usr/bin/python3 -m http.server --bind "$UPSTREAM_IP" \
            --directory "$CACHE_DIR/upstream-files" "$UPSTREAM_HTTP_PORT"
    fi
    local deadline=$((SECONDS + 20))
    until curl -fs -m 2 -o /dev/null "http://$UPSTREAM_IP:$UPSTREAM_REGISTRY_PORT/v2/" &&
        curl -fs -m 2 -o /dev/null "http://$UPSTREAM_IP:$UPSTREAM_HTTP_PORT/"; do
        upstream_running || die "upstream: a server exited (logs: $CACHE_DIR/upstream-*.log)"
        [ "$SECONDS" -lt "$deadline" ] || die "upstream: not answering on $UPSTREAM_IP:{$UPSTREAM_REGISTRY_PORT,$UPSTREAM_HTTP_PORT} after 20s"
        sleep 0.3
    done
}

upstream_stop() {
    local f pid deadline
    for f in upstream-registry upstream-http; do
        pid=$(read_pid "$RUN_DIR/$f.pid")
        if pid_alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    deadline=$((SECONDS + 10))
    while { pid_alive "$(read_pid "$RUN_DIR/upstream-registry.pid")" || pid_alive "$(read_pid "$RUN_DIR/upstream-http.pid")"; } &&
        [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.2
    done
    ns_kill "$UPSTREAM_NS"
    rm -f "$RUN_DIR/upstream-registry.pid" "$RUN_DIR/upstream-http.pid"
}
