#!/usr/bin/env bash
# Build and cache the load generator (loadgen/, a Go module on vegeta) and print
# the absolute path of the binary on stdout; progress goes to stderr.
#
#   LOADGEN="$(bash scripts/loadgen.sh)"
#   "$LOADGEN" run --plan plan.json --out results/trial-1
#
# The binary is cached OUTSIDE the work tree, in
#   ${PICLUSTER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/picluster-tools}/loadgen/<key>/loadgen
# where <key> is a sha256 over loadgen/go.mod, loadgen/go.sum, every loadgen/*.go
# and `go version`: an unchanged tree never rebuilds, and a warm call only hashes
# those files. GOMODCACHE and GOCACHE are go-mod/ and go-build/ in the same cache
# directory, as for scripts/tools.sh. Builds are static (CGO_ENABLED=0) and
# -trimpath; the binary is built in a temporary directory and moved into place.
#
# Environment knobs:
#   PICLUSTER_TOOLS_CACHE  cache root (default above)
#   LOADGEN_BIN            use this binary instead (must be executable); no build
set -euo pipefail

log() { printf 'loadgen.sh: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

if [[ -n "${LOADGEN_BIN:-}" ]]; then
	bin="$LOADGEN_BIN"
	[[ "$bin" == /* ]] || bin="$PWD/$bin"
	[[ -f "$bin" && -x "$bin" ]] || die "LOADGEN_BIN=$LOADGEN_BIN is not an executable file"
	echo "$bin"
	exit 0
fi

repo="$(cd "$(dirname "$0")/.." && pwd)"
src="$repo/loadgen"
cache="${PICLUSTER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/picluster-tools}"

command -v go >/dev/null || die "go is not installed"
export GOTOOLCHAIN=local # never fetch another Go toolchain behind our back
goversion="$(go version)"

# The key: file names and contents of the module, then the Go version.
shopt -s nullglob
files=("$src/go.mod" "$src/go.sum" "$src"/*.go)
shopt -u nullglob
for f in "$src/go.mod" "$src/go.sum"; do
	[[ -f "$f" ]] || die "missing $f"
done
key="$(
	for f in "${files[@]}"; do
		printf '%s %s\n' "${f##*/}" "$(sha256sum <"$f" | cut -d' ' -f1)"
	done
	printf '%s\n' "$goversion"
)"
key="$(sha256sum <<<"$key" | cut -d' ' -f1)"
out="$cache/loadgen/$key"

if [[ -x "$out/loadgen" ]]; then
	touch "$out" 2>/dev/null || true # last use, for the clean-up below
	echo "$out/loadgen"
	exit 0
fi

mkdir -p "$cache/loadgen" "$cache/go-mod" "$cache/go-build"
export GOMODCACHE="$cache/go-mod"
export GOCACHE="$cache/go-build"
export GOFLAGS="-buildvcs=false -mod=readonly"
export CGO_ENABLED=0

# One build at a time per cache; a build that finished while we waited is used.
if command -v flock >/dev/null; then
	exec 9>"$cache/loadgen/.lock"
	flock 9
	if [[ -x "$out/loadgen" ]]; then
		echo "$out/loadgen"
		exit 0
	fi
fi

log "building loadgen into $out"
tmp="$(mktemp -d "$cache/loadgen/.tmp-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
start=$SECONDS
(cd "$src" && go build -trimpath -ldflags "-s -w" -o "$tmp/loadgen" .) >&2 ||
	die "go build failed"
"$tmp/loadgen" version >/dev/null || die "the new binary does not run"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
log "built $("$out/loadgen" version) in $((SECONDS - start))s"

# Drop builds that no call has used for 30 days.
find "$cache/loadgen" -mindepth 1 -maxdepth 1 -type d -name '[0-9a-f]*' ! -name "$key" -mtime +30 \
	-exec rm -rf {} + 2>/dev/null || true

echo "$out/loadgen"
