"""Wall time and peak resident memory of every notebook, each executed in a fresh kernel.

Every run starts as a new reader would: a fresh empty HOME, an empty model cache and the
default data (the bundled subset; VAEBOOK_DATA unset). Modes: ``1cpu`` pins the kernel to
one CPU, as on Binder; ``2cpu`` uses both CPUs of this machine.

    python -m benchmarks.notebook_cost   # targets (median of 3 runs): 01, 04, 05 <= 30 s and 02, 03, 06 <= 60 s on one CPU;
                                         # <= 1.5 GB each

Memory is the kernel's peak resident memory, its VmHWM (the kernel's own high-water mark: page
cache and other processes are not counted), and the table says how far that is below Binder's
2 GiB cap.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks._common import parser, report, verdict

ROOT = Path(__file__).resolve().parents[1]
TARGET_GB = 1.5
BINDER_CAP_GB = 2 * 2**30 / 1e9  # mybinder.org's 2 GiB (binder/rehearse.sh: REHEARSAL_MEMORY=2G)
TARGET_S = {"01": 30.0, "02": 60.0, "03": 60.0, "04": 30.0, "05": 30.0, "06": 60.0}  # on one CPU


def high_water_mark(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM, Linux), in bytes; 0 where it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        return 0


def peak_rss_of_tree(proc, stop, result):
    """Poll the kernel among a process's children: the largest of its resident memory and its VmHWM."""
    import psutil

    root = psutil.Process(proc.pid)
    peak_kernel = 0
    while not stop.is_set():
        try:
            kernels = [c for c in root.children(recursive=True) if "ipykernel" in " ".join(c.cmdline())]
            peak_kernel = max(peak_kernel, sum(c.memory_info().rss for c in kernels),
                              sum(high_water_mark(c.pid) for c in kernels))
        except psutil.Error:
            pass
        time.sleep(0.1)
    result["kernel_peak_bytes"] = peak_kernel


def run(notebook: Path, env: dict, cpus: set) -> dict:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
               "--ExecutePreprocessor.timeout=900", "--output-dir", out, str(notebook)]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: os.sched_setaffinity(0, cpus))
        stop, result = threading.Event(), {}
        watcher = threading.Thread(target=peak_rss_of_tree, args=(proc, stop, result))
        watcher.start()
        _, stderr = proc.communicate()
        seconds = time.perf_counter() - start
        stop.set()
        watcher.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{notebook.name} failed:\n{stderr[-2000:]}")
    return {"seconds": seconds, "peak_gb": result["kernel_peak_bytes"] / 1e9}


def main(argv=None):
    p = parser(__doc__)
    p.add_argument("--modes", default="1cpu,2cpu", help="comma-separated: 1cpu, 2cpu")
    p.add_argument("--only", default="", help="comma-separated notebook numbers, e.g. 03,05 (default: all)")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs per notebook and mode; the time checked is their median (a shared machine's noise)")
    args = p.parse_args(argv)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if args.only:
        notebooks = [nb for nb in notebooks if nb.name[:2] in args.only.split(",")]
    modes = args.modes.split(",")
    if args.smoke:
        notebooks, modes, args.repeat = notebooks[1:2], ["1cpu"], 1  # 02: no model, a few seconds
    allowed = sorted(os.sched_getaffinity(0))
    base = {k: v for k, v in os.environ.items() if k not in ("VAEBOOK_DATA", "VAEBOOK_CACHE", "HOME")}
    base.update(PYTHONHASHSEED="0")
    rows = []
    for mode in modes:
        cpus = set(allowed[:1]) if mode == "1cpu" else set(allowed[:2])
        for nb in notebooks:
            runs = []
            for _ in range(args.repeat):  # every run a new reader: fresh HOME, empty cache
                with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as cache:
                    runs.append(run(nb, dict(base, HOME=home, VAEBOOK_CACHE=cache), cpus))
            times = sorted(x["seconds"] for x in runs)
            r = {"seconds": statistics.median(times), "peak_gb": max(x["peak_gb"] for x in runs)}
            limit = TARGET_S[nb.name[:2]]
            ok = r["seconds"] <= limit and r["peak_gb"] <= TARGET_GB
            rows.append({"notebook": nb.name, "mode": mode, "cpus": len(cpus), "seconds": r["seconds"],
                         "runs_s": "/".join(f"{t:.0f}" for t in times),
                         "peak_gb": r["peak_gb"], "below_binder_2gib_gb": BINDER_CAP_GB - r["peak_gb"], "target": f"<= {limit:.0f} s on 1 CPU, <= {TARGET_GB} GB",
                         "result": "n/a (smoke)" if args.smoke else
                         verdict(ok, f"{r['seconds']:.0f} s, {r['peak_gb']:.2f} GB") if mode == "1cpu" else
                         verdict(r["peak_gb"] <= TARGET_GB, f"{r['peak_gb']:.2f} GB")})
    conditions = {"kernel": "fresh ipykernel per notebook via nbconvert --execute",
                  "reader": "fresh empty HOME, empty VAEBOOK_CACHE, VAEBOOK_DATA unset (the bundled subset)",
                  "1cpu": "the kernel and nbconvert pinned to one CPU (as on Binder)",
                  "memory": "peak resident memory of the kernel process: its VmHWM (page cache not counted), read every 0.1 s; "
                            "the largest of the runs",
                  "below_binder_2gib_gb": f"Binder's 2 GiB cap ({BINDER_CAP_GB:.2f} GB) minus peak_gb",
                  "seconds": f"median wall time of {args.repeat} runs per notebook and mode (runs_s: each run, sorted)"}
    given = [f"--modes {args.modes}" if args.modes != "1cpu,2cpu" else "", f"--only {args.only}" if args.only else "",
             f"--repeat {args.repeat}" if args.repeat != 3 else ""]
    return report("notebook_cost", args, rows, conditions, " ".join(["python -m benchmarks.notebook_cost", *filter(None, given)]))


if __name__ == "__main__":
    main()
