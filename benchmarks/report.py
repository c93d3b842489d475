"""Write benchmarks/README.md's results table from benchmarks/results/*.json (never typed by hand).

    python -m benchmarks.report
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks._common import table_lines

HERE = Path(__file__).resolve().parent
START, END = "<!-- results:start -->", "<!-- results:end -->"


def table(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"### {result['benchmark']}",
        "",
        f"`{result['command']}`, run {m['date']} on {m['cpus']} CPUs (1-min load {m['load_average_1min']}), "
        f"TensorFlow {m['tensorflow']}, Keras {m['keras']}.",
        "",
        "Conditions: " + "; ".join(f"**{k}**: {v}" for k, v in result["conditions"].items()),
        "",
        *table_lines(result["rows"], markdown=True),
    ]
    return "\n".join(lines) + "\n"


def main():
    results = [json.loads(p.read_text()) for p in sorted((HERE / "results").glob("*.json"))]
    body = "\n".join(table(r) for r in results if not r.get("smoke"))
    readme = HERE / "README.md"
    text = readme.read_text()
    head, rest = text.split(START)
    _, tail = rest.split(END)
    readme.write_text(f"{head}{START}\n{body}{END}{tail}")
    print(f"updated {readme} with {len(results)} result files")


if __name__ == "__main__":
    main()
