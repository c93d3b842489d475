"""The rehearsal environment is Binder's, not the developer's: built from binder/ alone, vaebook
installed in it (not the source tree), and nothing of the dev environment importable."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Test tools that only the dev environment has: the rehearsal must not be able to import them.
DEV_ONLY = ["pytest", "nbval", "hypothesis", "playwright"]


def isolation_problems(seen: dict, dev_prefix: str, root: str) -> list:
    """Every way the interpreter a notebook's kernel runs could reach the dev environment."""
    venv = seen["venv"]
    site = f"{venv}/lib/python3.11/site-packages/"
    problems = []
    argv = seen["kernelspec"]["argv"]
    if argv[0] != f"{venv}/bin/python":
        problems.append(f"the kernelspec runs {argv[0]!r}, not the rehearsal's {venv}/bin/python")
    if seen["kernelspec"].get("env", {}).get("TF_CPP_MIN_LOG_LEVEL") != "2":
        problems.append("the kernelspec does not set TF_CPP_MIN_LOG_LEVEL=2")
    if seen["prefix"] != venv:
        problems.append(f"the kernel's sys.prefix is {seen['prefix']}, not {venv}")
    for entry in seen["path"]:
        if entry == venv or entry.startswith(venv + "/"):
            continue
        if entry.startswith((dev_prefix + "/", root + "/")) or entry in (dev_prefix, root):
            problems.append(f"the kernel's sys.path has {entry}, which belongs to the dev environment")
        elif entry.endswith(("site-packages", "dist-packages")) and not entry.startswith(venv + "/"):
            problems.append(f"the kernel's sys.path has another environment's {entry}")
    if seen["vaebook_file"] is None:
        problems.append(f"vaebook is missing from the rehearsal ({seen['vaebook_error']})")
    elif not seen["vaebook_file"].startswith(site):
        problems.append(f"vaebook comes from {seen['vaebook_file']}, not the rehearsal's site-packages")
    for name in DEV_ONLY:
        if seen["find_spec"].get(name):
            problems.append(f"the rehearsal can import the dev tool {name} from {seen['find_spec'][name]}")
    return problems


def test_the_rehearsal_cannot_reach_the_dev_environment(rehearsal_venv):
    out = subprocess.run(["bash", str(ROOT / "binder" / "rehearse.sh"), "check"], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["venv"] == str(rehearsal_venv)
    assert not seen["cwd"].startswith(str(ROOT) + "/"), f"the rehearsal runs in the source tree: {seen['cwd']}"
    assert isolation_problems(seen, sys.prefix, str(ROOT)) == []


def test_the_isolation_check_catches_each_leak():
    venv, dev, root = "/r/venv", "/w/.venv", "/w"
    good = {
        "venv": venv, "prefix": venv, "vaebook_file": f"{venv}/lib/python3.11/site-packages/vaebook/__init__.py",
        "vaebook_error": None, "kernelspec": {"argv": [f"{venv}/bin/python", "-m", "ipykernel_launcher"],
                                              "env": {"TF_CPP_MIN_LOG_LEVEL": "2"}},
        "path": ["/tmp/x/notebooks", "/usr/lib/python311.zip", f"{venv}/lib/python3.11/site-packages"],
        "find_spec": {"vaebook": "x", "pytest": None},
    }
    assert isolation_problems(good, dev, root) == []
    leaks = [
        {"path": good["path"] + [f"{dev}/lib/python3.11/site-packages"]},
        {"path": good["path"] + [root]},
        {"path": good["path"] + ["/usr/lib/python3/dist-packages", "/usr/local/lib/python3.11/site-packages"]},
        {"vaebook_file": f"{root}/vaebook/__init__.py"},
        {"vaebook_file": None, "vaebook_error": "ModuleNotFoundError"},
        {"kernelspec": {"argv": ["python", "-m", "ipykernel_launcher"], "env": {"TF_CPP_MIN_LOG_LEVEL": "2"}}},
        {"kernelspec": {**good["kernelspec"], "env": {}}},
        {"prefix": dev},
        {"find_spec": {"vaebook": "x", "pytest": f"{dev}/lib/python3.11/site-packages/pytest/__init__.py"}},
    ]
    for leak in leaks:
        assert isolation_problems({**good, **leak}, dev, root), leak
