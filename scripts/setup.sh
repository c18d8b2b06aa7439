#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine, idempotently:
# Debian packages the tests run for real (shellcheck, dnsmasq, nftables,
# ssh-keygen, tc; openssl for the local control plane; cloud-init, whose own
# schema and network parser check the first-boot files), the pinned
# npm packages, the analysis package's Python virtualenv and the load
# generator (built from its Go module, cached).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
for pair in shellcheck:shellcheck dnsmasq:dnsmasq-base nft:nftables ssh-keygen:openssh-client tc:iproute2 openssl:openssl cloud-init:cloud-init; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || need_pkgs+=("${pair#*:}")
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${need_pkgs[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: need root to install ${need_pkgs[*]} (or install them yourself)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# Install from the lockfile only when node_modules was not made from this exact
# lockfile. `npm install` rather than `npm ci`: npm 11's ci rejects lockfiles
# that omit other platforms' optional bindings (npm/cli#4828); install still
# takes every version from the lockfile.
if ! cmp -s package-lock.json node_modules/.picluster-lock 2>/dev/null; then
    echo "setup: npm install (from package-lock.json)" >&2
    npm install --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.picluster-lock
fi

bash scripts/setup-python.sh
bash scripts/loadgen.sh >/dev/null
