#!/usr/bin/env bash
# Build, cache and link the Pulumi toolchain this project runs with, using only
# the Go module proxy (no release downloads: those hosts are out of reach here).
# Prints one line on stdout, the directory to put on PATH:
#
#   PATH="$(bash scripts/tools.sh):$PATH"
#
# All progress goes to stderr. A second run with a warm cache takes seconds.
#
# What it builds (pins live in the wrapper modules under scripts/tools/):
#   pulumi                  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
#                           (scripts/tools/pulumi/go.mod). The proxy serves pkg/v3 only
#                           at v3.259.0 (v3.260.0-v3.270.0 answer 403), so the CLI is
#                           v3.259.0 while npm @pulumi/pulumi is 3.270.0; the engine
#                           does not require them to match.
#   pulumi-language-nodejs  github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
#                           (scripts/tools/pulumi-language-nodejs/go.mod). Since v3.69.0
#                           the host is its own module
#                           (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3),
#                           which the proxy does not serve, so this is the last
#                           sdk/v3 release that still contained it: v3.68.0.
#   pulumi-resource-pulumi-nodejs
#                           the dynamic-provider shim that Pulumi releases ship next to
#                           the CLI, copied from the sdk/v3 module the CLI was built with.
#   pulumi-resource-<name>  provider plugins for the @pulumi/<name> npm packages, at
#                           the versions pinned in package.json. Best effort: at the
#                           time of writing the proxy serves none of them (see
#                           build_provider); set PICLUSTER_TOOLS_STRICT=1 to fail then.
#
# Where things go:
#   * Build caches and finished binaries live OUTSIDE the work tree, in
#     ${PICLUSTER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/picluster-tools}:
#       go-mod/    GOMODCACHE
#       go-build/  GOCACHE
#       bin/<tool>-<version>-<key>/   finished binaries; <key> hashes the wrapper
#                  module's go.mod and go.sum, the Go version and the flags, so a
#                  changed pin rebuilds and an unchanged one never does (editing a
#                  comment in go.mod re-links: ~15 s with a warm go-build cache).
#                  Older builds of the same tool are deleted.
#     A fresh clone on the same machine (CI) then only re-links.
#   * <repo>/.tools/bin (git-ignored) holds hard links to those binaries (copies
#     when the cache is on another file system). Not symlinks: pulumi looks for its
#     bundled plugins (pulumi-language-nodejs, pulumi-resource-pulumi-nodejs) next
#     to its own resolved executable and warns when the copy found on PATH is
#     elsewhere, so the three are kept side by side as real files.
#   * Provider plugins go to the plugin cache,
#     ${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-<name>-v<version>/pulumi-resource-<name>,
#     which the engine matches exactly against the version each npm package
#     requests. A pulumi-resource-<name> on PATH would be used for ANY requested
#     version (and with a warning), so providers are not put in .tools/bin.
#     The directory must be a real directory (a symlinked one is skipped) and must
#     have no sibling "<dir>.partial" file (that marks an unfinished install).
#
# Reuse: when a `pulumi` of an accepted version (npm @pulumi/pulumi's, or the pinned
# one) is already on PATH, it and its sibling plugins are symlinked instead of built.
#
# Environment knobs:
#   PICLUSTER_TOOLS_CACHE     cache root (default above)
#   PICLUSTER_TOOLS_JOBS      go build -p (default 2: the machines have 2 cores)
#   PICLUSTER_TOOLS_PROVIDERS providers to try (default: command random kubernetes cloudflare)
#   PICLUSTER_TOOLS_STRICT=1  fail when a provider plugin cannot be built
#
# Running pulumi offline with what this provides:
#   PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
#   PULUMI_BACKEND_URL=file://<dir> PULUMI_CONFIG_PASSPHRASE=<passphrase>
#   (+ PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true for the Automation API)
set -euo pipefail

log() { printf 'tools.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
wrappers="$repo/scripts/tools"
bindir="$repo/.tools/bin"
cache="${PICLUSTER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/picluster-tools}"
jobs="${PICLUSTER_TOOLS_JOBS:-2}"
providers="${PICLUSTER_TOOLS_PROVIDERS-command random kubernetes cloudflare}"
plugin_dir="${PULUMI_HOME:-$HOME/.pulumi}/plugins"

command -v go >/dev/null || die "go is not installed"
mkdir -p "$cache/go-mod" "$cache/go-build" "$cache/bin" "$repo/.tools"

export GOMODCACHE="$cache/go-mod"
export GOCACHE="$cache/go-build"
export GOFLAGS="-trimpath -buildvcs=false"
export GOTOOLCHAIN=local # never fetch another Go toolchain behind our back
export CGO_ENABLED=0     # as Pulumi's release builds; also no C toolchain needed
goproxy="$(go env GOPROXY)"

# One run at a time per cache (CI and a developer shell may overlap).
if command -v flock >/dev/null; then
	exec 9>"$cache/.lock"
	flock 9
fi

# Version of a module required by a wrapper go.mod.
required_version() { # go.mod module
	awk -v m="$2" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}

# Exact version pinned in package.json for an npm package (empty if none).
npm_pin() { # package
	sed -n "s|^ *\"$1\": *\"\\([0-9][^\"]*\\)\".*|\\1|p" "$repo/package.json" | head -n1
}

# Short hash of the build inputs, for the output directory name.
build_key() { # files...
	{
		cat "$@"
		go version
		printf '%s\n' "$GOFLAGS" "$CGO_ENABLED"
	} | sha256sum | cut -c1-12
}

# Run a build under /usr/bin/time -v when available, logging wall time and peak RSS.
timed() { # label cmd...
	local label="$1" tlog
	shift
	if [[ -x /usr/bin/time ]]; then
		tlog="$(mktemp)"
		if ! /usr/bin/time -v -o "$tlog" "$@" >&2; then
			rm -f "$tlog"
			return 1
		fi
		log "$label: $(awk -F': ' '/Elapsed/ { t = $2 } /Maximum resident/ { m = $2 } END { printf "%s wall, peak RSS %d MiB", t, m / 1024 }' "$tlog")"
		rm -f "$tlog"
	else
		"$@" >&2
	fi
}

# Build the main package $pkg of the wrapper module $dir into $cache/bin/$name-$ver-$key/$bin.
# Echoes the output directory.
build_wrapped() { # name wrapper-dir main-package version ldflags-version-var binary
	local name="$1" dir="$2" pkg="$3" ver="$4" var="$5" bin="$6" key out tmp
	key="$(build_key "$dir/go.mod" "$dir/go.sum")"
	out="$cache/bin/$name-$ver-$key"
	if [[ -x "$out/$bin" ]]; then
		echo "$out"
		return
	fi
	log "building $name $ver (cold builds take minutes; cached afterwards in $out)"
	tmp="$(mktemp -d "$cache/bin/.tmp-$name-XXXXXX")"
	chmod 0755 "$tmp"
	if ! (cd "$dir" && timed "$name $ver" go build -p "$jobs" \
		-ldflags "-s -w -X $var=$ver" -o "$tmp/$bin" "$pkg"); then
		rm -rf "$tmp"
		die "building $name failed"
	fi
	rm -rf "$out"
	mv "$tmp" "$out"
	# Drop this tool's older builds (links made from them elsewhere stay valid:
	# they are hard links or copies).
	find "$cache/bin" -mindepth 1 -maxdepth 1 -type d -name "$name-v*" ! -name "${out##*/}" \
		-exec rm -rf {} +
	echo "$out"
}

# Link (hard link, else copy) $1 to $2.
place() { ln -f "$1" "$2" 2>/dev/null || cp -f "$1" "$2"; }

stage="$(mktemp -d "$repo/.tools/.bin-XXXXXX")"
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT

# --- pulumi CLI + bundled plugins ------------------------------------------------
cli_mod="$wrappers/pulumi/go.mod"
cli_ver="$(required_version "$cli_mod" github.com/pulumi/pulumi/pkg/v3)"
cli_sdk_ver="$(required_version "$cli_mod" github.com/pulumi/pulumi/sdk/v3)"
host_mod="$wrappers/pulumi-language-nodejs/go.mod"
host_ver="$(required_version "$host_mod" github.com/pulumi/pulumi/sdk/v3)"
npm_sdk_ver="$(npm_pin @pulumi/pulumi)"
[[ -n "$cli_ver" && -n "$cli_sdk_ver" && -n "$host_ver" ]] || die "cannot read pins from $wrappers/*/go.mod"

# An installed pulumi of an accepted version (not our own link) is reused as is.
system_pulumi=""
while IFS= read -r candidate; do
	[[ "$(dirname "$candidate")" -ef "$bindir" ]] && continue
	v="$("$candidate" version 2>/dev/null || true)"
	if [[ -n "$v" && ("$v" == "v$npm_sdk_ver" || "$v" == "$cli_ver") ]]; then
		system_pulumi="$candidate"
		break
	fi
done < <(type -ap pulumi || true)

if [[ -n "$system_pulumi" ]]; then
	real="$(readlink -f "$system_pulumi")"
	log "using installed $("$real" version) at $real"
	# The CLI and the plugins a Pulumi release bundles with it; not provider
	# plugins that may sit in the same directory (those would shadow the plugin
	# cache for every version).
	d="$(dirname "$real")"
	for f in "$d/pulumi" "$d"/pulumi-language-* "$d"/pulumi-resource-pulumi-* "$d"/pulumi-analyzer-*; do
		if [[ -x "$f" ]]; then ln -sf "$f" "$stage/$(basename "$f")"; fi
	done
fi

if [[ ! -e "$stage/pulumi" ]]; then
	cli_out="$(build_wrapped pulumi "$wrappers/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
		"$cli_ver" github.com/pulumi/pulumi/sdk/v3/go/common/version.Version pulumi)"
	place "$cli_out/pulumi" "$stage/pulumi"
fi

# The dynamic-provider shim (a 4-line sh script in the sdk/v3 module), kept with
# the CLI's other bundled plugins.
if [[ ! -e "$stage/pulumi-resource-pulumi-nodejs" ]]; then
	shim="$cache/bin/pulumi-resource-pulumi-nodejs-$cli_sdk_ver/pulumi-resource-pulumi-nodejs"
	if [[ ! -x "$shim" ]]; then
		sdk_dir="$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@$cli_sdk_ver" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
		[[ -n "$sdk_dir" ]] || die "cannot download github.com/pulumi/pulumi/sdk/v3@$cli_sdk_ver"
		mkdir -p "$(dirname "$shim")"
		install -m 0755 "$sdk_dir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$shim"
	fi
	place "$shim" "$stage/pulumi-resource-pulumi-nodejs"
fi

if [[ ! -e "$stage/pulumi-language-nodejs" ]]; then
	host_out="$(build_wrapped pulumi-language-nodejs "$wrappers/pulumi-language-nodejs" \
		github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
		"$host_ver" github.com/pulumi/pulumi/sdk/v3/go/common/version.Version pulumi-language-nodejs)"
	# (With a reused installed pulumi that lacks one, pulumi warns that it uses
	# this one from PATH; harmless.)
	place "$host_out/pulumi-language-nodejs" "$stage/pulumi-language-nodejs"
fi

# --- provider plugins ------------------------------------------------------------
# name -> module (the provider's Go module), main package, version variable.
# The version variable is what the plugin reports to the engine (GetPluginInfo);
# the plugin cache directory name is what the engine matches requests against.
provider_module() {
	case "$1" in
	command) echo github.com/pulumi/pulumi-command/provider ;;
	random) echo github.com/pulumi/pulumi-random/provider/v4 ;;
	kubernetes) echo github.com/pulumi/pulumi-kubernetes/provider/v4 ;;
	cloudflare) echo github.com/pulumi/pulumi-cloudflare/provider/v6 ;;
	*) return 1 ;;
	esac
}

missing_providers=()
build_provider() { # name
	local name="$1" ver mod target wrapper out probe reason
	ver="$(npm_pin "@pulumi/$name")"
	[[ -n "$ver" ]] || { log "@pulumi/$name is not pinned in package.json; skipping"; return 0; }
	mod="$(provider_module "$name")" || die "unknown provider $name"
	target="$plugin_dir/resource-$name-v$ver"
	if [[ -x "$target/pulumi-resource-$name" && ! -e "$target.partial" ]]; then
		return 0 # already in the plugin cache
	fi
	wrapper="$wrappers/pulumi-resource-$name"
	if [[ -f "$wrapper/go.mod" ]]; then
		# A wrapper module (require + copied replace lines) pins the provider.
		out="$(build_wrapped "pulumi-resource-$name" "$wrapper" "$mod/cmd/pulumi-resource-$name" \
			"$ver" "$mod/pkg/version.Version" "pulumi-resource-$name")"
	else
		# No wrapper: check that the proxy serves the module at all before trying.
		# (At the time of writing it answers 403 for random, kubernetes and
		# cloudflare, and 404 for command's provider/ submodule, which has no
		# tags of its own. The bridged providers also embed a schema that their
		# release build generates and the module zip lacks, so a plain
		# `go install` fails even where a version is served.)
		# ",direct" is dropped for the probe: only the proxy is reachable anyway.
		if ! probe="$(GOPROXY="${goproxy%,direct}" go mod download -json "$mod@v$ver" 2>&1)" ||
			[[ "$probe" == *'"Error"'* ]]; then
			reason="$(grep -oE '[0-9]{3} [A-Z][a-z]+( [A-Z][a-z]+)*' <<<"$probe" | head -n1 || true)"
			log "provider $name v$ver: not available from the Go module proxy: ${reason:-no answer (offline?)}"
			missing_providers+=("$name")
			return 0
		fi
		out="$cache/bin/pulumi-resource-$name-v$ver"
		if [[ ! -x "$out/pulumi-resource-$name" ]]; then
			log "building provider $name v$ver"
			if ! GOBIN="$out.tmp" timed "pulumi-resource-$name v$ver" go install -p "$jobs" \
				-ldflags "-s -w -X $mod/pkg/version.Version=$ver" "$mod/cmd/pulumi-resource-$name@v$ver"; then
				rm -rf "$out.tmp"
				log "provider $name v$ver: go install failed; add a wrapper module $wrapper"
				missing_providers+=("$name")
				return 0
			fi
			rm -rf "$out"
			mv "$out.tmp" "$out"
		fi
	fi
	mkdir -p "$plugin_dir"
	touch "$target.partial"
	rm -rf "$target"
	mkdir -p "$target"
	place "$out/pulumi-resource-$name" "$target/pulumi-resource-$name"
	rm -f "$target.partial"
	log "installed provider $name v$ver into $target"
}

for p in $providers; do
	build_provider "$p"
done

# --- publish -----------------------------------------------------------------------
rm -rf "$bindir"
mv "$stage" "$bindir"
trap - EXIT

if ((${#missing_providers[@]})); then
	log "provider plugins NOT available: ${missing_providers[*]} (pulumi cannot create their resources offline)"
	[[ "${PICLUSTER_TOOLS_STRICT:-0}" == 1 ]] && die "PICLUSTER_TOOLS_STRICT=1 and providers are missing"
fi
echo "$bindir"
