"""Shared fixtures. Every test runs hermetically on the bundled MNIST subset.

Hermetic also means: nothing is written to HOME. Before Keras or matplotlib is imported, the
model cache, Keras' config folder, matplotlib's config and font cache and IPython's profile
folder (the explorer display test starts an IPython shell) are pointed at one scratch folder, removed when the test run ends. Subprocesses of the tests inherit it.
"""

import atexit
import json
import os
import shutil
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["VAEBOOK_DATA"] = "bundled"
SCRATCH = tempfile.mkdtemp(prefix="vaebook-tests-")
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
for _var, _folder in (("VAEBOOK_CACHE", "model-cache"), ("KERAS_HOME", "keras"), ("MPLCONFIGDIR", "matplotlib"),
                      ("IPYTHONDIR", "ipython")):
    os.environ[_var] = os.path.join(SCRATCH, _folder)

from pathlib import Path

import numpy as np
import pytest

from vaebook.data import load_mnist
from vaebook.architectures import build_vae, load_vae


# Folders of tests that need more than the dev environment (a served JupyterLab, the built site,
# Colab's stack) and run in their own stage of ./dev.sh test: only when asked for by path.
ONLY_WHEN_ASKED = [Path(__file__).resolve().parent / name for name in ("browser", "colab", "site")]


def pytest_collection_modifyitems(config, items):
    """Deselect the tests of an ONLY_WHEN_ASKED folder unless a path inside it was asked for."""
    asked = [Path(a.split("::", 1)[0]).resolve() for a in config.args]
    for folder in ONLY_WHEN_ASKED:
        if any(a == folder or folder in a.parents for a in asked):
            continue
        mine = [i for i in items if folder in Path(str(i.fspath)).resolve().parents]
        if mine:
            config.hook.pytest_deselected(items=mine)
            items[:] = [i for i in items if i not in mine]


@pytest.fixture(scope="session")
def mnist():
    return load_mnist("bundled", verbose=False)


@pytest.fixture(scope="session")
def trained(mnist):
    """The series' conv VAE after 4 epochs on 2,000 bundled training digits, with its history.

    With ``VAEBOOK_TEST_TRAINED`` set to a folder (benchmarks/mutation.py does), the model is
    trained once, saved there, and loaded by later test runs.
    """
    keep = os.environ.get("VAEBOOK_TEST_TRAINED")
    if keep and os.path.exists(os.path.join(keep, "vae.keras")):
        with open(os.path.join(keep, "history.json")) as f:
            return load_vae(os.path.join(keep, "vae.keras")), json.load(f)
    vae = build_vae("conv", latent_dim=2, seed=0)
    # 2,000 images and 4 epochs: a real training run, short enough for the JAX backend's slow CPU convolutions.
    history = vae.fit(mnist.x_train[:2000], epochs=4, batch_size=64, validation_data=(mnist.x_test[:500],), verbose=0).history
    if keep:
        os.makedirs(keep, exist_ok=True)
        with open(os.path.join(keep, "history.json"), "w") as f:
            json.dump(history, f)
        vae.save(os.path.join(keep, "vae.keras"))
    return vae, history


def chromium_path():
    """$CHROMIUM (set by ./dev.sh; empty means Playwright's own), else one on PATH, else Playwright's own."""
    if "CHROMIUM" in os.environ:
        return os.environ["CHROMIUM"] or None
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as p:
        try:
            b = p.chromium.launch(
                executable_path=chromium_path(),
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            )
        except Error as err:
            pytest.fail(f"no usable chromium ({err.message.splitlines()[0]}); fix: apt-get install chromium, "
                        "or run ./dev.sh test, which finds or installs one")
        yield b
        b.close()


@pytest.fixture
def rng():
    return np.random.default_rng(0)
