#!/usr/bin/env bash
# Creates .venv/ (python3 -m venv) and installs analysis/requirements.txt into
# it, only when that file changed since the last install (stamp:
# .venv/.picluster-req). Idempotent; a warm run prints nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

req=analysis/requirements.txt
stamp=.venv/.picluster-req

# (Re)create it when missing or broken (e.g. the Python it was made from is gone);
# --clear also drops the stamp, so everything is installed again.
if ! .venv/bin/python -c '' >/dev/null 2>&1; then
    echo "setup-python: creating .venv" >&2
    python3 -m venv --clear .venv
fi
# Keep the venv out of git without touching the repository's .gitignore.
[ -f .venv/.gitignore ] || printf '*\n' >.venv/.gitignore

if ! cmp -s "$req" "$stamp" 2>/dev/null; then
    echo "setup-python: pip install -r $req" >&2
    rm -f "$stamp"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
    cp "$req" "$stamp"
fi
