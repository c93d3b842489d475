#!/usr/bin/env bash
# A local Binder rehearsal (there is no Docker here), built from binder/ alone, as repo2docker builds:
#   1. a Python virtual environment of the version in binder/runtime.txt (python-3.11),
#   2. binder/requirements.txt installed into it (exact versions, generated from requirements.lock),
#   3. binder/postBuild run in a copy of the repository's files, with that environment's bin first
#      on PATH, nothing else of the caller's environment, and HOME a fresh directory.
# Then JupyterLab is served from that environment through binder/start: in a fresh copy of the
# repository, HOME a fresh copy of what postBuild left there, pinned to one CPU, under a memory cap
# where the machine allows it (root and a cgroup memory controller), on 127.0.0.1 without a token.
#
#   binder/rehearse.sh [lab] [JUPYTER ARGS]   prepare, then serve (Ctrl-C or SIGTERM stops it)
#   binder/rehearse.sh prepare                only build (or reuse) the environment
#   binder/rehearse.sh check                  prepare, then print as JSON what the kernel's
#                                             interpreter sees from a notebook's folder
# Settings: REHEARSAL_VENV (default .cache/binder-venv), REHEARSAL_CPU (default: the first CPU
# this process may use), REHEARSAL_MEMORY (default 2G; 0 means no cap), PORT (default 8890),
# REHEARSAL_REPORT (a file that gets, as JSON when the server stops, the memory cap, the cgroup's peak,
# which counts the page cache too, and each notebook kernel's peak resident memory, VmHWM).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

VENV=${REHEARSAL_VENV:-.cache/binder-venv}
case "$VENV" in /*) ;; *) VENV="$ROOT/$VENV" ;; esac
HOME_TEMPLATE="$VENV.home"   # what postBuild left in HOME: every launch starts from a copy of it
CPU=${REHEARSAL_CPU:-$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))' 2>/dev/null || echo 0)}
MEMORY=${REHEARSAL_MEMORY:-2G}
PORT=${PORT:-8890}
OUTER_PIP_CACHE=${PIP_CACHE_DIR:-${HOME:-/root}/.cache/pip}

die() { echo "rehearse.sh: $*" >&2; exit 1; }

runtime_python() {
  local want v py got
  want=$(tr -d ' \r\n' < binder/runtime.txt)
  [[ "$want" =~ ^python-([0-9]+\.[0-9]+)$ ]] || die "binder/runtime.txt must read python-X.Y (e.g. python-3.11), it reads '$want'"
  v=${BASH_REMATCH[1]}
  py=${PYTHON:-$(command -v "python$v" || true)}
  [ -n "$py" ] || die "Binder uses Python $v (binder/runtime.txt) and python$v is not on PATH: install it, or set PYTHON=/path/to/python$v"
  got=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  [ "$got" = "$v" ] || die "$py is Python $got but binder/runtime.txt asks for $v: set PYTHON=/path/to/python$v"
  echo "$py"
}

world() {
  # world HOME CMD...: CMD with only the rehearsal environment on PATH and this HOME; nothing else
  # of the caller's environment (no PYTHONPATH, no VIRTUAL_ENV, no dev .venv on PATH).
  local home=$1
  shift
  env -i HOME="$home" PATH="$VENV/bin:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 USER="${USER:-$(id -un)}" \
    TMPDIR="${TMPDIR:-/tmp}" "$@"
}

build_world() {
  # The build may reach the package index as this machine does (its proxy and pip settings) and
  # reuse pip's download cache: that changes nothing installed, the versions are pinned.
  local home=$1 extra=() v
  shift
  for v in $(compgen -e); do
    case "$v" in http_proxy|https_proxy|no_proxy|HTTP_PROXY|HTTPS_PROXY|NO_PROXY|PIP_*) extra+=("$v=${!v}") ;; esac
  done
  world "$home" "${extra[@]}" PIP_CACHE_DIR="$OUTER_PIP_CACHE" "$@"
}

snapshot() {
  # snapshot DIR: the repository's files as Binder gets them (tracked, plus new files not ignored),
  # without .git, .venv, .cache or anything else .gitignore names.
  mkdir -p "$1"
  if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
      tar --null -T - -cf -) | tar -xf - -C "$1"
  else
    (cd "$ROOT" && tar --exclude=./.git --exclude=./.venv --exclude=./.cache --exclude=./artifacts -cf - .) | tar -xf - -C "$1"
  fi
}

tree_hash() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }

prepare() {
  local env_want src_want py log build
  env_want=$(cat binder/runtime.txt binder/requirements.txt | sha256sum | cut -d' ' -f1)
  if [ -f "$VENV/.rehearsal-env" ] && [ "$(cat "$VENV/.rehearsal-env")" = "$env_want" ]; then
    echo "== rehearsal environment $VENV: packages up to date"
  else
    py=$(runtime_python)
    echo "== building $VENV: $("$py" --version) (binder/runtime.txt), then binder/requirements.txt"
    rm -rf "$VENV" "$HOME_TEMPLATE"
    PYTHON="$py" "$ROOT/dev.sh" _venv "$VENV"
    build=$(mktemp -d "${TMPDIR:-/tmp}/vaebook-build-home.XXXXXX")
    log="$VENV/rehearsal-install.log"
    if ! build_world "$build" "$VENV/bin/python" -m pip install -r "$ROOT/binder/requirements.txt" >"$log" 2>&1; then
      tail -n 30 "$log" >&2
      rm -rf "$build"
      die "installing binder/requirements.txt failed; the full log is $log"
    fi
    rm -rf "$build"
    # What requirements.txt alone installed, so that a later postBuild run starts from it again.
    cp -a "$VENV/share/jupyter/kernels" "$VENV/.pristine-kernels"
    echo "$env_want" > "$VENV/.rehearsal-env"
  fi

  build=$(mktemp -d "${TMPDIR:-/tmp}/vaebook-build.XXXXXX")
  snapshot "$build/repo"
  src_want=$(tree_hash "$build/repo")
  if [ -f "$VENV/.rehearsal-src" ] && [ "$(cat "$VENV/.rehearsal-src")" = "$src_want" ]; then
    echo "== binder/postBuild: already run on these files"
  else
    echo "== running binder/postBuild with $VENV/bin/python, in a copy of the repository, HOME fresh"
    # Undo an earlier postBuild run (vaebook, the kernelspec): Binder runs it on a fresh image.
    rm -rf "$HOME_TEMPLATE" "$VENV/share/jupyter/kernels"
    cp -a "$VENV/.pristine-kernels" "$VENV/share/jupyter/kernels"
    "$VENV/bin/python" -m pip uninstall --yes --quiet vaebook >/dev/null 2>&1 || true
    mkdir -p "$HOME_TEMPLATE"
    log="$VENV/postBuild.log"
    if ! (cd "$build/repo" && build_world "$HOME_TEMPLATE" bash -c 'chmod +x binder/postBuild && ./binder/postBuild') >"$log" 2>&1; then
      tail -n 30 "$log" >&2
      rm -rf "$build"
      die "binder/postBuild failed; the full log is $log"
    fi
    echo "$src_want" > "$VENV/.rehearsal-src"
  fi
  rm -rf "$build"
}

RUN=""
new_launch() {
  # A launch's own folder: a fresh copy of the repository and a fresh copy of postBuild's HOME.
  RUN=$(mktemp -d "${TMPDIR:-/tmp}/vaebook-rehearsal.XXXXXX")
  mkdir -p "$RUN/home"
  cp -a "$HOME_TEMPLATE/." "$RUN/home/"
  snapshot "$RUN/repo"
}

CGROUP="" CGROUP_KIND=""
memory_cap() {
  # A cgroup below this process's own, with a memory limit: v2 (memory.max) or v1
  # (memory.limit_in_bytes). Leaves CGROUP empty where that is not possible (not root, no controller).
  [ "$MEMORY" != "0" ] || return 0
  [ "$(id -u)" -eq 0 ] || return 0
  local bytes rel base
  bytes=$(numfmt --from=iec "$MEMORY" 2>/dev/null) || die "REHEARSAL_MEMORY=$MEMORY is not a size such as 2G (or 0 for no cap)"
  if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
    rel=$(sed -n 's/^0:://p' /proc/self/cgroup)
    base="/sys/fs/cgroup${rel%/}"
    if mkdir "$base/vaebook-rehearsal-$$" 2>/dev/null; then
      if [ -f "$base/vaebook-rehearsal-$$/memory.max" ] && echo "$bytes" > "$base/vaebook-rehearsal-$$/memory.max" 2>/dev/null; then
        echo 0 > "$base/vaebook-rehearsal-$$/memory.swap.max" 2>/dev/null || true
        CGROUP="$base/vaebook-rehearsal-$$" CGROUP_KIND=v2
        return 0
      fi
      rmdir "$base/vaebook-rehearsal-$$"
    fi
  fi
  if [ -d /sys/fs/cgroup/memory ]; then
    rel=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
    base="/sys/fs/cgroup/memory${rel%/}"
    if mkdir "$base/vaebook-rehearsal-$$" 2>/dev/null; then
      if echo "$bytes" > "$base/vaebook-rehearsal-$$/memory.limit_in_bytes" 2>/dev/null; then
        echo "$bytes" > "$base/vaebook-rehearsal-$$/memory.memsw.limit_in_bytes" 2>/dev/null || true  # no swap either
        CGROUP="$base/vaebook-rehearsal-$$" CGROUP_KIND=v1
        return 0
      fi
      rmdir "$base/vaebook-rehearsal-$$"
    fi
  fi
}

PEAK_FILE=""
measure_without_cgroup() {
  # No cap possible: sample the resident memory of the server and its kernels twice a second.
  PEAK_FILE="$RUN/peak"
  python3 - "$1" "$PEAK_FILE" <<'PY' &
import os, sys, time
root, out = int(sys.argv[1]), sys.argv[2]
peak = 0
def tree_rss(pid):
    children, rss = {}, {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(p))
            rss[int(p)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total
while os.path.exists(f"/proc/{root}"):
    peak = max(peak, tree_rss(root))
    with open(out, "w") as f:
        f.write(str(peak))
    time.sleep(0.5)
PY
}

KERNELS_FILE=""
measure_kernels() {
  # measure_kernels SERVER_PID: every notebook kernel's peak resident memory (VmHWM, the kernel's own
  # high-water mark: page cache and other processes not counted), polled twice a second until the
  # server stops, with the notebook of each kernel from the server's sessions. Written to $KERNELS_FILE.
  KERNELS_FILE="$RUN/kernels.json"
  python3 - "$1" "$KERNELS_FILE" "$PORT" <<'PY' &
import json, os, re, sys, time, urllib.request
root, out, port = int(sys.argv[1]), sys.argv[2], sys.argv[3]
peaks, notebooks = {}, {}  # kernel id -> peak bytes, notebook path
def children():
    parent = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{p}/stat") as f:
                parent[int(p)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            pass
    found, todo = [], [root]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found += kids
        todo += kids
    return found
while os.path.exists(f"/proc/{root}"):
    for pid in children():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
            kernel = re.search(r"kernel-([0-9a-f-]+)\.json", cmdline)
            if "ipykernel" not in cmdline or not kernel:
                continue
            with open(f"/proc/{pid}/status") as f:
                hwm = int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) * 1024
            peaks[kernel.group(1)] = max(peaks.get(kernel.group(1), 0), hwm)
        except (OSError, AttributeError):
            pass
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/sessions", timeout=2) as r:
            notebooks.update({s["kernel"]["id"]: s["path"] for s in json.load(r)})
    except (OSError, ValueError, KeyError):
        pass
    with open(out + ".tmp", "w") as f:
        json.dump([{"notebook": notebooks.get(k), "kernel": k, "peak_rss_bytes": v} for k, v in sorted(peaks.items())], f)
    os.replace(out + ".tmp", out)
    time.sleep(0.5)
PY
}

report() {
  # The cap and the peak, on stdout and as JSON in $REHEARSAL_REPORT.
  local peak="" cap="none" ooms=0
  if [ "$CGROUP_KIND" = v2 ]; then
    peak=$(cat "$CGROUP/memory.peak" 2>/dev/null || echo "")
    ooms=$(awk '$1 == "oom_kill" {print $2}' "$CGROUP/memory.events" 2>/dev/null || echo 0)
    cap=$MEMORY
  elif [ "$CGROUP_KIND" = v1 ]; then
    peak=$(cat "$CGROUP/memory.max_usage_in_bytes")
    ooms=$(awk '$1 == "oom_kill" {print $2}' "$CGROUP/memory.oom_control" 2>/dev/null || echo 0)
    cap=$MEMORY
  elif [ -n "$PEAK_FILE" ] && [ -f "$PEAK_FILE" ]; then
    peak=$(cat "$PEAK_FILE")
  fi
  local mb=$(( ${peak:-0} / 1048576 )) kernels="[]" counts="resident memory of the server and its kernels"
  [ -z "$CGROUP_KIND" ] || counts="memory of the cgroup, page cache included"
  [ -z "$KERNELS_FILE" ] || [ ! -f "$KERNELS_FILE" ] || kernels=$(cat "$KERNELS_FILE")
  echo "== rehearsal memory: peak ${mb} MB${CGROUP_KIND:+ in the cgroup, page cache included} (cap: $cap${CGROUP_KIND:+, cgroup $CGROUP_KIND}, OOM kills: ${ooms:-0})"
  python3 -c '
import json, sys
for k in json.loads(sys.argv[1]):
    name, peak = k["notebook"], k["peak_rss_bytes"] / 1e9
    print(f"== kernel of {name}: peak resident memory {peak:.2f} GB (VmHWM)")' "$kernels" || true
  if [ -n "${REHEARSAL_REPORT:-}" ]; then
    printf '{"cap": "%s", "cgroup": "%s", "peak_bytes": %s, "peak_counts": "%s", "kernels": %s, "oom_kills": %s, "cpu": %s}\n' \
      "$cap" "${CGROUP_KIND:-none}" "${peak:-null}" "$counts" "$kernels" "${ooms:-0}" "$CPU" > "$REHEARSAL_REPORT"
  fi
}

SERVER="" STOPPED=""
stop() {
  [ -z "$STOPPED" ] || return 0
  STOPPED=1
  trap - INT TERM EXIT
  if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then
    kill -TERM "$SERVER" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$SERVER" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  report
  if [ -n "$CGROUP" ]; then
    local pid
    for pid in $(cat "$CGROUP/cgroup.procs" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done  # stray kernels
    for _ in $(seq 1 20); do rmdir "$CGROUP" 2>/dev/null && break; sleep 0.25; done
  fi
  [ -z "$RUN" ] || rm -rf "$RUN"
}

serve() {
  prepare
  command -v taskset >/dev/null || die "taskset is missing (it pins the rehearsal to one CPU); fix: apt-get install util-linux"
  new_launch
  memory_cap
  local enter=()
  # The server joins the cgroup before it starts, so its kernels are in it too.
  [ -z "$CGROUP" ] || enter=(bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CGROUP")
  local root=()
  [ "$(id -u)" -ne 0 ] || root=(--allow-root)  # Jupyter refuses root without it (as in containers)
  trap 'stop; exit 130' INT
  trap 'stop; exit 143' TERM
  trap stop EXIT
  echo "== JupyterLab at http://127.0.0.1:$PORT/lab/tree/notebooks/01_history.ipynb (no token); CPU $CPU;" \
    "memory cap: ${CGROUP:+$MEMORY (cgroup $CGROUP_KIND)}${CGROUP:-none possible here, peak measured}"
  (
    cd "$RUN/repo"
    exec env -i HOME="$RUN/home" PATH="$VENV/bin:/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 USER="${USER:-$(id -un)}" \
      TMPDIR="${TMPDIR:-/tmp}" taskset -c "$CPU" "${enter[@]}" ./binder/start "$VENV/bin/jupyter" lab --no-browser "${root[@]}" \
      --ServerApp.ip=127.0.0.1 --ServerApp.port="$PORT" --ServerApp.port_retries=0 \
      --IdentityProvider.token= --ServerApp.password= --ServerApp.root_dir="$RUN/repo" "$@"
  ) &
  SERVER=$!
  [ -n "$CGROUP" ] || measure_without_cgroup "$SERVER"
  measure_kernels "$SERVER"
  local rc=0
  wait "$SERVER" || rc=$?
  stop
  return $rc
}

check() {
  # What a notebook's kernel sees: its kernelspec and, run as that kernelspec runs it from a
  # notebook's folder, the interpreter's sys.path and where vaebook comes from.
  prepare
  new_launch
  trap 'rm -rf "$RUN"' EXIT
  local spec="$VENV/share/jupyter/kernels/python3/kernel.json"
  [ -f "$spec" ] || die "$spec is missing: binder/postBuild should install the kernelspec"
  local interpreter
  interpreter=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["argv"][0])' "$spec")
  (cd "$RUN/repo/notebooks" && world "$RUN/home" "$interpreter" - "$spec" "$VENV" <<'PY'
import importlib.util, json, os, sys
spec = json.load(open(sys.argv[1]))
found = {}
for name in ["vaebook", "pytest", "nbval", "hypothesis", "playwright", "psutil"]:
    s = importlib.util.find_spec(name)
    found[name] = (s.origin if s else None)
try:
    import vaebook
    vaebook_file, error = vaebook.__file__, None
except Exception as err:  # report, don't crash: the test names the problem
    vaebook_file, error = None, f"{type(err).__name__}: {err}"
print(json.dumps({
    "venv": sys.argv[2], "executable": sys.executable, "prefix": sys.prefix, "path": sys.path,
    "kernelspec": spec, "find_spec": found, "vaebook_file": vaebook_file, "vaebook_error": error,
    "cwd": os.getcwd(), "home": os.path.expanduser("~"),
}))
PY
  )
}

case "${1:-lab}" in
  prepare) prepare ;;
  check) check ;;
  lab) [ $# -eq 0 ] || shift; serve "$@" ;;
  -*) serve "$@" ;;
  *) echo "usage: binder/rehearse.sh [lab [JUPYTER ARGS] | prepare | check]" >&2; exit 2 ;;
esac
