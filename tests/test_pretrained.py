"""The models shipped inside the package: manifest, checksums, loading, clear errors."""

import dataclasses
import shutil
import subprocess
import sys

import numpy as np
import keras
import pytest

from vaebook import pretrained
from vaebook.codes import decode, encode, latent_dim_of
from vaebook.configs import SERIES, series_config
from vaebook.data import load_mnist
from vaebook.model import VAE


def test_every_series_model_is_shipped_and_the_manifest_matches_the_files(mnist):
    assert pretrained.names() == list(SERIES)
    assert pretrained.names()[0] == "main"
    total = 0
    for name in pretrained.names():
        entry = pretrained.info(name)
        data = load_mnist("bundled", binarization=entry["data"]["binarization"], verbose=False)
        # The shipped model was trained with today's configuration, on today's bundled split.
        assert pretrained.config(name) == series_config(name, data), f"{name}: configuration changed; retrain it"
        assert entry["data"]["fingerprint"] == pretrained.data_fingerprint(data), f"{name}: the data changed; retrain it"
        assert entry["command"] == f"python -m vaebook.pretrained --retrain {name}"
        assert 1 <= entry["best_epoch"] <= entry["epochs_run"] <= entry["config"]["epochs"]
        for kind in ("weights", "history"):
            path = pretrained.HERE / entry["files"][kind]["name"]
            assert pretrained.sha256(path) == entry["files"][kind]["sha256"], f"{path.name} does not match the manifest"
            total += path.stat().st_size
        assert np.isfinite(entry["heldout_elbo"]) and entry["heldout_elbo"] < 0
    assert total < 10e6, f"shipped files take {total / 1e6:.1f} MB; the budget is 10 MB"


def test_loaded_main_model_is_ready_and_scores_as_the_manifest_says(mnist):
    from vaebook.evaluate import dataset_elbo

    vae = pretrained.load("main")
    assert isinstance(vae, VAE) and latent_dim_of(vae) == 2 and float(keras.ops.convert_to_numpy(vae.kl_weight)) == 1.0
    # The manifest's number was measured on TensorFlow; another backend draws other samples of z.
    tolerance = 0.05 if keras.backend.backend() == "tensorflow" else 0.5
    assert dataset_elbo(vae, mnist.x_test, samples=10) == pytest.approx(pretrained.info("main")["heldout_elbo"], abs=tolerance)
    means, _ = encode(vae, mnist.x_test)
    assert np.all(means.std(axis=0) >= 0.5), "both latent dimensions are in use"
    history = pretrained.history("main")
    assert len(history["val_loss"]) == pretrained.info("main")["epochs_run"]


@pytest.fixture
def copy_of_package(tmp_path, monkeypatch):
    target = tmp_path / "pretrained"
    shutil.copytree(pretrained.HERE, target)
    monkeypatch.setattr(pretrained, "HERE", target)
    monkeypatch.setattr(pretrained, "MANIFEST", target / "manifest.json")
    return target


def test_corrupt_file_names_the_file_and_the_command(copy_of_package):
    weights = copy_of_package / "main.weights.npz"
    data = bytearray(weights.read_bytes())
    data[100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(pretrained.PretrainedError, match=r"main\.weights\.npz, is corrupt.*python -m vaebook\.pretrained --retrain main"):
        pretrained.load("main")


def test_missing_file_names_the_file_and_the_command(copy_of_package):
    (copy_of_package / "main.history.json").unlink()
    with pytest.raises(pretrained.PretrainedError, match=r"main\.history\.json, is missing.*--retrain main"):
        pretrained.history("main")


def test_unknown_name_lists_the_shipped_models():
    with pytest.raises(pretrained.PretrainedError, match="No shipped model is called 'mian'.*main, main_no_warmup"):
        pretrained.load("mian")


def test_model_for_uses_the_shipped_model_for_bundled_data_only(mnist, tmp_path, monkeypatch):
    shipped = pretrained.model_for("main", mnist)
    np.testing.assert_array_equal(decode(shipped, np.zeros((1, 2))), decode(pretrained.load("main"), np.zeros((1, 2))))
    with pytest.raises(ValueError, match="binarization='dynamic'"):
        pretrained.model_for("likelihood_50d", mnist)
    # Other data: the same configuration, trained on demand (here shortened to one epoch).
    monkeypatch.setenv("VAEBOOK_CACHE", str(tmp_path))
    make, binarization = SERIES["autoencoder"]
    monkeypatch.setitem(SERIES, "autoencoder", (lambda d: dataclasses.replace(make(d), epochs=1, warmup_epochs=0), binarization))
    other = dataclasses.replace(mnist, source="full")
    trained = pretrained.model_for("autoencoder", other, verbose=0)
    assert list(tmp_path.glob("*.keras")), "a model for other data is trained and cached, not taken from the package"
    assert not np.array_equal(trained.encoder.get_weights()[0], pretrained.load("autoencoder").encoder.get_weights()[0])


def test_command_line_lists_the_models():
    done = subprocess.run([sys.executable, "-m", "vaebook.pretrained"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == pretrained.names()
    bad = subprocess.run([sys.executable, "-m", "vaebook.pretrained", "--retrain", "nope"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown model(s) nope" in bad.stderr


def test_a_shipped_model_saves_and_reloads_cleanly(tmp_path):
    import warnings

    from vaebook.architectures import load_vae

    vae = pretrained.load("autoencoder")
    path = tmp_path / "shipped.keras"
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # e.g. "Skipping variable loading for optimizer"
        vae.save(path)
        reloaded = load_vae(path)
    z = np.zeros((2, 2), np.float32)
    np.testing.assert_array_equal(decode(vae, z), decode(reloaded, z))


_DECODE_EVERY_SHIPPED_MODEL = """
import json, sys
import numpy as np
from vaebook import pretrained
from vaebook.codes import decode, latent_dim_of
out = {}
for name in pretrained.names():
    vae = pretrained.load(name)
    z = np.random.default_rng(0).standard_normal((50, latent_dim_of(vae))).astype("float32")
    labels = {"labels": np.arange(50) % 10} if getattr(vae, "num_classes", 0) else {}
    out[name] = decode(vae, z, **labels)
np.savez(sys.argv[1], **out)
"""


def test_the_shipped_models_decode_the_same_images_on_every_backend(tmp_path):
    """Each shipped model decodes 50 codes on this backend and on TensorFlow (a fresh process): the images agree
    to 1e-3 in every pixel. On TensorFlow itself this compares two processes (the same numbers)."""
    import os

    paths = {}
    for backend in sorted({"tensorflow", keras.backend.backend()}):
        paths[backend] = tmp_path / f"{backend}.npz"
        env = dict(os.environ, KERAS_BACKEND=backend)
        done = subprocess.run([sys.executable, "-c", _DECODE_EVERY_SHIPPED_MODEL, str(paths[backend])], env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    ours, reference = np.load(paths[keras.backend.backend()]), np.load(paths["tensorflow"])
    assert sorted(ours.files) == sorted(pretrained.names())
    for name in ours.files:
        assert np.abs(ours[name] - reference[name]).max() <= 1e-3, name


@pytest.mark.parametrize("name", ["main", "cvae"])
def test_the_shipped_models_give_the_manifest_elbo_on_every_backend(name, mnist):
    """The held-out ELBO of the manifest (measured on TensorFlow, 10 z per image) within 0.5 nats on this backend,
    which draws its own z (3 per image: a Monte Carlo error near 0.1 nats on the 1,000 test images)."""
    from vaebook.evaluate import dataset_elbo

    labels = mnist.y_test if name == "cvae" else None
    elbo = dataset_elbo(pretrained.load(name), mnist.x_test, samples=3, labels=labels)
    assert elbo == pytest.approx(pretrained.info(name)["heldout_elbo"], abs=0.5)
