#!/usr/bin/env bash
# Install or upgrade K3s (server or agent) from the ingress's artifacts, the
# airgapped way: INSTALL_K3S_SKIP_DOWNLOAD with a verified binary. Does nothing
# when the pinned version runs with this config already.
# The downloads are checked against sums the program passes in (those the ingress
# verified), never against a sums file fetched from the same server.
# Inputs: STEP K3S_ROLE K3S_VERSION K3S_ASSET ARTIFACT_URL K3S_CONFIG K3S_SHA256 INSTALL_SHA256
# Secret inputs (standard input): K3S_TOKEN
. ./lib.sh # picluster:inline

case "$K3S_ROLE" in
    server) unit=k3s.service ;;
    agent) unit=k3s-agent.service ;;
    *) die "K3S_ROLE must be server or agent, got '${K3S_ROLE}'" ;;
esac

# "Nothing to do" means: K3s was (re)started with exactly this role, version, config
# and token. The marker is written only after a successful restart, so a run that
# wrote the config and then failed (a download that broke) is not mistaken for
# done on the next try. It holds a hash, never the token.
marker=/var/lib/picluster/k3s-applied
want=$(printf '%s\n%s\n%s\n%s\n' "$K3S_ROLE" "$K3S_VERSION" "$K3S_CONFIG" "$K3S_TOKEN" | sha256sum | cut -d' ' -f1)
write_file /etc/rancher/k3s/config.yaml 0600 "$K3S_CONFIG" || true

installed=$(/usr/local/bin/k3s --version 2>/dev/null | awk 'NR==1 {print $3}' || true)
if [ "$installed" = "$K3S_VERSION" ] && [ "$(cat "$marker" 2>/dev/null || true)" = "$want" ] && systemctl is-active -q "$unit"; then
    log "K3s ${K3S_VERSION} ${K3S_ROLE} already running"
    exit 0
fi

ensure_pkgs curl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$K3S_ASSET" install.sh; do
    curl -fsSL --retry 5 --retry-delay 2 --connect-timeout 10 --max-time 300 -o "${tmp}/${f}" "${ARTIFACT_URL}/${f}" \
        || die "cannot fetch ${ARTIFACT_URL}/${f} from the ingress"
done
printf '%s  %s\n%s  %s\n' "$K3S_SHA256" "${tmp}/${K3S_ASSET}" "$INSTALL_SHA256" "${tmp}/install.sh" | sha256sum -c --status - \
    || die "checksum mismatch for ${K3S_ASSET} or install.sh from ${ARTIFACT_URL}"
install -m 0755 "${tmp}/${K3S_ASSET}" /usr/local/bin/k3s

log "installing K3s ${K3S_VERSION} (${K3S_ROLE}; was '${installed:-none}')"
INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_VERSION="$K3S_VERSION" INSTALL_K3S_EXEC="$K3S_ROLE" \
    K3S_TOKEN="$K3S_TOKEN" sh "${tmp}/install.sh" >&2
# install.sh restarts the unit only when its env file changed; a new binary or config needs it too.
systemctl restart "$unit"
wait_for "${unit} to be active" 120 systemctl is-active -q "$unit"
if [ "$K3S_ROLE" = server ]; then
    wait_for "the K3s API server" 180 /usr/local/bin/k3s kubectl --request-timeout=10s get --raw /readyz
fi
write_file "$marker" 0600 "$want" || true
