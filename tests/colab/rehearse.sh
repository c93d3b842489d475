#!/usr/bin/env bash
# The Colab rehearsal (the colab stage of ./dev.sh test): vaebook installed as a Colab reader installs
# it, into Colab's published stack (tests/colab/colab-stack.txt, its source and date at its top).
#   1. Colab's stack: a Python 3.11 environment with exactly the versions of colab-stack.txt, built
#      once and kept in .cache/colab-venv (rebuilt when that file or the Python changes); every run
#      works on a fresh copy of it (hard links).
#   2. The reader's install: the first code cell of the notebooks, run as on Colab (google.colab
#      imported), in a fresh HOME whose git config sends https://github.com/vaebook/vaebook to a
#      git snapshot of this working tree; so the cell's own `pip install git+https://...` runs.
#   3. It fails if that install changed any package of colab-stack.txt or added anything besides
#      vaebook (tensorflow-cpu beside Colab's tensorflow, a newer NumPy, torch, ...).
#   4. Every notebook runs in that environment without an error, and every latent explorer responds
#      to its controls (tests/colab/test_colab_notebooks.py; two workers, one CPU each where there
#      are two); the explorer display test of tests/test_widgets.py runs there too (ipywidgets 7).
#   5. A Colab image without mlxtend: installing vaebook would still add only vaebook and mlxtend
#      (pip install --dry-run).
# Settings: COLAB_VENV (default .cache/colab-venv), PYTHON (default python3.11 on PATH).
#   tests/colab/rehearse.sh [prepare]    prepare only builds (or reuses) the environment
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
STACK=tests/colab/colab-stack.txt
VENV=${COLAB_VENV:-.cache/colab-venv}
case "$VENV" in /*) ;; *) VENV="$ROOT/$VENV" ;; esac
REPO_URL=https://github.com/vaebook/vaebook

die() { echo "colab rehearsal: $*" >&2; exit 1; }
RUN_DIR=""
stamp() { printf '%s %5ds  %s\n' "==" "$(( $(date +%s) - T0 ))" "$*"; }
T0=$(date +%s)

python311() {
  local py=${PYTHON:-$(command -v python3.11 || true)}
  [ -n "$py" ] || die "python3.11 is not on PATH (the rehearsal's Python, as for Binder): install it or set PYTHON=/path/to/python3.11"
  "$py" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null || die "$py is not Python 3.11: set PYTHON=/path/to/python3.11"
  echo "$py"
}

prepare() {
  local py want log
  py=$(python311)
  want=$( (cat "$STACK"; "$py" --version) | sha256sum | cut -d' ' -f1)
  if [ -f "$VENV/.colab-stack" ] && [ "$(cat "$VENV/.colab-stack")" = "$want" ]; then
    stamp "Colab's stack: $VENV, up to date with $STACK"
    return
  fi
  stamp "building Colab's stack in $VENV: $("$py" --version), then $STACK (exact versions, no other)"
  rm -rf "$VENV"
  PYTHON="$py" "$ROOT/dev.sh" _venv "$VENV"
  log="$VENV/colab-install.log"
  # Colab's pip first (it does the reader's install later), then exactly the listed versions.
  if ! { "$VENV/bin/python" -m pip install "$(grep -E '^pip==' "$STACK")" &&
         "$VENV/bin/python" -m pip install --no-deps -r "$STACK" &&
         "$VENV/bin/python" -m pip check; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "building Colab's stack failed (the full log is $log); if pip check complains, a package is missing from $STACK"
  fi
  echo "$want" > "$VENV/.colab-stack"
  stamp "Colab's stack is ready"
}

snapshot_repo() {
  # snapshot_repo DIR: this working tree's files (tracked, and new ones not ignored) as one commit of
  # a fresh git repository in DIR: what `pip install git+https://...` clones.
  mkdir -p "$1"
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$1"
  git -C "$1" init -q -b main
  git -C "$1" add -A
  git -C "$1" -c user.name=rehearsal -c user.email=rehearsal@localhost commit -q -m snapshot
}

FIRST_CELL='
import json, sys, types
cells = [c for c in json.load(open(sys.argv[1]))["cells"] if c["cell_type"] == "code"]
sys.modules["google.colab"] = types.ModuleType("google.colab")  # what every Colab kernel has imported
exec(compile("".join(cells[0]["source"]), "the first code cell of " + sys.argv[1], "exec"))
'

COMPARE='
import re, sys
from packaging.utils import canonicalize_name as name
def freeze(path):  # {name: version, or the URL of a direct install such as vaebook @ git+https://...}
    pairs = (re.split(r"==| @ ", line.strip(), maxsplit=1) for line in open(path) if "==" in line or " @ " in line)
    return {name(n): v for n, v in pairs}
stack = {name(l.split("==")[0]) for l in open(sys.argv[3]) if "==" in l and "not on Colab" not in l}
before, after = freeze(sys.argv[1]), freeze(sys.argv[2])
gone = "removed"
problems = [f"{p} {before[p]} -> {after.get(p, gone)}" for p in sorted(stack) if before.get(p) != after.get(p)]
problems += [f"{p} {after[p]} added" for p in sorted(set(after) - set(before) - {"vaebook"})]
if "vaebook" not in after:
    problems.append("vaebook was not installed")
print("; ".join(problems))
'

run() {
  prepare
  local run venv home src cpus
  # Beside the cached stack, so that the copy can be hard links (seconds, not a 3 GB copy): pip
  # unlinks a file before it writes one, so the run's installs never reach the cached files.
  mkdir -p "$VENV.runs"
  run=$(mktemp -d "$VENV.runs/run.XXXXXX")
  RUN_DIR=$run
  trap '[ -n "${COLAB_KEEP:-}" ] || rm -rf "$RUN_DIR"' EXIT
  venv="$run/venv" home="$run/home" src="$run/repo"
  cp -al "$VENV" "$venv" 2>/dev/null || { rm -rf "$venv"; cp -a "$VENV" "$venv"; }
  snapshot_repo "$src"
  mkdir -p "$home"
  HOME="$home" git config --global url."$src".insteadOf "$REPO_URL"
  local py="$venv/bin/python"
  "$py" -m pip freeze --all > "$run/before.txt"
  stamp "the reader's install: the notebooks' first code cell, as on Colab ($REPO_URL -> a snapshot of this tree)"
  (cd "$run" && env -i HOME="$home" PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 TMPDIR="${TMPDIR:-/tmp}" \
    "$py" -c "$FIRST_CELL" "$src/notebooks/01_history.ipynb") > "$run/install.log" 2>&1 ||
    { tail -n 30 "$run/install.log" >&2; die "the first code cell failed to install vaebook on Colab's stack"; }
  "$py" -m pip freeze --all > "$run/after.txt"
  local changed
  changed=$("$py" -c "$COMPARE" "$run/before.txt" "$run/after.txt" "$ROOT/$STACK")
  [ -z "$changed" ] || die "installing vaebook changed Colab's stack: $changed"
  stamp "installed: $(grep -i '^vaebook' "$run/after.txt"), and every package of $STACK as it was"

  # The notebooks and explorers, in two workers (one CPU each) where there are two CPUs.
  cpus=($("$py" -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])'))
  local nbenv=(env -i HOME="$home" PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 TMPDIR="${TMPDIR:-/tmp}"
               PYTHONHASHSEED=0 COLAB_NOTEBOOK_DIR="$src/notebooks")
  local pytest=("$py" -m pytest -p no:cacheprovider -q --rootdir "$src" --confcutdir "$src/tests/colab" "$src/tests/colab")
  # About equal halves (benchmarks/README.md, notebook_cost: 03 and 02 take as long as the other four).
  local groups=("03_keras_vae.ipynb 02_elbo.ipynb"
                "06_conditional_vae.ipynb 04_latent_space.ipynb 05_uses_and_limits.ipynb 01_history.ipynb")
  [ ${#cpus[@]} -ge 2 ] || groups=("${groups[*]}")
  stamp "every notebook on Colab's stack, explorers driven: ${#groups[@]} worker(s) on CPU(s) ${cpus[*]}"
  local pids=() i only
  for i in "${!groups[@]}"; do
    only=()
    [ "$i" -eq 0 ] || only=(-k "not catches")  # the checker's own test runs once
    (cd "$src" && "${nbenv[@]}" COLAB_NOTEBOOKS="${groups[$i]}" taskset -c "${cpus[$i]}" "${pytest[@]}" "${only[@]}") \
      > "$run/worker$i.log" 2>&1 &
    pids+=($!)
  done
  local failed=0
  for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then tail -n 1 "$run/worker$i.log"; else cat "$run/worker$i.log" >&2; failed=1; fi
  done
  [ "$failed" -eq 0 ] || die "a notebook failed or an explorer did not respond on Colab's stack (the worker's log is above)"

  stamp "the explorer display test on ipywidgets $(grep -i '^ipywidgets' "$run/after.txt" | cut -d= -f3)"
  (cd "$src" && "${nbenv[@]}" "$py" -m pytest -p no:cacheprovider -q --rootdir "$src" \
    "$src/tests/test_widgets.py::test_displaying_the_explorer_shows_its_widget_view") > "$run/display.log" 2>&1 ||
    { cat "$run/display.log" >&2; die "the explorer does not display on Colab's ipywidgets"; }
  tail -n 1 "$run/display.log"

  stamp "a Colab image without mlxtend: what installing vaebook would change (pip install --dry-run)"
  "$py" -m pip uninstall -y -q mlxtend
  (cd "$run" && env -i HOME="$home" PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 TMPDIR="${TMPDIR:-/tmp}" \
    "$py" -m pip install -q --dry-run --report "$run/dry.json" "$src") > "$run/dry.log" 2>&1 ||
    { tail -n 20 "$run/dry.log" >&2; die "pip could not resolve vaebook on Colab's stack without mlxtend"; }
  local extra
  extra=$("$py" -c '
import json, sys
names = [(i["metadata"]["name"].lower(), i["metadata"]["version"]) for i in json.load(open(sys.argv[1]))["install"]]
print("; ".join(f"{n} {v}" for n, v in names if n not in ("vaebook", "mlxtend")))' "$run/dry.json")
  [ -z "$extra" ] || die "without mlxtend, installing vaebook on Colab's stack would also install: $extra"
  stamp "colab rehearsal passed"
}

case "${1:-run}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: tests/colab/rehearse.sh [run | prepare]" >&2; exit 2 ;;
esac
