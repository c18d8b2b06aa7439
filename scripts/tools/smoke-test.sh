#!/usr/bin/env bash
# End-to-end check of the toolchain from scripts/tools.sh, with no network:
# in a temporary directory, a tiny TypeScript program (using the project's
# node_modules) goes through stack init, preview, up and destroy on a file
# backend. It always creates a dynamic-provider resource (needs only the CLI,
# the Node.js language host and the pulumi-nodejs shim); it adds a
# random.RandomPassword and a command.local.Command when those provider plugins
# are installed in the plugin cache at the versions package.json pins.
#
#   bash scripts/tools/smoke-test.sh      (SMOKE_KEEP=1 keeps the temp dir)
#
# Runs each pulumi command inside `unshare --net` (a network namespace with only
# loopback) when it can, so any attempted download fails instead of succeeding.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$(bash "$repo/scripts/tools.sh")"
work="$(mktemp -d)"
if [[ "${SMOKE_KEEP:-0}" != 1 ]]; then
	trap 'rm -rf "$work"' EXIT
fi

pin() { sed -n "s|^ *\"$1\": *\"\\([0-9][^\"]*\\)\".*|\\1|p" "$repo/package.json" | head -n1; }
plugins="${PULUMI_HOME:-$HOME/.pulumi}/plugins"
have() { [[ -x "$plugins/resource-$1-v$(pin "@pulumi/$1")/pulumi-resource-$1" ]]; }

cd "$work"
ln -s "$repo/node_modules" node_modules
cat >Pulumi.yaml <<'EOF'
name: toolcheck
runtime:
  name: nodejs
  options:
    packagemanager: npm
    typescript: true
EOF
echo '{ "name": "toolcheck", "private": true, "main": "index.ts" }' >package.json
cat >tsconfig.json <<'EOF'
{ "compilerOptions": { "strict": true, "target": "es2020", "module": "commonjs",
  "moduleResolution": "node", "skipLibCheck": true }, "files": ["index.ts"] }
EOF
cat >index.ts <<'EOF'
import * as pulumi from "@pulumi/pulumi";

const echo: pulumi.dynamic.ResourceProvider = {
    async create(inputs: any) {
        return { id: `echo-${inputs.message}`, outs: { message: inputs.message, length: inputs.message.length } };
    },
};
class Echo extends pulumi.dynamic.Resource {
    public readonly length!: pulumi.Output<number>;
    constructor(name: string, args: { message: pulumi.Input<string> }) {
        super(echo, name, { ...args, length: undefined });
    }
}
export const echoLength = new Echo("echo", { message: "hello" }).length;
EOF
if have random; then
	cat >>index.ts <<'EOF'
import * as random from "@pulumi/random";
const pw = new random.RandomPassword("pw", { length: 16 });
export const passwordLength = pw.result.apply((r) => r.length);
EOF
else
	echo "smoke-test: random plugin not installed; skipping RandomPassword" >&2
fi
if have command; then
	cat >>index.ts <<'EOF'
import * as command from "@pulumi/command";
export const echoed = new command.local.Command("echo", { create: "echo hello" }).stdout;
EOF
else
	echo "smoke-test: command plugin not installed; skipping local.Command" >&2
fi

export PATH="$bin:$PATH"
export PULUMI_BACKEND_URL="file://$work/state"
export PULUMI_CONFIG_PASSPHRASE=test
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
mkdir -p state

# A fresh network namespace has only a loopback interface, and it starts down:
# bring it up, since pulumi talks to its plugins over gRPC on 127.0.0.1.
if unshare --net ip link set lo up 2>/dev/null; then
	isolate=(unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh)
else
	echo "smoke-test: cannot unshare the network; running with it" >&2
	isolate=()
fi
run() { "${isolate[@]}" "$@"; }
run pulumi version
run pulumi stack init smoke --non-interactive
run pulumi preview --non-interactive
run pulumi up --yes --non-interactive --skip-preview
run pulumi stack output --json
run pulumi destroy --yes --non-interactive --skip-preview
echo "smoke-test: OK"
