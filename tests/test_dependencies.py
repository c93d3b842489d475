"""pyproject.toml, environment.yml and binder/environment.yml must agree on what vaebook needs."""

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
# tensorflow-cpu is the CPU-only build of the same need.
ALIASES = {"tensorflow-cpu": "tensorflow"}
# What a reader's environment needs beyond the runtime: JupyterLab, a kernel, and jupytext to open the .py pairs.
READER_TOOLS = {"jupyterlab", "jupytext", "ipykernel"}


def normalize(name: str) -> str:
    name = re.sub(r"[-_.]+", "-", name).lower()
    return ALIASES.get(name, name)


def requirements(lines) -> dict:
    """{normalized name: specifier text} of pip requirement strings; pip options are skipped."""
    out = {}
    for line in lines:
        if line.startswith("-"):
            continue
        req = Requirement(line)
        name = normalize(req.name)
        spec = str(req.specifier)
        if name in out and out[name] != spec:
            raise ValueError(f"{name} is listed twice with different versions: {out[name]!r} and {spec!r}.")
        out[name] = spec
    return out


def conda_pip_list(path: Path) -> list:
    env = yaml.safe_load(path.read_text())
    pips = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    if len(pips) != 1:
        raise ValueError(f"{path} must have one pip section, found {len(pips)}.")
    return pips[0]


def conda_python(path: Path) -> str:
    env = yaml.safe_load(path.read_text())
    return next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))


def pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = requirements(project["dependencies"])
    test = requirements(project["optional-dependencies"]["test"])
    return runtime, test


def disagreements(runtime: dict, test: dict, root_env: dict, binder_env: dict) -> list:
    """Every way the three lists disagree, as readable sentences (empty when they agree)."""
    problems = []
    wanted_root = {**runtime, **test}
    for name in sorted(set(wanted_root) ^ set(root_env)):
        where = "environment.yml lacks" if name in wanted_root else "environment.yml has an extra"
        problems.append(f"{where} {name} (pyproject.toml runtime + test lists are the reference)")
    for name in sorted((set(runtime) | READER_TOOLS) - set(binder_env)):
        problems.append(f"binder/environment.yml lacks {name}")
    for name in sorted(set(binder_env) - set(wanted_root)):
        problems.append(f"binder/environment.yml has {name}, which pyproject.toml does not list")
    for label, env in (("environment.yml", root_env), ("binder/environment.yml", binder_env)):
        for name, spec in env.items():
            if name in wanted_root and spec != wanted_root[name]:
                problems.append(f"{label} wants {name}{spec} but pyproject.toml wants {name}{wanted_root[name]}")
    return problems


def test_the_three_dependency_lists_agree():
    runtime, test = pyproject()
    root_env = requirements(conda_pip_list(ROOT / "environment.yml"))
    binder_env = requirements(conda_pip_list(ROOT / "binder" / "environment.yml"))
    assert disagreements(runtime, test, root_env, binder_env) == []


def test_both_environments_use_python_311():
    assert conda_python(ROOT / "environment.yml") == conda_python(ROOT / "binder" / "environment.yml") == "python=3.11"


def test_every_listed_package_exists():
    """Each name is a real distribution: the project environment installed it from the index."""
    runtime, test = pyproject()
    names = set(conda_pip_list(ROOT / "binder" / "environment.yml")) | set(conda_pip_list(ROOT / "environment.yml"))
    for line in sorted(n for n in names if not n.startswith("-")):
        name = Requirement(line).name
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pytest.fail(f"{name} (from {line!r}) is not an installed distribution: a typo, or a package that does not exist.")
        assert Requirement(line).specifier.contains(version, prereleases=True), f"installed {name} {version} violates {line}"


def test_the_checker_catches_each_kind_of_disagreement():
    runtime = {"numpy": ">=1.26", "tensorflow": ">=2.16"}
    test = {"pytest": ">=8"}
    good_binder = {"numpy": ">=1.26", "tensorflow": ">=2.16", "jupyterlab": "", "jupytext": "", "ipykernel": ""}
    test_with_tools = {**test, "jupyterlab": "", "jupytext": "", "ipykernel": ""}
    assert disagreements(runtime, test_with_tools, {**runtime, **test_with_tools}, good_binder) == []
    assert disagreements(runtime, test_with_tools, {**runtime}, good_binder)  # root env lacks test tools
    assert disagreements(runtime, test_with_tools, {**runtime, **test_with_tools}, {**good_binder, "numpy": ">=2"})
    assert disagreements(runtime, test_with_tools, {**runtime, **test_with_tools}, {"numpy": ">=1.26"})
    assert disagreements(runtime, test_with_tools, {**runtime, **test_with_tools}, {**good_binder, "nmupy": ""})
    assert normalize("tensorflow-cpu") == normalize("TensorFlow") == "tensorflow"
    with pytest.raises(ValueError, match="listed twice"):
        requirements(["numpy>=1", "numpy>=2"])
