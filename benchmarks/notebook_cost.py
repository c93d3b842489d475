"""Wall time and peak resident memory of every notebook, each executed in a fresh kernel.

Modes: ``test`` (VAEBOOK_DATA=bundled, as CI), with a cold model cache (the first run on a
fresh machine) and a warm one; ``default`` (VAEBOOK_DATA unset: full MNIST when it can be
downloaded, else the bundled subset; the JSON records which one the notebooks used).

    python -m benchmarks.notebook_cost         # targets: <= 60 s (test mode), <= 1.5 GB each
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks._common import parser, report, verdict

ROOT = Path(__file__).resolve().parents[1]
TARGET_S, TARGET_GB = 60.0, 1.5


def peak_rss_of_tree(proc, stop, result):
    """Poll the resident memory of a process and its children; keep the largest per-process peak and sum."""
    import psutil

    root = psutil.Process(proc.pid)
    peak_kernel = 0
    while not stop.is_set():
        try:
            kernels = [c for c in root.children(recursive=True) if "ipykernel" in " ".join(c.cmdline())]
            peak_kernel = max(peak_kernel, sum(c.memory_info().rss for c in kernels))
        except psutil.Error:
            pass
        time.sleep(0.1)
    result["kernel_peak_bytes"] = peak_kernel


def run(notebook: Path, env: dict) -> dict:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
               "--ExecutePreprocessor.timeout=900", "--output-dir", out, str(notebook)]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        stop, result = threading.Event(), {}
        watcher = threading.Thread(target=peak_rss_of_tree, args=(proc, stop, result))
        watcher.start()
        _, stderr = proc.communicate()
        seconds = time.perf_counter() - start
        stop.set()
        watcher.join()
        executed = Path(out) / notebook.name
        source = "full" if executed.exists() and "full MNIST: " in executed.read_text() else "bundled"
    if proc.returncode != 0:
        raise RuntimeError(f"{notebook.name} failed:\n{stderr[-2000:]}")
    return {"seconds": seconds, "peak_gb": result["kernel_peak_bytes"] / 1e9, "data_used": source}


def main(argv=None):
    p = parser(__doc__)
    p.add_argument("--modes", default="test-cold,test-warm,default", help="comma-separated: test-cold, test-warm, default")
    args = p.parse_args(argv)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    modes = args.modes.split(",")
    if args.smoke:
        notebooks, modes = notebooks[1:2], ["test-warm"]  # 02: no model, a few seconds
    base = {k: v for k, v in os.environ.items() if k != "VAEBOOK_DATA"}
    base.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    warm_cache = os.environ.get("VAEBOOK_CACHE", str(ROOT / ".cache" / "models"))
    rows = []
    with tempfile.TemporaryDirectory() as cold_cache:
        for mode in modes:
            env = dict(base, VAEBOOK_CACHE=cold_cache if mode == "test-cold" else warm_cache)
            if mode.startswith("test"):
                env["VAEBOOK_DATA"] = "bundled"
            for nb in notebooks:
                r = run(nb, env)
                time_ok = r["seconds"] <= TARGET_S or mode == "default"
                mem_ok = r["peak_gb"] <= TARGET_GB
                rows.append({"notebook": nb.name, "mode": mode, "data_used": r["data_used"],
                             "seconds": r["seconds"], "peak_gb": r["peak_gb"],
                             "target": ("<= 60 s, " if mode != "default" else "<= 180 s, ") + "<= 1.5 GB",
                             "result": "n/a (smoke)" if args.smoke else verdict(
                                 time_ok and mem_ok and (mode != "default" or r["seconds"] <= 180),
                                 f"{r['seconds']:.0f} s, {r['peak_gb']:.2f} GB")})
    conditions = {"kernel": "fresh ipykernel per notebook via nbconvert --execute",
                  "memory": "peak resident memory of the kernel process (polled every 0.1 s)",
                  "cold cache": "a new empty VAEBOOK_CACHE; notebooks run in order, so later ones may reuse models trained by earlier ones",
                  "default mode": "VAEBOOK_DATA unset; offline machines fall back to the bundled subset (see data_used)"}
    return report("notebook_cost", args, rows, conditions, "python -m benchmarks.notebook_cost")


if __name__ == "__main__":
    main()
