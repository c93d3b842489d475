"""Smoke runs of every benchmark: tiny sizes, no timing targets, but real code paths and sane JSON."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ["grid_speed", "training_throughput", "widget_latency", "notebook_cost", "likelihood", "exact_limit",
              "recipe_robustness", "backends", "beta_sweep"]


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_smoke_run(name, tmp_path):
    out = tmp_path / f"{name}.json"
    env_cache = {"VAEBOOK_CACHE": str(tmp_path / "cache")} if name != "notebook_cost" else {}
    import os

    env = dict(os.environ, VAEBOOK_DATA="bundled", TF_CPP_MIN_LOG_LEVEL="3", **env_cache)
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", "--smoke", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["smoke"] is True and result["benchmark"].startswith(name.split("_")[0])
    assert result["rows"] and result["command"].startswith("python -m benchmarks.")
    assert result["machine"]["cpus"] >= 1
    rows = result["rows"]
    if name == "grid_speed":
        assert result["conditions"]["same_images"] is True
        assert all(r["median_s"] > 0 for r in rows)
    elif name == "backends":
        assert rows[0]["backend"] == "tensorflow" and rows[0]["cpus"] == 1 and rows[0]["steps_per_execution"] == 8
        assert all(r["images_per_s"] > 0 and r["heldout_elbo"] < 0 for r in rows)
    elif name == "training_throughput":
        assert all(r["images_per_s"] > 0 and r["heldout_elbo"] < 0 for r in rows)
    elif name == "widget_latency":
        assert [(r["model"].split()[1], r["control"]) for r in rows] == [
            ("conv", "sliders"), ("conditional", "sliders"), ("conditional", "digit chooser")]
        assert all(r["images_changed"] == r["changes"] and r["p95_ms"] >= r["p50_ms"] > 0 for r in rows)
    elif name == "notebook_cost":
        assert rows[0]["seconds"] > 0 and 0.05 < rows[0]["peak_gb"] < 10
    elif name == "likelihood":
        for r in rows:  # the estimate is a bound-tightener: above the ELBO, up to Monte Carlo noise
            assert r["log_likelihood_is"] > r["elbo"] - 1.0 and r["log_likelihood_is"] < 0
    elif name == "recipe_robustness":
        run = result["runs"][0]
        assert run["seed"] == 0 and run["threads"] == 1 and run["epochs"] == 2
        assert 0 <= run["active_dims"] <= 2 and 0 <= run["knn5_accuracy"] <= 1 and run["heldout_elbo"] < 0
        assert [r["check"] for r in rows if r.get("check")][0] == "every run uses both dimensions"
    elif name == "beta_sweep":
        runs = [r for r in rows if r["seed"] == 0]
        assert [r["beta"] for r in runs] == [0.25, 1.0, 4.0, 16.0] and all(r["epochs"] == 2 for r in runs)
        assert all(r["test_rate"] >= 0 and r["test_distortion"] > 0 and r["test_distortion_se"] > 0 for r in runs)
        assert [r["check"] for r in rows if r.get("check")][0].startswith("for every seed, the rate R falls")
    elif name == "exact_limit":
        assert all(r["abs_error"] < 1.0 and r["is_estimate"] >= r["elbo"] - 0.1 for r in rows)


def test_backends_seed_spread_smoke_run(tmp_path):
    """``--seeds``: one run per backend and seed, and a spread row per backend; two seeds give two models."""
    import os

    out = tmp_path / "backends_seeds.json"
    env = dict(os.environ, VAEBOOK_DATA="bundled", TF_CPP_MIN_LOG_LEVEL="3", VAEBOOK_CACHE=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-m", "benchmarks.backends", "--smoke", "--seeds", "0", "1", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["benchmark"] == "backends_seeds" and result["conditions"]["seeds"] == [0, 1]
    runs = [r for r in result["rows"] if r["backend"] == "tensorflow"]
    assert [r["seed"] for r in runs] == [0, 1] and runs[0]["heldout_elbo"] != runs[1]["heldout_elbo"]
    assert any(r["backend"] == "tensorflow: seeds 0-1" and "spread" in r["heldout_elbo"] for r in result["rows"])
