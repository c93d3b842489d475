"""One place declares vaebook's dependencies (pyproject.toml); everything else is generated from it
or checked against it here.

- requirements.lock (``./dev.sh lock``) pins every requirement of vaebook[dev] on every platform,
  within pyproject.toml's ranges; ./dev.sh, CI and environment.yml install from it.
- binder/requirements.txt (also ``./dev.sh lock``) is Binder's list: vaebook's runtime and the
  reader's tools, at exactly the lock's versions for Binder's Linux x86-64 Python 3.11.
"""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
BINDER_REQS = ROOT / "binder" / "requirements.txt"
REFRESH_COMMAND = "./dev.sh lock"
# Platforms the universal lock must cover: (sys_platform, platform_machine, platform_system).
PLATFORMS = [("linux", "x86_64", "Linux"), ("linux", "aarch64", "Linux"), ("darwin", "arm64", "Darwin"),
             ("win32", "AMD64", "Windows")]
BINDER_PLATFORM = ("linux", "x86_64", "Linux")
# binder/requirements.txt is compiled for the oldest 3.11 (./dev.sh lock: --python-version 3.11), so
# it installs on every Python 3.11.x that Binder or the rehearsal may have.
BINDER_PYTHON = "3.11.0"
# Test tools that Binder's reader environment must not carry.
DEV_ONLY = {"pytest", "nbval", "hypothesis", "playwright"}


def marker_env(platform, python="3.11.7"):
    sys_platform, machine, system = platform
    env = default_environment()
    env.update(sys_platform=sys_platform, platform_machine=machine, platform_system=system,
               os_name="nt" if sys_platform == "win32" else "posix", python_version=python.rsplit(".", 1)[0],
               python_full_version=python, implementation_name="cpython", platform_python_implementation="CPython")
    return env


def pins(text: str, env: dict) -> dict:
    """{canonical name: version} of a pip-compile output's `name==version ; marker` lines that apply in env."""
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator != "==":
            raise ValueError(f"{line!r} is not pinned with ==: the lock must give one exact version.")
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = canonicalize_name(req.name)
        if name in out:
            raise ValueError(f"{name} is pinned twice for {env['sys_platform']}/{env['platform_machine']}.")
        out[name] = specs[0].version
    return out


def declared(extras=("dev",)) -> list:
    """pyproject.toml's requirements: the runtime plus the named extras, self-references followed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out, todo, seen = [Requirement(r) for r in project["dependencies"]], list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in project["optional-dependencies"][extra]:
            req = Requirement(text)
            if canonicalize_name(req.name) == "vaebook":
                todo += sorted(req.extras)
            else:
                out.append(req)
    return out


def lock_problems(requirements: list, locked: dict, env: dict) -> list:
    """Every requirement that applies in env but the lock lacks or pins outside its range."""
    problems = []
    for req in requirements:
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = canonicalize_name(req.name)
        if name not in locked:
            problems.append(f"requirements.lock lacks {name} ({req}) on {env['sys_platform']}/{env['platform_machine']}")
        elif not req.specifier.contains(locked[name], prereleases=True):
            problems.append(f"requirements.lock pins {name}=={locked[name]}, outside pyproject.toml's {req}")
    return problems


def binder_problems(binder: dict, locked: dict, needed: list) -> list:
    """Every way Binder's list strays from the lock (for Binder's platform) or misses a need."""
    problems = []
    for name, version in sorted(binder.items()):
        if name not in locked:
            problems.append(f"binder/requirements.txt has {name}, which requirements.lock does not pin")
        elif locked[name] != version:
            problems.append(f"binder/requirements.txt pins {name}=={version}, requirements.lock {name}=={locked[name]}")
        if name in DEV_ONLY:
            problems.append(f"binder/requirements.txt has the test tool {name}")
    for req in needed:
        if canonicalize_name(req.name) not in binder:
            problems.append(f"binder/requirements.txt lacks {req.name}, which pyproject.toml needs on Binder")
    return problems


def binder_needs() -> list:
    env = marker_env(BINDER_PLATFORM, BINDER_PYTHON)
    return [r for r in declared(extras=("binder",)) if r.marker is None or r.marker.evaluate(env)]


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_the_lock_pins_every_declared_requirement_within_its_range(platform):
    env = marker_env(platform)
    assert lock_problems(declared(), pins(LOCK.read_text(), env), env) == []


def test_binder_installs_exactly_the_locks_versions():
    env = marker_env(BINDER_PLATFORM, BINDER_PYTHON)
    binder_text = BINDER_REQS.read_text()
    assert " ; " not in binder_text, "binder/requirements.txt is for one platform: it must have no markers"
    assert binder_problems(pins(binder_text, env), pins(LOCK.read_text(), env), binder_needs()) == []


def test_binder_runs_the_python_the_lock_was_made_for():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    dev_sh = (ROOT / "dev.sh").read_text()
    assert dev_sh.count("--python-version 3.11") == 2, "./dev.sh lock must compile both lists for Python 3.11"


def test_generated_files_name_their_refresh_command_and_the_readme_documents_it():
    for path in (LOCK, BINDER_REQS):
        assert REFRESH_COMMAND in path.read_text().splitlines()[1], f"{path.name} does not say it comes from {REFRESH_COMMAND}"
    readme = (ROOT / "README.md").read_text()
    assert REFRESH_COMMAND in readme and "./dev.sh execute" in readme


def test_no_other_dependency_list():
    """environment.yml installs the lock; binder/ has no conda environment that would shadow requirements.txt."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert pip == ["-r requirements.lock", "--editable=."], pip
    assert not (ROOT / "binder" / "environment.yml").exists(), "repo2docker would use it instead of requirements.txt"


def test_the_checkers_catch_each_kind_of_problem():
    env = marker_env(BINDER_PLATFORM)
    reqs = [Requirement("numpy>=1.26"), Requirement("tensorflow-cpu>=2.16; sys_platform == 'linux'"),
            Requirement("tensorflow>=2.16; sys_platform != 'linux'")]
    lock = "numpy==2.4.6\ntensorflow-cpu==2.21.0 ; sys_platform == 'linux'\ntensorflow==2.21.0 ; sys_platform != 'linux'\n"
    good = pins(lock, env)
    assert good == {"numpy": "2.4.6", "tensorflow-cpu": "2.21.0"}
    assert lock_problems(reqs, good, env) == []
    assert lock_problems(reqs, {"numpy": "2.4.6"}, env)  # a missing pin
    assert lock_problems(reqs, {**good, "numpy": "1.0"}, env)  # a pin outside the range
    assert lock_problems(reqs, pins(lock, marker_env(("darwin", "arm64", "Darwin"))), marker_env(("darwin", "arm64", "Darwin"))) == []
    needed = [Requirement("numpy>=1.26")]
    assert binder_problems({"numpy": "2.4.6"}, good, needed) == []
    assert binder_problems({"numpy": "2.4.5"}, good, needed)  # a different version
    assert binder_problems({"numpy": "2.4.6", "left-pad": "1.0"}, good, needed)  # not in the lock
    assert binder_problems({}, good, needed)  # a need missing
    assert binder_problems({"numpy": "2.4.6", "pytest": "9"}, {**good, "pytest": "9"}, needed)  # a test tool
    with pytest.raises(ValueError, match="not pinned"):
        pins("numpy>=2\n", env)
    with pytest.raises(ValueError, match="twice"):
        pins("numpy==2.4.6\nnumpy==2.5.5\n", env)
