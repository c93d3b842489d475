"""A JupyterLab server on loopback, in the tests' hermetic mode, and headless Debian Chromium."""

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts" / "browser"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab_url(tmp_path_factory):
    """Start JupyterLab (no token, loopback only, app exposed for commands); stop it afterwards."""
    port = _free_port()
    env = dict(os.environ, VAEBOOK_DATA="bundled", TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    env.setdefault("VAEBOOK_CACHE", str(ROOT / ".cache" / "models"))
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path_factory.mktemp("jupyter-config"))  # no user settings
    settings = tmp_path_factory.mktemp("lab-settings")
    # Render every cell (no virtual scrolling), so that widgets far down a notebook exist on the page.
    # Never autosave (the committed notebooks must stay as they are) and don't ask about news.
    for plugin, value in {
        "notebook-extension/tracker": '{"windowingMode": "none"}',
        "docmanager-extension/plugin": '{"autosave": false}',
        "apputils-extension/notification": '{"fetchNews": "false"}',
    }.items():
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value)
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp_path_factory.mktemp("lab-workspaces"))
    # The server runs in the Binder rehearsal's environment (binder/rehearse.sh): what Binder would serve.
    venv = Path(os.environ.get("REHEARSAL_VENV", ROOT / ".cache" / "binder-venv"))
    env["REHEARSAL_VENV"] = str(venv)
    prepared = subprocess.run(
        ["bash", str(ROOT / "binder" / "rehearse.sh"), "prepare"], env=env, capture_output=True, text=True, timeout=900
    )
    if prepared.returncode != 0:
        pytest.fail(f"binder/rehearse.sh prepare failed:\n{prepared.stdout[-3000:]}\n{prepared.stderr[-3000:]}")
    log = open(tmp_path_factory.mktemp("lab-log") / "lab.log", "w")
    cmd = [
        str(venv / "bin" / "python"), "-m", "jupyter", "lab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={ROOT}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(f"JupyterLab did not start within 60 s; see {log.name}")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (./dev.sh test does: apt-get install chromium).")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
