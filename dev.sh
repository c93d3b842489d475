#!/usr/bin/env bash
# vaebook's project commands. Each one creates or reuses the virtual environment .venv first.
#   ./dev.sh lab       install everything and open the series in JupyterLab
#   ./dev.sh test      install everything and run every test (what CI runs)
#   ./dev.sh execute   re-execute every notebook in place, hermetically (bundled data, fixed seeds)
#   ./dev.sh setup     only create or update the environment
#   ./dev.sh rehearse  build the Binder environment locally and serve JupyterLab on 127.0.0.1
set -euo pipefail
cd "$(dirname "$0")"

VENV=${VAEBOOK_VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}

ensure_env() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV with $("$PYTHON" --version)"
    "$PYTHON" -m venv "$VENV"
  fi
  # Reinstall only when the dependency list changed.
  local stamp="$VENV/.vaebook-installed"
  local want
  want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "== installing vaebook and its test tools into $VENV"
    local log="$VENV/pip-install.log"
    if ! { "$VENV/bin/python" -m pip install --upgrade pip && "$VENV/bin/python" -m pip install -e ".[dev]"; } >"$log" 2>&1; then
      tail -n 40 "$log" >&2
      echo "pip install failed; the full log is $log" >&2
      exit 1
    fi
    echo "$want" > "$stamp"
  fi
  export PATH="$PWD/$VENV/bin:$PATH"
}

hermetic() {
  # The tests' world: the bundled MNIST subset, quiet TensorFlow, a project-local model cache.
  export VAEBOOK_DATA=bundled
  export TF_CPP_MIN_LOG_LEVEL=3
  export VAEBOOK_CACHE="$PWD/.cache/models"
  export PYTHONHASHSEED=0
}

cmd_lab() {
  ensure_env
  export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
  local extra=()
  [ "$(id -u)" -ne 0 ] || extra+=(--allow-root)  # Jupyter refuses root without it (containers)
  exec jupyter lab "${extra[@]}" notebooks/01_history.ipynb "$@"
}

check_pairs() {
  # Every notebook must equal what `jupytext --sync` makes of its pair.
  local tmp
  tmp=$(mktemp -d)
  cp notebooks/*.ipynb notebooks/*.py pyproject.toml "$tmp"/
  (cd "$tmp" && jupytext --quiet --sync ./*.ipynb)
  local bad=0
  for f in "$tmp"/*.ipynb "$tmp"/*.py; do
    if ! cmp -s "$f" "notebooks/${f##*/}"; then
      echo "notebooks/${f##*/} is out of sync with its pair: run 'jupytext --sync notebooks/*.ipynb'" >&2
      bad=1
    fi
  done
  rm -rf "$tmp"
  return $bad
}

ensure_chromium() {
  # The browser tests drive Debian's chromium through Playwright; no browser is downloaded.
  if [ ! -x /usr/bin/chromium ]; then
    echo "== installing Debian's chromium"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
}

cmd_test() {
  ensure_env
  hermetic
  echo "== unit tests"
  python -m pytest tests --ignore=tests/browser "$@"
  echo "== notebook pairs in sync"
  check_pairs
  echo "== notebooks, strict nbval"
  python -m pytest --nbval --nbval-current-env notebooks --nbval-sanitize-with notebooks/sanitize.cfg -p no:cacheprovider "$@"
  if [ -d tests/browser ]; then
    echo "== widgets in a real browser"
    ensure_chromium
    python -m pytest tests/browser "$@"
  fi
}

cmd_execute() {
  ensure_env
  hermetic
  for nb in notebooks/[0-9]*.ipynb; do
    echo "== executing $nb"
    jupytext --sync "$nb" >/dev/null
    jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 "$nb"
  done
}

case "${1:-}" in
  lab) shift; cmd_lab "$@" ;;
  test) shift; cmd_test "$@" ;;
  execute) shift; cmd_execute "$@" ;;
  setup) ensure_env; echo "== $VENV is ready" ;;
  rehearse) shift; exec binder/rehearse.sh "$@" ;;
  *) echo "usage: ./dev.sh lab | test | execute | setup | rehearse" >&2; exit 2 ;;
esac
