#!/usr/bin/env bash
# Build, cache and link the Pulumi toolchain this project runs with, using only
# the Go module proxy (no release downloads: those hosts are out of reach here).
# Prints one line on stdout, the directory to put on PATH:
#
#   PATH="$(bash scripts/tools.sh):$PATH"
#
# All progress goes to stderr. A second run with a warm cache takes seconds.
#
# What it builds:
#   pulumi                  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
#                           (scripts/tools/pulumi/go.mod). The proxy serves pkg/v3 only
#                           at v3.259.0 (v3.260.0-v3.270.0 answer 403), so the CLI is
#                           v3.259.0 while npm @pulumi/pulumi is 3.270.0; the engine
#                           accepts a newer SDK than the CLI.
#   pulumi-language-nodejs  the Node.js language host at the CLI's version, from
#                           ../shared/vendor (the proxy refuses its module since v3.69).
#   pulumi-resource-pulumi-nodejs
#                           the dynamic-provider shim that Pulumi releases ship next to
#                           the CLI, copied from the sdk/v3 module the CLI was built with.
#   pulumi-resource-<name>  provider plugins for the @pulumi/<name> npm packages, at
#                           exactly the versions pinned in package.json: command,
#                           random and cloudflare from ../shared/vendor, kubernetes
#                           from its Go module (recipes below). Cold, on 2 cores, the
#                           kubernetes and cloudflare plugins are the long ones (README
#                           has the measured times); a failed build stops the script.
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
#   PICLUSTER_TOOLS_PROVIDERS providers to build (default: command random kubernetes cloudflare)
#   PICLUSTER_VENDOR          the upstream source archives (default: ../shared/vendor)
#   PICLUSTER_TOOLS_SKIP_COLD providers to install only when already built (CI: cloudflare,
#                             whose cold build alone takes about an hour on 2 cores)
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

# Where `go mod download` put a module (downloading it if needed).
module_dir() { # module@version
	local d
	d="$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	[[ -n "$d" ]] || die "cannot download $1"
	echo "$d"
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
		# For bench/engine.bench.ts: wall seconds and peak RSS of every build step.
		awk -F': ' -v when="$(date -u +%FT%TZ)" -v what="$label" '
			/Elapsed/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
			/Maximum resident/ { m = $2 }
			END { printf "%s\t%s\t%.1f\t%d\n", when, what, s, m / 1024 }' "$tlog" >>"$cache/timings.tsv"
		rm -f "$tlog"
	else
		"$@" >&2
	fi
}

# Build the main package $pkg of the wrapper module $dir into
# $cache/bin/$name-$ver-$key/$bin, stamping the version with the -X flags $xflags.
# A wrapper with source of its own (a main package) names its files after the
# binary, so that they are in the key too. Echoes the output directory.
build_wrapped() { # name wrapper-dir main-package version xflags binary [source files...]
	local name="$1" dir="$2" pkg="$3" ver="$4" xflags="$5" bin="$6" key out
	key="$(build_key "$dir/go.mod" "$dir/go.sum" <(printf '%s\n' "$pkg" "$xflags") "${@:7}")"
	out="$cache/bin/$name-$ver-$key"
	if [[ -x "$out/$bin" ]]; then
		echo "$out"
		return
	fi
	log "building $name $ver (cold builds take minutes; cached afterwards in $out)"
	go_build_into "$out" "$name" "$ver" "$dir" "$pkg" "$xflags" "$bin"
	echo "$out"
}

# Build $pkg in $dir into the cache directory $out (a fresh one replaces the old
# one only once the build succeeded), then drop this tool's older builds (links
# made from them elsewhere stay valid: they are hard links or copies).
go_build_into() { # out name version dir pkg version-ldflag binary
	local out="$1" name="$2" ver="$3" dir="$4" pkg="$5" xflag="$6" bin="$7" tmp
	tmp="$(mktemp -d "$cache/bin/.tmp-$name-XXXXXX")"
	chmod 0755 "$tmp"
	if ! (cd "$dir" && timed "$name $ver" go build -p "$jobs" -ldflags "-s -w $xflag" -o "$tmp/$bin" "$pkg"); then
		rm -rf "$tmp"
		die "building $name $ver failed"
	fi
	rm -rf "$out"
	mv "$tmp" "$out"
	find "$cache/bin" -mindepth 1 -maxdepth 1 -type d -name "$name-v*" ! -name "${out##*/}" \
		-exec rm -rf {} +
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
npm_sdk_ver="$(npm_pin @pulumi/pulumi)"
[[ -n "$cli_ver" && -n "$cli_sdk_ver" ]] || die "cannot read pins from $wrappers/*/go.mod"

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
		"$cli_ver" "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_ver" pulumi)"
	place "$cli_out/pulumi" "$stage/pulumi"
fi

# The dynamic-provider shim (a 4-line sh script in the sdk/v3 module), kept with
# the CLI's other bundled plugins.
if [[ ! -e "$stage/pulumi-resource-pulumi-nodejs" ]]; then
	shim="$cache/bin/pulumi-resource-pulumi-nodejs-$cli_sdk_ver/pulumi-resource-pulumi-nodejs"
	if [[ ! -x "$shim" ]]; then
		sdk_dir="$(module_dir "github.com/pulumi/pulumi/sdk/v3@$cli_sdk_ver")"
		mkdir -p "$(dirname "$shim")"
		install -m 0755 "$sdk_dir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$shim"
	fi
	place "$shim" "$stage/pulumi-resource-pulumi-nodejs"
fi

# --- provider plugins ------------------------------------------------------------
# Built from upstream source: the Go module proxy refuses the provider modules (and
# the v3.69+ language host), so ../shared/vendor/ holds pristine upstream archives
# (origins, commits and checksums in its README, ORIGINS.tsv and SHA256SUMS); the
# kubernetes provider's module IS served, at its v4.25.0 commit. Each recipe_<name>
# below unpacks its source into a fresh directory under $cache/src (never into this
# repository), makes the few edits that let it resolve against the proxy, and names
# the main package to build. The cache key hashes the archive's checksum, the recipe
# text itself and the Go version, so a changed recipe or pin rebuilds and nothing
# else does. Every plugin is built with its version stamped in by -ldflags -X: the
# bridged providers panic at start without it, and the engine matches it.
vendor="${PICLUSTER_VENDOR:-$repo/../shared/vendor}"
bridge_ver=v3.120.0 # the proxy refuses parts of v3.119.0's graph (random, cloudflare pin that)

# Unpack ../shared/vendor/$1 into $2 after checking it against SHA256SUMS.
unpack_vendor() { # archive dest
	[[ -f "$vendor/$1" ]] || die "missing $vendor/$1 (upstream source archives; see its README)"
	(cd "$vendor" && grep -E " (\./)?$1\$" SHA256SUMS | sha256sum -c --quiet --strict -) ||
		die "$vendor/$1 does not match SHA256SUMS"
	tar xzf "$vendor/$1" -C "$2" --strip-components=1
	chmod -R u+w "$2"
}

# Run a provider's own cmd/<plugin>/generate.go (schema.json + version ->
# schema-embed.json, and for kubernetes the terraform mapping), as its Makefile does.
run_generate() { # plugin-dir version
	(cd "$1" && VERSION="$2" go run -p "$jobs" generate.go) >&2
}

# Each recipe runs in the fresh source directory (cwd) and prints the directory,
# relative to it, where `go build` runs, then the package to build there.
recipe_language_nodejs() { # version
	unpack_vendor "pulumi-language-nodejs-$1.tar.gz" .
	cd sdk/nodejs/cmd/pulumi-language-nodejs
	# Its go.mod points pkg/v3 and sdk/v3 into the upstream monorepo.
	go mod edit -dropreplace=github.com/pulumi/pulumi/pkg/v3 -dropreplace=github.com/pulumi/pulumi/sdk/v3 \
		-require="github.com/pulumi/pulumi/pkg/v3@v$1" -require="github.com/pulumi/pulumi/sdk/v3@v$1"
	go mod tidy >&2
	echo sdk/nodejs/cmd/pulumi-language-nodejs .
}
recipe_command() { # version
	unpack_vendor "pulumi-command-$1.tar.gz" .
	echo provider ./cmd/pulumi-resource-command
}
recipe_random() { # version
	unpack_vendor "pulumi-random-$1.tar.gz" .
	cd provider
	go mod edit -require="github.com/pulumi/pulumi-terraform-bridge/v3@$bridge_ver"
	go mod tidy >&2
	run_generate cmd/pulumi-resource-random "$1"
	echo provider ./cmd/pulumi-resource-random
}
recipe_kubernetes() { # version
	# The v4.25.0 tag's commit; the proxy serves the module by pseudo-version only.
	local commit=v4.0.0-20260115033456-f47bc2d6f199 dir
	[[ "$1" == 4.25.0 ]] || die "kubernetes $1: add its commit's pseudo-version to recipe_kubernetes"
	dir="$(go mod download -json "github.com/pulumi/pulumi-kubernetes/provider/v4@$commit" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	[[ -n "$dir" ]] || die "cannot download github.com/pulumi/pulumi-kubernetes/provider/v4@$commit"
	cp -r "$dir/." .
	chmod -R u+w .
	go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 \
		-require="github.com/pulumi/pulumi-kubernetes/sdk/v4@v$1"
	go mod tidy >&2
	run_generate cmd/pulumi-resource-kubernetes "$1"
	echo . ./cmd/pulumi-resource-kubernetes
}
recipe_cloudflare() { # version
	local p
	unpack_vendor "pulumi-cloudflare-$1.tar.gz" .
	for p in patches/*.patch; do
		(cd upstream && patch -p1 --quiet <"../$p") || die "cloudflare: $p does not apply"
	done
	cd provider
	go mod edit -require="github.com/pulumi/pulumi-terraform-bridge/v3@$bridge_ver"
	go mod tidy >&2
	# The release's schema.json is generated, not in the source (MISSING.txt): make it
	# with the provider's own tfgen, as upstream's Makefile does. The docs are not in the
	# archive, so tfgen warns about missing docs; those are not errors.
	timed "pulumi-tfgen-cloudflare $1" go build -p "$jobs" -ldflags "-X github.com/pulumi/pulumi-cloudflare/provider/v6/pkg/version.Version=$1" \
		-o ../pulumi-tfgen-cloudflare ./cmd/pulumi-tfgen-cloudflare
	VERSION="$1" ../pulumi-tfgen-cloudflare schema --out cmd/pulumi-resource-cloudflare >"$cache/src/tfgen-cloudflare.log" 2>&1 ||
		die "cloudflare: tfgen schema failed (log: $cache/src/tfgen-cloudflare.log)"
	run_generate cmd/pulumi-resource-cloudflare "$1"
	echo provider ./cmd/pulumi-resource-cloudflare
}

# Build a piece from its recipe into $cache/bin/<name>-<version>-<key>/<binary>.
# Echoes the output directory.
# Where build_recipe puts (or has put) a piece: keyed by everything that goes into it.
recipe_out() { # name recipe version
	local key
	key="$({
		declare -f "$2" unpack_vendor run_generate
		echo "$bridge_ver"
		sha256sum "$vendor"/*"-$3.tar.gz" 2>/dev/null | cut -d' ' -f1
		go version
		printf '%s\n' "$GOFLAGS" "$CGO_ENABLED"
	} | sha256sum | cut -c1-12)"
	echo "$cache/bin/$1-v$3-$key"
}

build_recipe() { # name recipe version version-var binary [version-prefix]
	local name="$1" recipe="$2" ver="$3" var="$4" bin="$5" vprefix="${6:-}" out src where dir pkg t0
	out="$(recipe_out "$name" "$recipe" "$ver")"
	if [[ -x "$out/$bin" ]]; then
		echo "$out"
		return
	fi
	log "building $name $ver from source (cold builds take minutes to an hour; cached afterwards in $out)"
	mkdir -p "$cache/src"
	src="$cache/src/$name-$ver"
	rm -rf "$src"
	mkdir -p "$src"
	t0=$SECONDS
	where="$(cd "$src" && "$recipe" "$ver")" || die "preparing $name $ver failed"
	read -r dir pkg <<<"$where"
	go_build_into "$out" "$name" "$ver" "$src/$dir" "$pkg" "-X $var=$vprefix$ver" "$bin"
	rm -rf "$src"
	printf '%s\t%s\t%d\t-\n' "$(date -u +%FT%TZ)" "$name $ver (all steps)" $((SECONDS - t0)) >>"$cache/timings.tsv"
	echo "$out"
}

# name -> module (the provider's Go module), whose pkg/version.Version the plugin
# reports to the engine (GetPluginInfo); the plugin cache directory name is what
# the engine matches requests against.
provider_module() {
	case "$1" in
	command) echo github.com/pulumi/pulumi-command/provider ;;
	random) echo github.com/pulumi/pulumi-random/provider/v4 ;;
	kubernetes) echo github.com/pulumi/pulumi-kubernetes/provider/v4 ;;
	cloudflare) echo github.com/pulumi/pulumi-cloudflare/provider/v6 ;;
	*) return 1 ;;
	esac
}

build_provider() { # name
	local name="$1" ver mod target out
	ver="$(npm_pin "@pulumi/$name")"
	[[ -n "$ver" ]] || die "@pulumi/$name is not pinned in package.json"
	mod="$(provider_module "$name")" || die "unknown provider $name"
	target="$plugin_dir/resource-$name-v$ver"
	if [[ " ${PICLUSTER_TOOLS_SKIP_COLD:-} " == *" $name "* ]] &&
		[[ ! -x "$(recipe_out "pulumi-resource-$name" "recipe_$name" "$ver")/pulumi-resource-$name" ]]; then
		if [[ -x "$target/pulumi-resource-$name" && ! -e "$target.partial" ]]; then
			log "provider $name v$ver: this recipe's build is not cached; keeping the installed plugin"
		else
			log "provider $name v$ver: not built yet, and PICLUSTER_TOOLS_SKIP_COLD names it: skipped (run scripts/tools.sh without it to build)"
		fi
		return 0
	fi
	out="$(build_recipe "pulumi-resource-$name" "recipe_$name" "$ver" "$mod/pkg/version.Version" "pulumi-resource-$name")"
	if [[ -x "$target/pulumi-resource-$name" && ! -e "$target.partial" ]] &&
		cmp -s "$out/pulumi-resource-$name" "$target/pulumi-resource-$name"; then
		return 0 # already in the plugin cache
	fi
	mkdir -p "$plugin_dir"
	touch "$target.partial"
	rm -rf "$target"
	mkdir -p "$target"
	place "$out/pulumi-resource-$name" "$target/pulumi-resource-$name"
	rm -f "$target.partial"
	log "installed provider $name v$ver into $target"
}

if [[ ! -e "$stage/pulumi-language-nodejs" ]]; then
	# The host at the CLI's own version, from ../shared/vendor (recipe below).
	host_out="$(build_recipe pulumi-language-nodejs recipe_language_nodejs "${cli_ver#v}" \
		github.com/pulumi/pulumi/sdk/v3/go/common/version.Version pulumi-language-nodejs v)"
	# (With a reused installed pulumi that lacks one, pulumi warns that it uses
	# this one from PATH; harmless.)
	place "$host_out/pulumi-language-nodejs" "$stage/pulumi-language-nodejs"
fi

for p in $providers; do
	build_provider "$p"
done

# --- local control plane (scripts/cluster.sh) ------------------------------------------
# What `npm run cluster:up` runs, all from Go modules:
#   etcd        go.etcd.io/etcd/server/v3, the API server's datastore. 3.6, not Debian's
#               3.4: without progress notifications (3.5+) the API server cannot serve
#               watch-list streams, and its clients then miss events (kwok saw new pods
#               up to a minute late).
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
#               k8s.io/kubernetes (wrapper module scripts/tools/kubernetes); they share
#               most of their graph, so after the first (5 min cold on 2 cores) each
#               further one is mostly a link. The version is stamped in as Kubernetes'
#               release build does: clients cannot parse a plain build's placeholder.
#   kwok        sigs.k8s.io/kwok (scripts/tools/kwok), the simulated kubelets
#   traefik     the ingress controller K3s ships. v3.6.12 is the newest v3 that builds
#               from the Go module proxy: from v3.7 its go.mod replaces
#               github.com/traefik/traefik/dynamic/ext with a folder that has a go.mod of
#               its own, so the module zip leaves it out, and the proxy does not serve it.
#   metrics-server  the resource metrics API the HPA controller reads
#   oauth2-proxy    github.com/oauth2-proxy/oauth2-proxy/v7, the program the platform's
#                   OAuth2 Proxy Deployment runs; the gateway e2e suite runs it with
#                   that Deployment's settings
#   mockoidc        a small main (scripts/tools/mockoidc) around the
#                   github.com/oauth2-proxy/mockoidc library: the OpenID Connect
#                   provider the gateway e2e suite signs in at, in place of Google
# and, into <repo>/.tools/share, definitions from the same pinned modules (never
# copied into this repository):
#   kwok.yaml           kwok's stages as kwokctl configures them by default (nodes Ready
#                       at once with a lease heartbeat, pods Ready at once) and its
#                       resource-usage simulation (each pod's CPU and memory from its
#                       kwok.x-k8s.io/usage-* annotations, served as kubelet metrics)
#   traefik-crds.yaml   the traefik.io CRDs, which K3s installs with Traefik
#   traefik-rbac.yaml   Traefik's ClusterRole for its Kubernetes CRD and Ingress providers
#   metrics-server-rbac.yaml  metrics-server's ServiceAccount and roles
# PICLUSTER_TOOLS_CLUSTER=0 skips all of this.
traefik_ver=v3.6.12
metrics_server_ver=v0.8.0
etcd_ver=v3.6.16
oauth2_proxy_ver=v7.15.6

# A module copied out of the module cache, built as it is. (Only the calling recipe's
# own text is in the cache key: a change here needs the cache of the pieces cleared.)
recipe_module() { # module@version main-package
	cp -r "$(module_dir "$1")/." .
	chmod -R u+w .
	echo . "$2"
}
recipe_traefik() { recipe_module "github.com/traefik/traefik/v3@v$1" ./cmd/traefik; }
recipe_metrics_server() { recipe_module "sigs.k8s.io/metrics-server@v$1" ./cmd/metrics-server; }
recipe_oauth2_proxy() { recipe_module "github.com/oauth2-proxy/oauth2-proxy/v7@v$1" .; }
recipe_etcd() { # version
	recipe_module "go.etcd.io/etcd/server/v3@v$1" . >/dev/null
	# Its go.mod points its sibling modules into the upstream monorepo.
	local m edits=()
	for m in api/v3 client/pkg/v3 client/v3 pkg/v3; do
		edits+=(-dropreplace="go.etcd.io/etcd/$m" -require="go.etcd.io/etcd/$m@v$1")
	done
	go mod edit "${edits[@]}"
	go mod tidy >&2
	echo . .
}

share_stage="$(mktemp -d "$repo/.tools/.share-XXXXXX")"
trap 'rm -rf "$stage" "$share_stage"' EXIT
if [[ "${PICLUSTER_TOOLS_CLUSTER:-1}" != 0 ]]; then
	k8s_ver="$(required_version "$wrappers/kubernetes/go.mod" k8s.io/kubernetes)"
	[[ "$k8s_ver" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "cannot read the k8s.io/kubernetes pin from $wrappers/kubernetes/go.mod"
	k8s_x="-X k8s.io/component-base/version.gitVersion=$k8s_ver"
	k8s_x+=" -X k8s.io/component-base/version.gitMajor=${BASH_REMATCH[1]} -X k8s.io/component-base/version.gitMinor=${BASH_REMATCH[2]}"
	k8s_x+=" -X k8s.io/component-base/version.gitTreeState=clean"
	for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
		out="$(build_wrapped "$c" "$wrappers/kubernetes" "k8s.io/kubernetes/cmd/$c" "$k8s_ver" "$k8s_x" "$c")"
		place "$out/$c" "$stage/$c"
	done
	kwok_ver="$(required_version "$wrappers/kwok/go.mod" sigs.k8s.io/kwok)"
	[[ -n "$kwok_ver" ]] || die "cannot read the sigs.k8s.io/kwok pin from $wrappers/kwok/go.mod"
	# kwok's version is a constant in its source; nothing to stamp.
	out="$(build_wrapped kwok "$wrappers/kwok" sigs.k8s.io/kwok/cmd/kwok "$kwok_ver" "" kwok)"
	place "$out/kwok" "$stage/kwok"
	out="$(build_recipe traefik recipe_traefik "${traefik_ver#v}" github.com/traefik/traefik/v3/pkg/version.Version traefik)"
	place "$out/traefik" "$stage/traefik"
	out="$(build_recipe etcd recipe_etcd "${etcd_ver#v}" go.etcd.io/etcd/api/v3/version.GitSHA etcd)"
	place "$out/etcd" "$stage/etcd"
	out="$(build_recipe metrics-server recipe_metrics_server "${metrics_server_ver#v}" k8s.io/client-go/pkg/version.gitVersion metrics-server v)"
	place "$out/metrics-server" "$stage/metrics-server"
	out="$(build_recipe oauth2-proxy recipe_oauth2_proxy "${oauth2_proxy_ver#v}" github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION oauth2-proxy v)"
	place "$out/oauth2-proxy" "$stage/oauth2-proxy"
	mockoidc_ver="$(required_version "$wrappers/mockoidc/go.mod" github.com/oauth2-proxy/mockoidc)"
	[[ -n "$mockoidc_ver" ]] || die "cannot read the github.com/oauth2-proxy/mockoidc pin from $wrappers/mockoidc/go.mod"
	out="$(build_wrapped mockoidc "$wrappers/mockoidc" . "$mockoidc_ver" "-X main.version=$mockoidc_ver" mockoidc "$wrappers/mockoidc/main.go")"
	place "$out/mockoidc" "$stage/mockoidc"

	# Copy $2 (a path inside module $1) to $share_stage/$3.
	share_file() { # module@version path name
		local src
		src="$(module_dir "$1")/$2"
		[[ -f "$src" ]] || die "$1 has no $2"
		cp "$src" "$share_stage/$3"
	}
	for f in stage/node/fast/node-initialize.yaml stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
		stage/pod/fast/pod-ready.yaml stage/pod/fast/pod-complete.yaml stage/pod/fast/pod-delete.yaml \
		metrics/usage/usage-from-annotation.yaml metrics/resource/metrics-resource.yaml; do
		share_file "sigs.k8s.io/kwok@$kwok_ver" "kustomize/$f" part.yaml
		{
			printf -- '---\n'
			cat "$share_stage/part.yaml"
		} >>"$share_stage/kwok.yaml"
	done
	rm "$share_stage/part.yaml"
	share_file "github.com/traefik/traefik/v3@$traefik_ver" integration/fixtures/k8s/01-traefik-crd.yml traefik-crds.yaml
	share_file "github.com/traefik/traefik/v3@$traefik_ver" docs/content/reference/dynamic-configuration/kubernetes-crd-rbac.yml traefik-rbac.yaml
	share_file "sigs.k8s.io/metrics-server@$metrics_server_ver" manifests/base/rbac.yaml metrics-server-rbac.yaml
fi

# --- publish -----------------------------------------------------------------------
rm -rf "$bindir" "$repo/.tools/share"
mv "$stage" "$bindir"
chmod 0755 "$share_stage"
mv "$share_stage" "$repo/.tools/share"
trap - EXIT

echo "$bindir"
