#!/usr/bin/env bash
# Node prerequisites: host name, the ingress's static LAN address, and the
# cgroup flags K3s needs in the Raspberry Pi kernel command line. When the
# flags change, sshd stops listening and the node reboots; the next step's SSH
# dial retries until it is back (so no step can run on the old boot).
# Inputs: STEP NODE_NAME LAN_IFACE LAN_CIDR STATIC_LAN CMDLINE_PATH CGROUP_FLAGS
. ./lib.sh # picluster:inline

# Judge the network and the command line only once boot has settled: a node
# reachable over SSH can still be bringing its interfaces up.
wait_for "systemd to finish booting" 120 system_booted

current_name=$(hostname)
if [ "$current_name" != "$NODE_NAME" ]; then
    hostnamectl set-hostname "$NODE_NAME" 2>/dev/null || { printf '%s\n' "$NODE_NAME" >/etc/hostname; hostname "$NODE_NAME"; }
    sed -i "s/^127\.0\.1\.1\s.*/127.0.1.1\t${NODE_NAME}/" /etc/hosts
    grep -q "^127\.0\.1\.1\s" /etc/hosts || printf '127.0.1.1\t%s\n' "$NODE_NAME" >>/etc/hosts
    log "host name ${current_name} -> ${NODE_NAME}"
fi

if [ "$STATIC_LAN" = true ] && ! ip -o addr show dev "$LAN_IFACE" | grep -w "inet ${LAN_CIDR}" >/dev/null; then
    # The ingress serves DHCP, so its own address cannot come from DHCP.
    if command -v nmcli >/dev/null 2>&1; then
        conn=$(nmcli -g GENERAL.CONNECTION device show "$LAN_IFACE" | head -n1)
        [ -n "$conn" ] || die "no NetworkManager connection on ${LAN_IFACE}"
        nmcli connection modify "$conn" ipv4.method manual ipv4.addresses "$LAN_CIDR" ipv4.gateway "" ipv4.never-default yes
        nmcli connection up "$conn" >/dev/null
    else
        write_file "/etc/systemd/network/10-picluster-lan.network" 0644 "$(printf '[Match]\nName=%s\n\n[Network]\nAddress=%s\n' "$LAN_IFACE" "$LAN_CIDR")" || true
        systemctl restart systemd-networkd
    fi
    log "static address ${LAN_CIDR} on ${LAN_IFACE}"
fi

[ -n "$CGROUP_FLAGS" ] || exit 0
[ -f "$CMDLINE_PATH" ] || die "${CMDLINE_PATH} not found: is this Raspberry Pi OS (bookworm)?"
cmdline=$(head -n1 "$CMDLINE_PATH")
updated=$cmdline
set -f # the flags are words, never globs
for flag in $CGROUP_FLAGS; do
    case " $updated " in
        *" $flag "*) ;;
        *) updated="$updated $flag" ;;
    esac
done
set +f
if [ "$updated" != "$cmdline" ]; then
    backup_once "$CMDLINE_PATH"
    write_file "$CMDLINE_PATH" 0755 "$updated" || true
    log "kernel command line changed; rebooting"
    # Stop accepting SSH first: existing sessions survive (KillMode=process),
    # new dials are refused until the node is back on its new boot.
    systemctl stop ssh.socket ssh.service 2>/dev/null || true
    systemd-run --quiet --on-active=2 /bin/systemctl reboot
fi
