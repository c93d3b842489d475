"""./dev.sh test gives each argument to the stage it fits (checked with --plan, which runs nothing)."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def plan(*args) -> dict:
    out = subprocess.run(["bash", str(ROOT / "dev.sh"), "test", "--plan", *args], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    return {line.split(":", 1)[0]: line.split(":", 1)[1].split() for line in out.stdout.splitlines()}


def test_no_arguments_run_every_stage():
    stages = plan()
    assert list(stages) == ["unit", "pairs", "notebooks", "browser", "colab", "site", "backends"]
    assert stages["unit"] == ["tests"] and stages["notebooks"] == ["notebooks"] and stages["browser"] == ["tests/browser"]
    assert stages["colab"] == ["tests/colab"] and stages["site"] == ["tests/site"]
    assert stages["backends"][:2] == ["jax,", "torch:"] and "tests/test_model.py" in stages["backends"]


def test_options_go_to_the_unit_stage_only():
    stages = plan("-k", "cache", "-x")
    assert stages["unit"] == ["tests", "-k", "cache", "-x"]
    assert stages["notebooks"] == ["notebooks"] and stages["browser"] == ["tests/browser"]


@pytest.mark.parametrize(
    "path, stage",
    [("tests/test_data.py", "unit"), ("tests/test_data.py::test_x", "unit"), ("tests/browser", "browser"),
     ("tests/browser/test_explorers.py", "browser"), ("notebooks/04_latent_space.ipynb", "notebooks")],
)
def test_a_path_runs_only_its_stage(path, stage):
    stages = plan(path)
    assert list(stages) == [stage] and stages[stage] == [path]


@pytest.mark.parametrize("path, stage", [("tests/colab", "colab"), ("tests/colab/test_colab_notebooks.py", "colab"),
                                         ("tests/site", "site"), ("tests/site/test_site.py", "site")])
def test_a_path_in_a_whole_stage_runs_that_stage(path, stage):
    assert plan(path) == {stage: [f"tests/{stage}"]}


def test_only_picks_stages_and_rejects_unknown_ones():
    assert list(plan("--only", "pairs,browser")) == ["pairs", "browser"]
    assert list(plan("--only", "colab,site")) == ["colab", "site"]
    out = subprocess.run(["bash", str(ROOT / "dev.sh"), "test", "--plan", "--only", "nbval"], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert out.returncode != 0 and "unknown stage 'nbval'" in out.stderr
