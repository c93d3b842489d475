#!/usr/bin/env bash
# vaebook's project commands. Each one creates or reuses the virtual environment .venv first,
# installed from requirements.lock (the exact versions the committed notebooks were run with).
#   ./dev.sh lab       install everything and open the series in JupyterLab
#   ./dev.sh test      install everything and run every test (what CI runs); see cmd_test for ARGS
#   ./dev.sh execute   re-execute every notebook in place, as the tests run them (one CPU, fresh
#                      HOME, empty model cache, bundled data, fixed seeds); `./dev.sh execute
#                      notebooks/04_latent_space.ipynb` re-executes only the notebooks named
#   ./dev.sh setup     only create or update the environment
#   ./dev.sh lock      regenerate requirements.lock and binder/requirements.txt from pyproject.toml
#                      (keeps current pins where possible; `./dev.sh lock --upgrade` takes the newest)
#   ./dev.sh refresh   lock --upgrade, reinstall, then execute: new versions, new committed outputs
#   ./dev.sh rehearse  build the Binder environment from binder/ alone and serve JupyterLab on
#                      127.0.0.1 (binder/rehearse.sh; `./dev.sh rehearse prepare|check|lab`)
#   ./dev.sh grade     autograde filled-in notebooks with nbgrader, one line each: `./dev.sh grade
#                      notebooks/0*.ipynb`, or the answer key: `./dev.sh grade --key` (key/grade.py)
#   ./dev.sh backends-env  create or update .cache/backends: .venv plus JAX and PyTorch (CPU), for the
#                      backends stage and `.cache/backends/bin/python -m benchmarks.backends`
#   ./dev.sh site      build the rendered site from the committed notebooks (nothing is run) into
#                      build/site; the last line printed is its index.html (docs/build.py)
set -euo pipefail
cd "$(dirname "$0")"

VENV=${VAEBOOK_VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3 || true)}
LOCK=requirements.lock
BINDER_REQS=binder/requirements.txt
UV_VERSION=0.13.9   # the lock tool, pinned too: the same inputs give the same lock
TOOLS=.cache/lock-tools

die() { echo "dev.sh: $*" >&2; exit 1; }

make_venv() {
  # make_venv DIR: a virtual environment, or one line saying how to get the venv module.
  [ -n "$PYTHON" ] || die "no python3 on PATH: install Python 3.11 (Debian: apt-get install python3 python3-venv)"
  local err
  if ! err=$("$PYTHON" -m venv "$1" 2>&1); then
    rm -rf "$1"
    if grep -qiE "ensurepip|python3(\.[0-9]+)?-venv|No module named venv" <<<"$err"; then
      die "'$PYTHON -m venv' failed: Python's venv module is missing; fix: apt-get install python3-venv (or python3.11-venv), then rerun"
    fi
    printf '%s\n' "$err" >&2
    die "'$PYTHON -m venv $1' failed (its message is above)"
  fi
}

ensure_env() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV with $("$PYTHON" --version 2>&1)"
    make_venv "$VENV"
  fi
  [ -f "$LOCK" ] || die "$LOCK is missing: run './dev.sh lock' to generate it from pyproject.toml"
  # Reinstall only when the lock or pyproject.toml changed.
  local stamp="$VENV/.vaebook-installed" want
  want=$(cat "$LOCK" pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "== installing $LOCK and vaebook (editable, no dependencies of its own) into $VENV"
    local log="$VENV/pip-install.log"
    if ! { "$VENV/bin/python" -m pip install -r "$LOCK" && "$VENV/bin/python" -m pip install --no-deps -e .; } >"$log" 2>&1; then
      tail -n 40 "$log" >&2
      die "pip install failed; the full log is $log"
    fi
    echo "$want" > "$stamp"
  fi
  export PATH="$PWD/$VENV/bin:$PATH"
}

BACKENDS_VENV=.cache/backends
# What the backends stage adds to .venv: JAX, and PyTorch's CPU build (pip takes torch 2.13.0 from this
# machine's disk; a newer torch, or uv, pulls several GB of CUDA wheels).
BACKEND_PINS="jax==0.10.2 jaxlib==0.10.2 torch==2.13.0"

ensure_backends() {
  # .cache/backends: a virtual environment over .venv (a .pth file puts .venv's packages and this
  # repository on its path) with JAX and PyTorch added; .venv itself stays exactly the lock.
  ensure_env
  local stamp="$BACKENDS_VENV/.vaebook-installed" want site main_site log
  want=$(echo "$BACKEND_PINS $(cat "$VENV/.vaebook-installed") $PWD" | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "== creating $BACKENDS_VENV: .venv plus $BACKEND_PINS"
    rm -rf "$BACKENDS_VENV"
    make_venv "$BACKENDS_VENV"
    site=$("$BACKENDS_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    main_site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    printf '%s\n%s\n' "$main_site" "$PWD" > "$site/vaebook-over-venv.pth"
    log="$BACKENDS_VENV/pip-install.log"
    # -c keeps every package of the lock at its pinned version; pip adds only what is missing.
    # shellcheck disable=SC2086
    if ! "$BACKENDS_VENV/bin/python" -m pip install -c "$LOCK" $BACKEND_PINS >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      die "could not install $BACKEND_PINS into $BACKENDS_VENV; the full log is $log"
    fi
    echo "$want" > "$stamp"
  fi
}

hermetic() {
  # The tests' world: the bundled MNIST subset, quiet TensorFlow, a project-local model cache.
  export VAEBOOK_DATA=bundled
  export TF_CPP_MIN_LOG_LEVEL=3
  export VAEBOOK_CACHE="$PWD/.cache/models"
  export PYTHONHASHSEED=0
}

first_cpu() {
  # The first CPU this process may run on (under `taskset -c 1 ./dev.sh ...` that is 1).
  "$PYTHON" -c 'import os; print(min(os.sched_getaffinity(0)))'
}

NB_TMP=""
notebook_world() {
  # A Binder reader's world for running notebooks: one CPU, a fresh HOME, an empty model cache.
  # Sets NB_RUN, the command prefix that pins to that CPU.
  hermetic
  NB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vaebook-notebooks.XXXXXX")
  trap 'rm -rf "$NB_TMP"' EXIT
  mkdir -p "$NB_TMP/home" "$NB_TMP/cache"
  export HOME="$NB_TMP/home" VAEBOOK_CACHE="$NB_TMP/cache"
  local cpu
  cpu=$(first_cpu)
  if command -v taskset >/dev/null; then
    NB_RUN=(taskset -c "$cpu")
    echo "== notebooks run on CPU $cpu, HOME=$HOME, VAEBOOK_CACHE=$VAEBOOK_CACHE (empty)"
  else
    NB_RUN=()
    echo "== taskset is missing, so notebooks are not pinned to one CPU; fix: apt-get install util-linux"
  fi
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
  # One already on the machine, else Debian's package, else Playwright's own download. Exports
  # CHROMIUM (empty: Playwright's own) for tests/browser, and says in one line which it used.
  local found=""
  if [ -n "${CHROMIUM:-}" ]; then
    [ -x "$CHROMIUM" ] || die "CHROMIUM=$CHROMIUM is not an executable file: unset it or point it at a chromium binary"
    echo "== browser: $CHROMIUM (from \$CHROMIUM)"
    return
  fi
  for candidate in chromium chromium-browser; do
    if found=$(command -v "$candidate") && "$found" --version >/dev/null 2>&1; then
      export CHROMIUM=$found
      echo "== browser: $found, already on this machine ($("$found" --version 2>/dev/null | head -n1))"
      return
    fi
  done
  if command -v apt-get >/dev/null; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    local log
    log=$(mktemp)
    if { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } >"$log" 2>&1; then
      rm -f "$log"
      export CHROMIUM=/usr/bin/chromium
      echo "== browser: $CHROMIUM, Debian's chromium package, installed now with apt-get"
      return
    fi
    tail -n 5 "$log" >&2
    echo "== apt-get could not install Debian's chromium (its last lines are above); trying Playwright's own download" >&2
  fi
  python -m playwright install chromium >/dev/null ||
    die "no chromium: none on PATH, none from apt-get, and 'playwright install chromium' failed; fix: install chromium and set CHROMIUM=/path/to/it"
  export CHROMIUM=""
  echo "== browser: Playwright's own chromium, downloaded with 'playwright install chromium'"
}

# The backends stage: the model's own tests, and the notebooks that teach and condition it, on JAX and
# PyTorch (strict nbval stays on TensorFlow, which made the committed outputs; here every cell must run).
BACKEND_TESTS=(tests/test_model.py tests/test_conditional.py tests/test_training.py
               "tests/test_pretrained.py::test_the_shipped_models_decode_the_same_images_on_every_backend"
               "tests/test_pretrained.py::test_the_shipped_models_give_the_manifest_elbo_on_every_backend")
BACKEND_NOTEBOOKS_torch=(notebooks/03_keras_vae.ipynb notebooks/06_conditional_vae.ipynb)
BACKEND_NOTEBOOKS_jax=(notebooks/06_conditional_vae.ipynb)

backend_run() {
  # backend_run BACKEND CPU LOG: the backend's tests and notebooks on one CPU, a fresh HOME; output in LOG.
  local backend=$1 cpu=$2 log=$3 home pin=() rc=0 nbs
  home=$(mktemp -d "${TMPDIR:-/tmp}/vaebook-$backend-home.XXXXXX")
  ! command -v taskset >/dev/null || pin=(taskset -c "$cpu")
  nbs="BACKEND_NOTEBOOKS_$backend[@]"
  {
    echo "== $backend on CPU $cpu: ${BACKEND_TESTS[*]}"
    HOME=$home KERAS_BACKEND=$backend "${pin[@]}" "$BACKENDS_VENV/bin/python" -m pytest -q -p no:cacheprovider \
      "${BACKEND_TESTS[@]}" || rc=1
    echo "== $backend on CPU $cpu: every cell of ${!nbs}"
    HOME=$home KERAS_BACKEND=$backend VAEBOOK_CACHE=$home/cache "${pin[@]}" "$BACKENDS_VENV/bin/python" -m pytest -q \
      -p no:cacheprovider --nbval-lax --nbval-current-env "${!nbs}" || rc=1
  } >"$log" 2>&1
  rm -rf "$home"
  return $rc
}

backends_stage() {
  # JAX and PyTorch side by side, one CPU each where there are two; each log is printed when both are done.
  local cpus jax_cpu torch_cpu dir rc_jax=0 rc_torch=0
  cpus=($("$PYTHON" -c 'import os; print(*sorted(os.sched_getaffinity(0)))'))
  jax_cpu=${cpus[0]}
  torch_cpu=${cpus[1]:-${cpus[0]}}
  dir=$(mktemp -d "${TMPDIR:-/tmp}/vaebook-backends.XXXXXX")
  backend_run jax "$jax_cpu" "$dir/jax.log" & local jax_pid=$!
  backend_run torch "$torch_cpu" "$dir/torch.log" || rc_torch=$?
  wait "$jax_pid" || rc_jax=$?
  cat "$dir/jax.log" "$dir/torch.log"
  rm -rf "$dir"
  [ "$rc_jax" -eq 0 ] || die "the backends stage failed on jax (its log is above)"
  [ "$rc_torch" -eq 0 ] || die "the backends stage failed on torch (its log is above)"
}

STAGES_RUN=0
run_pytest_stage() {
  # run_pytest_stage NAME ARGS...: pytest's exit 5 (no test collected) is a failure with a reason.
  local name=$1 rc=0
  shift
  python -m pytest "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then
    die "the $name stage collected no test (pytest exit 5): check the arguments ($*)"
  elif [ "$rc" -ne 0 ]; then
    die "the $name stage failed (pytest exit $rc)"
  fi
  STAGES_RUN=$((STAGES_RUN + 1))
}

cmd_test() {
  # ./dev.sh test [--only unit,pairs,notebooks,browser,colab,site,backends] [--plan] [pytest ARGS]
  # A path picks its stage: tests/browser/... -> browser, notebooks/... -> notebooks, any other
  # path -> unit; when paths are given, only their stages run. Options (-k, -x, -v, ...) go to
  # the unit stage only: the notebook and browser stages always run whole.
  local only="" plan="" unit_paths=() nb_paths=() browser_paths=() opts=() colab_asked="" site_asked=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --plan) plan=1; shift; continue ;;  # print which stage gets which arguments, run nothing
      --only) [ $# -ge 2 ] || die "--only needs a list, e.g. --only unit,browser"; only=$2; shift 2; continue ;;
      --only=*) only=${1#--only=}; shift; continue ;;
    esac
    local bare=${1%%::*}
    if [[ "$1" != -* ]] && [ -e "$bare" ]; then
      case "$(realpath --relative-to=. "$bare")" in
        tests/browser|tests/browser/*) browser_paths+=("$1") ;;
        notebooks|notebooks/*) nb_paths+=("$1") ;;
        tests/colab|tests/colab/*) colab_asked=1 ;;  # the colab stage runs whole
        tests/site|tests/site/*) site_asked=1 ;;  # so does the site stage
        *) unit_paths+=("$1") ;;
      esac
    else
      opts+=("$1")
    fi
    shift
  done
  if [ -z "$only" ]; then
    if [ ${#unit_paths[@]} -eq 0 ] && [ ${#nb_paths[@]} -eq 0 ] && [ ${#browser_paths[@]} -eq 0 ] &&
       [ -z "$colab_asked$site_asked" ]; then
      only=unit,pairs,notebooks,browser,colab,site,backends
    else
      [ ${#unit_paths[@]} -eq 0 ] || only+=unit,
      [ ${#nb_paths[@]} -eq 0 ] || only+=notebooks,
      [ ${#browser_paths[@]} -eq 0 ] || only+=browser,
      [ -z "$colab_asked" ] || only+=colab,
      [ -z "$site_asked" ] || only+=site,
    fi
  fi
  local stage
  for stage in ${only//,/ }; do
    case "$stage" in unit|pairs|notebooks|browser|colab|site|backends) ;; *) die "unknown stage '$stage': use unit, pairs, notebooks, browser, colab, site or backends" ;; esac
  done
  [ ${#unit_paths[@]} -gt 0 ] || unit_paths=(tests)
  [ ${#nb_paths[@]} -gt 0 ] || nb_paths=(notebooks)
  [ ${#browser_paths[@]} -gt 0 ] || browser_paths=(tests/browser)

  if [ -n "$plan" ]; then
    [[ ",$only," != *,unit,* ]] || echo "unit: ${unit_paths[*]} ${opts[*]}"
    [[ ",$only," != *,pairs,* ]] || echo "pairs:"
    [[ ",$only," != *,notebooks,* ]] || echo "notebooks: ${nb_paths[*]}"
    [[ ",$only," != *,browser,* ]] || echo "browser: ${browser_paths[*]}"
    [[ ",$only," != *,colab,* ]] || echo "colab: tests/colab"
    [[ ",$only," != *,site,* ]] || echo "site: tests/site"
    [[ ",$only," != *,backends,* ]] || echo "backends: jax, torch: ${BACKEND_TESTS[*]}"
    return 0
  fi
  ensure_env
  hermetic
  [[ ",$only," != *,colab,* ]] || colab_prepare_in_background
  if [[ ",$only," == *,unit,* ]]; then
    # Hermetic: the tests run with a fresh, empty HOME and must leave nothing in it.
    local unit_home written
    unit_home=$(mktemp -d "${TMPDIR:-/tmp}/vaebook-unit-home.XXXXXX")
    echo "== unit tests, HOME=$unit_home (fresh; must stay empty)"
    HOME=$unit_home run_pytest_stage unit "${unit_paths[@]}" "${opts[@]}"
    written=$(cd "$unit_home" && find . -mindepth 1 -maxdepth 3 | head -n 20)
    rm -rf "$unit_home"
    [ -z "$written" ] || die "the unit tests wrote to HOME (they must not; point the writer at a scratch folder in tests/conftest.py): $(echo $written)"
  fi
  if [[ ",$only," == *,pairs,* ]]; then
    echo "== notebook pairs in sync"
    check_pairs || die "the pairs stage failed"
    STAGES_RUN=$((STAGES_RUN + 1))
  fi
  if [[ ",$only," == *,notebooks,* ]]; then
    echo "== notebooks, strict nbval"
    (
      notebook_world
      "${NB_RUN[@]}" python -m pytest --nbval --nbval-current-env "${nb_paths[@]}" \
        --nbval-sanitize-with notebooks/sanitize.cfg -p no:cacheprovider
    ) || {
      rc=$?
      [ "$rc" -ne 5 ] || die "the notebooks stage collected no notebook"
      die "the notebooks stage failed (pytest exit $rc)"
    }
    STAGES_RUN=$((STAGES_RUN + 1))
  fi
  if [[ ",$only," == *,browser,* ]]; then
    echo "== widgets in a real browser, against the Binder rehearsal"
    ensure_chromium
    run_pytest_stage browser "${browser_paths[@]}" -p no:cacheprovider
  fi
  [[ ",$only," != *,colab,* ]] || stage_colab
  [[ ",$only," != *,site,* ]] || stage_site
  if [[ ",$only," == *,backends,* ]]; then
    echo "== the model on JAX and PyTorch: its tests, and notebooks 03, 06 (torch) and 06 (jax), every cell"
    ensure_backends
    backends_stage
    STAGES_RUN=$((STAGES_RUN + 1))
  fi
  # A plain closing line: how many stages ran and passed (a failed stage exits before this).
  echo "dev.sh test: $STAGES_RUN passed, 0 failed"
}

cmd_execute() {
  ensure_env
  notebook_world
  local nb nbs=("$@")
  [ ${#nbs[@]} -gt 0 ] || nbs=(notebooks/[0-9]*.ipynb)
  for nb in "${nbs[@]}"; do
    [ -f "$nb" ] || die "no notebook $nb (give paths like notebooks/04_latent_space.ipynb, or none for all)"
    echo "== executing $nb"
    jupytext --sync "$nb" >/dev/null
    "${NB_RUN[@]}" jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 "$nb"
  done
}

cmd_lock() {
  # requirements.lock: every dependency of vaebook[dev], for every platform, from pyproject.toml.
  # binder/requirements.txt: vaebook's runtime plus the reader's tools, for Binder's Linux x86-64
  # Python 3.11, constrained by the lock so the two never disagree.
  if [ ! -x "$TOOLS/bin/uv" ] || [ "$("$TOOLS/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    echo "== installing uv $UV_VERSION into $TOOLS"
    [ -x "$TOOLS/bin/python" ] || make_venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install --quiet "uv==$UV_VERSION" || die "could not install uv $UV_VERSION from the package index"
  fi
  local uv="$TOOLS/bin/uv"
  "$uv" pip compile --quiet pyproject.toml --extra dev --universal --python-version 3.11 \
    --custom-compile-command "./dev.sh lock" -o "$LOCK" "$@"
  "$uv" pip compile --quiet pyproject.toml --extra binder --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    --no-annotate --custom-compile-command "./dev.sh lock" -c "$LOCK" -o "$BINDER_REQS"
  echo "== wrote $LOCK and $BINDER_REQS; if versions changed, re-execute the notebooks: ./dev.sh execute"
}

COLAB_PREPARE_PID="" COLAB_PREPARE_LOG=""
colab_prepare_in_background() {
  # Colab's stack takes a minute or two to build on a fresh clone (.cache/colab-venv, then reused),
  # mostly downloading and unpacking: it is built while the other stages run.
  COLAB_PREPARE_LOG=$(mktemp "${TMPDIR:-/tmp}/vaebook-colab-prepare.XXXXXX")
  tests/colab/rehearse.sh prepare >"$COLAB_PREPARE_LOG" 2>&1 &
  COLAB_PREPARE_PID=$!
}

stage_colab() {
  # The Colab rehearsal (tests/colab/rehearse.sh): vaebook installed as a Colab reader installs it,
  # into Colab's published stack (tests/colab/colab-stack.txt), then every notebook and explorer there.
  echo "== Colab's stack: the reader's install, every notebook, every explorer (tests/colab/rehearse.sh)"
  if [ -n "$COLAB_PREPARE_PID" ]; then
    local rc=0
    wait "$COLAB_PREPARE_PID" || rc=$?
    cat "$COLAB_PREPARE_LOG"
    rm -f "$COLAB_PREPARE_LOG"
    [ "$rc" -eq 0 ] || die "the colab stage failed: Colab's stack could not be built (its messages are above)"
  fi
  tests/colab/rehearse.sh run || die "the colab stage failed (its messages are above)"
  STAGES_RUN=$((STAGES_RUN + 1))
}

stage_site() {
  # The rendered site, built from the committed notebooks and opened page by page in headless
  # Chromium, offline (tests/site; screenshots in artifacts/site/).
  echo "== the rendered site: built, then every page in a real browser, offline"
  cmd_site >/dev/null || die "the site stage failed: ./dev.sh site could not build the site"
  ensure_chromium
  VAEBOOK_SITE="$PWD/build/site" run_pytest_stage site tests/site -p no:cacheprovider
}

cmd_site() {
  ensure_env
  python docs/build.py build/site
}

cmd_refresh() {
  cmd_lock --upgrade
  ensure_env
  cmd_execute
  echo "== review 'git diff', run ./dev.sh test, and commit the lock with the re-executed notebooks"
}

cmd_grade() {
  # ./dev.sh grade [--key] [--course DIR] [--feedback DIR] [NOTEBOOK...]: each notebook's exercise section
  # autograded by nbgrader (key/grade.py), one line per notebook: "NOTEBOOK: score X / Y".
  ensure_env
  hermetic
  python -m key.grade grade "$@"
}

case "${1:-}" in
  lab)
    shift; ensure_env
    export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
    extra=()
    [ "$(id -u)" -ne 0 ] || extra+=(--allow-root)  # Jupyter refuses root without it (containers)
    exec jupyter lab "${extra[@]}" notebooks/01_history.ipynb "$@" ;;
  test) shift; cmd_test "$@" ;;
  execute) shift; cmd_execute "$@" ;;
  grade) shift; cmd_grade "$@" ;;
  setup) ensure_env; echo "== $VENV is ready" ;;
  lock) shift; cmd_lock "$@" ;;
  refresh) shift; cmd_refresh ;;
  rehearse) shift; exec binder/rehearse.sh "$@" ;;
  site) shift; cmd_site "$@" ;;
  backends-env) ensure_backends; echo "== $BACKENDS_VENV is ready: KERAS_BACKEND=jax $BACKENDS_VENV/bin/python ..." ;;
  _venv) make_venv "$2" ;;  # for binder/rehearse.sh: the same venv creation and its one-line fix
  *) echo "usage: ./dev.sh lab | test [--only STAGES] [ARGS] | execute | grade [--key] [NOTEBOOK...] | setup | lock [--upgrade] | refresh | rehearse [prepare|check|lab] | site | backends-env" >&2; exit 2 ;;
esac
