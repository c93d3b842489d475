"""Shared plumbing of the benchmark scripts: arguments, timing, machine facts, tables and JSON.

Every script prints a table and writes it, with the conditions of the run, to
``benchmarks/results/<name>.json`` (or ``--out``). ``--smoke`` runs tiny sizes in seconds and
checks no targets: it only proves that the script still works (tests/test_benchmarks.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = Path(__file__).resolve().parent / "results"


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--smoke", action="store_true", help="tiny sizes, no targets checked (for the test suite)")
    p.add_argument("--out", type=Path, default=None, help="JSON output path (default benchmarks/results/<name>.json)")
    return p


def machine() -> dict:
    import keras
    import numpy as np
    import tensorflow as tf

    import vaebook

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "numpy": np.__version__,
        "vaebook": vaebook.__version__,
    }


def timed(fn, *args, **kwargs):
    """(result, seconds) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def in_fresh_process(module: str, call: str, cpus, what: str):
    """``module.call`` (a Python expression, e.g. ``one_run(0, 1, False)``) evaluated in a fresh interpreter
    restricted to ``cpus``, with quiet TensorFlow and PYTHONHASHSEED=0; its result comes back as JSON.

    Raises ``RuntimeError`` with the end of the child's stderr when it fails (``what`` names the run).
    """
    import subprocess
    import sys

    name = call.split("(", 1)[0]
    code = (f"import json, os; os.sched_setaffinity(0, {set(cpus)}); from {module} import {name}; "
            f"print('RESULT', json.dumps({call}))")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], env=env,
                          capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def verdict(ok: bool, reason_if_missed: str = "") -> str:
    return "PASS" if ok else f"MISSED: {reason_if_missed}" if reason_if_missed else "MISSED"


def report(name: str, args, rows: list, conditions: dict, command: str) -> dict:
    """Print ``rows`` (a list of dicts with the same keys) as a table and write everything as JSON."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    rows = [{k: r.get(k, "") for k in keys} for r in rows]
    print(f"\n{name}" + ("  [smoke run: tiny sizes, targets not checked]" if args.smoke else ""))
    print("\n".join(table_lines(rows)))
    result = {"benchmark": name, "smoke": args.smoke, "command": command, "machine": machine(),
              "conditions": conditions, "rows": rows}
    out = args.out or RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return result


def fmt(v) -> str:
    """One cell: floats to 4 significant digits below 100, else with one decimal and thousands commas."""
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 100 else f"{v:.4g}"
    return str(v)


def table_lines(rows: list, markdown: bool = False) -> list:
    """``rows`` (dicts) as table lines: aligned plain-text columns, or a Markdown table.

    The columns are the keys in order of first appearance; a missing cell is empty.
    """
    keys = list(dict.fromkeys(k for r in rows for k in r))
    cells = [[fmt(r.get(k, "")) for k in keys] for r in rows]
    if markdown:
        return ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)] + ["| " + " | ".join(c) + " |" for c in cells]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    return ["  ".join(k.ljust(w) for k, w in zip(keys, widths))] + ["  ".join(v.ljust(w) for v, w in zip(c, widths)) for c in cells]


RECORD = Path(__file__).resolve().parents[1] / "vaebook" / "pretrained" / "benchmark_record.json"


def write_record(name: str, command: str, rows: list):
    """Put a benchmark's rows into the package's record (``vaebook.pretrained.benchmark_record(name)``), the
    numbers the notebooks print about runs they do not repeat; the other entries are kept."""
    shipped = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    shipped[name] = {"command": command, "date": machine()["date"], "rows": rows}
    RECORD.write_text(json.dumps(shipped, indent=1) + "\n")
