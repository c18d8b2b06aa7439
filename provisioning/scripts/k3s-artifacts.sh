#!/usr/bin/env bash
# The ingress fetches the pinned K3s binary, its checksums and install.sh once,
# verifies them, and serves them over HTTP on the LAN to the airgapped nodes.
# It prints the sums of what it serves (k3s=, install=): the program passes them
# to the other nodes over SSH, so that a sum never travels with its file.
# Inputs: STEP K3S_VERSION K3S_ASSET BINARY_URL CHECKSUM_URL INSTALL_URL ARTIFACT_ROOT ARTIFACT_UNIT
. ./lib.sh # picluster:inline

dir="${ARTIFACT_ROOT}/k3s/${K3S_VERSION}"
sums="sha256sum-${K3S_ASSET#k3s-}.txt"
[ "$K3S_ASSET" = k3s ] && sums=sha256sum-amd64.txt

verified() {
    [ -f "${dir}/${K3S_ASSET}" ] && [ -f "${dir}/install.sh" ] && [ -f "${dir}/${sums}" ] \
        && (cd "$dir" && grep " ${K3S_ASSET}\$" "$sums" | sha256sum -c --status -)
}

if ! verified; then
    ensure_pkgs curl
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    fetch() { curl -fsSL --retry 5 --retry-delay 2 --connect-timeout 15 --max-time 900 -o "$2" "$1" || die "download failed: $1"; }
    fetch "$CHECKSUM_URL" "${tmp}/${sums}"
    fetch "$BINARY_URL" "${tmp}/${K3S_ASSET}"
    fetch "$INSTALL_URL" "${tmp}/install.sh"
    (cd "$tmp" && grep " ${K3S_ASSET}\$" "$sums" | sha256sum -c --status -) \
        || die "checksum mismatch for ${K3S_ASSET} ${K3S_VERSION}"
    install -d -m 0755 "$dir"
    install -m 0644 "${tmp}/${sums}" "${tmp}/install.sh" "$dir/"
    install -m 0755 "${tmp}/${K3S_ASSET}" "$dir/"
    log "fetched K3s ${K3S_VERSION} (${K3S_ASSET})"
fi

if write_file /etc/systemd/system/picluster-artifacts.service 0644 "$ARTIFACT_UNIT"; then
    systemctl daemon-reload
    systemctl enable -q picluster-artifacts.service
    systemctl restart picluster-artifacts.service
fi
ensure_enabled_started picluster-artifacts.service
printf 'k3s=%s\ninstall=%s\n' "$(sha256sum "${dir}/${K3S_ASSET}" | cut -d' ' -f1)" "$(sha256sum "${dir}/install.sh" | cut -d' ' -f1)"
