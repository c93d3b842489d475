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
        "numpy": np.__version__,
        "vaebook": vaebook.__version__,
    }


def timed(fn, *args, **kwargs):
    """(result, seconds) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def verdict(ok: bool, reason_if_missed: str = "") -> str:
    return "PASS" if ok else f"MISSED: {reason_if_missed}" if reason_if_missed else "MISSED"


def report(name: str, args, rows: list, conditions: dict, command: str) -> dict:
    """Print ``rows`` (a list of dicts with the same keys) as a table and write everything as JSON."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    rows = [{k: r.get(k, "") for k in keys} for r in rows]
    widths = {k: max(len(k), *(len(_fmt(r[k])) for r in rows)) for k in keys}
    print(f"\n{name}" + ("  [smoke run: tiny sizes, targets not checked]" if args.smoke else ""))
    print("  ".join(k.ljust(widths[k]) for k in keys))
    for r in rows:
        print("  ".join(_fmt(r[k]).ljust(widths[k]) for k in keys))
    result = {"benchmark": name, "smoke": args.smoke, "command": command, "machine": machine(),
              "conditions": conditions, "rows": rows}
    out = args.out or RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return result


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1000 else f"{v:,.1f}"
    return str(v)
