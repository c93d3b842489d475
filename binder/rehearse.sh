#!/usr/bin/env bash
# A local Binder rehearsal (there is no Docker here): build a fresh virtual environment from
# binder/environment.yml's package list, run binder/postBuild in it, then start JupyterLab on
# 127.0.0.1 with no token, as Binder would.
#   binder/rehearse.sh            prepare, then serve JupyterLab (Ctrl-C stops it)
#   binder/rehearse.sh prepare    only build the environment and run postBuild
# The environment lives in $REHEARSAL_VENV (default .cache/binder-venv) and is rebuilt when
# binder/environment.yml or binder/postBuild change.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${REHEARSAL_VENV:-.cache/binder-venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
PORT=${PORT:-8890}

packages() {
  # The pip list of binder/environment.yml, one requirement per line (python=3.11 comes from $PYTHON).
  "$PYTHON" - <<'PY'
import re
lines = open("binder/environment.yml").read().splitlines()
start = next(i for i, l in enumerate(lines) if re.match(r"\s*- pip:\s*$", l))
for line in lines[start + 1:]:
    m = re.match(r"\s{4,}- (.+)$", line)
    if not m:
        break
    print(m.group(1).strip().strip('"'))
PY
}

prepare() {
  local want stamp="$VENV/.rehearsal"
  want=$(cat binder/environment.yml binder/postBuild pyproject.toml vaebook/*.py | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "== rehearsal environment $VENV is up to date"
    return
  fi
  "$PYTHON" --version | grep -q "3.11" || echo "== warning: Binder uses Python 3.11, this is $("$PYTHON" --version)"
  echo "== building $VENV from binder/environment.yml"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  mapfile -t reqs < <(packages)
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet "${reqs[@]}"
  echo "== running binder/postBuild"
  PATH="$PWD/$VENV/bin:$PATH" bash binder/postBuild
  echo "$want" > "$stamp"
}

case "${1:-lab}" in
  prepare) prepare ;;
  lab)
    prepare
    echo "== JupyterLab at http://127.0.0.1:$PORT/lab/tree/notebooks/01_history.ipynb (no token)"
    exec "$VENV/bin/jupyter" lab --no-browser --allow-root --ServerApp.ip=127.0.0.1 --ServerApp.port="$PORT" \
      --IdentityProvider.token= --ServerApp.password= --ServerApp.root_dir="$PWD" ;;
  *) echo "usage: binder/rehearse.sh [prepare|lab]" >&2; exit 2 ;;
esac
