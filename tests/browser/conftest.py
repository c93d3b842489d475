"""The Binder rehearsal's JupyterLab (binder/rehearse.sh) on loopback, and headless Chromium.

These tests run only when asked for by path (`pytest tests/browser`, the browser stage of
`./dev.sh test`): a bare `pytest` deselects them (tests/conftest.py).
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "artifacts" / "browser"
# Test-only JupyterLab settings, given to the server as its user settings folder. Every cell is
# rendered (no windowing), so a widget far down a notebook is on the page; nothing autosaves.
LAB_SETTINGS = {
    "notebook-extension/tracker": {"windowingMode": "none"},
    "docmanager-extension/plugin": {"autosave": False},
    "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _venv() -> Path:
    venv = Path(os.environ.get("REHEARSAL_VENV", ROOT / ".cache" / "binder-venv"))
    return venv if venv.is_absolute() else ROOT / venv


@pytest.fixture(scope="session")
def rehearsal_venv():
    """The rehearsal environment, built (or reused) from binder/ by binder/rehearse.sh prepare."""
    prepared = subprocess.run(["bash", str(ROOT / "binder" / "rehearse.sh"), "prepare"],
                              capture_output=True, text=True, timeout=1800)
    if prepared.returncode != 0:
        pytest.fail(f"binder/rehearse.sh prepare failed:\n{prepared.stdout[-3000:]}\n{prepared.stderr[-3000:]}")
    return _venv()


@pytest.fixture(scope="session")
def ran_notebooks():
    """The notebooks the browser tests ran in the rehearsal: each must get its kernel's memory peak."""
    return []


@pytest.fixture(scope="session")
def lab(rehearsal_venv, tmp_path_factory, ran_notebooks):
    """binder/rehearse.sh serving JupyterLab; yields {url, venv}. Stopped (and its memory peak read) afterwards."""
    port = _free_port()
    tmp = tmp_path_factory.mktemp("rehearsal")
    settings = tmp / "settings"
    for plugin, value in LAB_SETTINGS.items():
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    (tmp / "workspaces").mkdir()
    report = tmp / "memory.json"
    env = dict(os.environ, PORT=str(port), REHEARSAL_REPORT=str(report))
    cmd = [
        "bash", str(ROOT / "binder" / "rehearse.sh"), "lab",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--ServerApp.disable_check_xsrf=True",
    ]
    log_path = tmp / "rehearsal.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(f"the rehearsal's JupyterLab did not start within 120 s:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)
        yield {"url": url, "venv": rehearsal_venv, "log": log_path}
    finally:
        proc.send_signal(signal.SIGTERM)  # rehearse.sh stops the server, reads the memory peak, cleans up
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
    if report.exists():
        memory = json.loads(report.read_text())
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "rehearsal-memory.json").write_text(json.dumps(memory) + "\n")
        print(f"\nrehearsal memory: {memory}")
        assert memory["oom_kills"] == 0, f"the rehearsal hit its {memory['cap']} memory cap: {memory}"
        # Each notebook kernel's own peak (VmHWM): the cgroup's peak counts the page cache too.
        measured = {k["notebook"]: k["peak_rss_bytes"] for k in memory.get("kernels", [])}
        for notebook, peak in sorted(measured.items()):
            print(f"{notebook}: kernel peak resident memory {peak / 1e9:.2f} GB, "
                  f"{(BINDER_MEMORY_BYTES - peak) / 1e9:.2f} GB under Binder's 2 GiB")
        ran = {f"notebooks/{n}" for n in ran_notebooks}
        assert ran <= set(measured), f"no kernel peak measured for {sorted(ran - set(measured))}: {memory}"


BINDER_MEMORY_BYTES = 2 * 2**30  # mybinder.org's cap, REHEARSAL_MEMORY=2G

SESSION_BUDGET_S = 300  # the whole browser test, from JupyterLab's start to the last check


@pytest.fixture(scope="session")
def deadline(lab):
    """time.monotonic() by which every browser test must be done: each wait takes at most what is left."""
    return time.monotonic() + SESSION_BUDGET_S - 20


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
