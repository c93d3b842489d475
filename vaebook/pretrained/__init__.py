"""Pretrained models shipped inside the package, so that opening a notebook never waits for training.

Every model of :data:`vaebook.configs.SERIES` is trained once on the bundled MNIST subset with
the recipe of :mod:`vaebook.training` and shipped here as package data: its weights (float16,
no optimizer state; the model is rebuilt from its configuration) and its training history.
``manifest.json`` lists, for each model, its configuration, data, epochs, the command that
trains it, its held-out ELBO on the test set and the sha256 of its files.

    from vaebook import pretrained
    pretrained.names()                 # ['main', 'main_no_warmup', ...]
    vae = pretrained.load("main")      # checks the checksum, rebuilds, loads the weights
    pretrained.history("main")         # per-epoch losses of the shipped training run

``python -m vaebook.pretrained --retrain [NAME ...]`` trains them again from scratch.
:func:`model_for` gives the shipped model for the bundled data and trains (or loads from the
cache) the same configuration for any other data, such as full MNIST.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np

from vaebook.configs import SERIES, series_config
from vaebook.data import MNIST, load_mnist
from vaebook.training import TrainConfig, build_from_config

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
RETRAIN = "python -m vaebook.pretrained --retrain"
DATA_SOURCE = "bundled"


class PretrainedError(ValueError):
    """A shipped model is missing, corrupt or unknown."""


def _manifest() -> dict:
    try:
        return json.loads(MANIFEST.read_text())
    except (OSError, ValueError) as err:
        raise PretrainedError(
            f"The manifest of the shipped models, {MANIFEST}, cannot be read ({err}). Reinstall vaebook, "
            f"or regenerate every model with `{RETRAIN}`."
        ) from err


def names() -> list:
    """The names of the shipped models, in the order of :data:`vaebook.configs.SERIES`."""
    shipped = _manifest()
    return [name for name in SERIES if name in shipped]


def info(name: str) -> dict:
    """The manifest entry of model ``name``: configuration, data, epochs, command, held-out ELBO, files."""
    shipped = _manifest()
    if name not in shipped:
        raise PretrainedError(f"No shipped model is called {name!r}. The shipped models are: {', '.join(names())}.")
    return shipped[name]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _checked_file(name: str, kind: str) -> Path:
    entry = info(name)
    path = HERE / entry["files"][kind]["name"]
    fix = f"Reinstall vaebook, or regenerate it with `{RETRAIN} {name}`."
    if not path.exists():
        raise PretrainedError(f"The shipped {kind} of model {name!r}, {path}, is missing. {fix}")
    if sha256(path) != entry["files"][kind]["sha256"]:
        raise PretrainedError(f"The shipped {kind} of model {name!r}, {path}, is corrupt (its sha256 does not match the manifest). {fix}")
    return path


def config(name: str) -> TrainConfig:
    """The training configuration of shipped model ``name``."""
    fields = dict(info(name)["config"])
    fields["hidden"] = tuple(fields["hidden"])
    return TrainConfig(**fields)


def load(name: str):
    """The shipped model ``name`` as a ready :class:`vaebook.model.VAE`, after checking its files' checksums."""
    path = _checked_file(name, "weights")
    entry = info(name)
    with np.load(path) as stored:
        weights = [stored[f"w{i}"].astype(np.float32) for i in range(len(stored.files))]
    data = MNIST(None, None, None, None, entry["data"]["source"], entry["data"]["binarization"])
    vae = build_from_config(config(name), data)
    vae.set_weights(weights)  # build_from_config built the optimizer's state: save/load and fit work as usual
    return vae


def benchmark_record(name: str) -> dict:
    """A benchmark's measured rows that a notebook prints (``command``, ``date``, ``rows``), from
    ``benchmark_record.json``: written by the benchmark scripts of the repository with ``--record``."""
    path = HERE / "benchmark_record.json"
    try:
        shipped = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise PretrainedError(f"The benchmark record {path} cannot be read ({err}). Reinstall vaebook.") from err
    if name not in shipped:
        raise PretrainedError(f"The benchmark record has no entry {name!r}; it has: {', '.join(shipped)}.")
    return shipped[name]


def history(name: str) -> dict:
    """The per-epoch training history of shipped model ``name`` (see :func:`vaebook.training.train`)."""
    return json.loads(_checked_file(name, "history").read_text())


def model_for(name: str, data: MNIST, verbose: int = 1):
    """The series model ``name`` for ``data``: the shipped one for the bundled subset, else trained on demand.

    For other data (full MNIST) the same configuration is trained with the recipe, or loaded
    from the cache once trained (:func:`vaebook.cache.train_or_load`).
    """
    series_config(name, data)  # checks the name and the binarization
    if data.source == DATA_SOURCE:
        return load(name)
    from vaebook.cache import train_or_load

    return train_or_load(series_config(name, data), data, verbose=verbose).vae


def data_fingerprint(data: MNIST) -> str:
    """sha256 of the training images and labels: which data a shipped model was trained on."""
    digest = hashlib.sha256()
    for array in (data.x_train, data.y_train):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def retrain(selected=None, verbose: int = 2) -> dict:
    """Train the series models (all, or the names in ``selected``) from scratch and write them here.

    Returns the new manifest. The held-out ELBO is measured on the test set (never used in
    training) with the stored float16 weights, 10 samples of z per image.
    """
    from vaebook.training import train

    selected = list(selected or SERIES)
    shipped = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    for name in selected:
        data = load_mnist(DATA_SOURCE, binarization=SERIES[name][1], verbose=False)
        cfg = series_config(name, data)
        print(f"== {name}: {cfg.describe()}, on {data.describe()}", flush=True)
        vae, hist = train(cfg, data, verbose=verbose)
        weights_file, history_file = HERE / f"{name}.weights.npz", HERE / f"{name}.history.json"
        np.savez_compressed(weights_file, **{f"w{i}": w.astype(np.float16) for i, w in enumerate(vae.get_weights())})
        history_file.write_text(json.dumps(hist) + "\n")
        shipped[name] = {
            "config": dataclasses.asdict(cfg),
            "data": {"source": data.source, "binarization": data.binarization, "train_images": len(data.x_train),
                     "fingerprint": data_fingerprint(data)},
            "epochs_run": len(hist["loss"]),
            "best_epoch": hist["best_epoch"],
            "command": f"{RETRAIN} {name}",
            "files": {kind: {"name": path.name, "sha256": sha256(path)} for kind, path in
                      (("weights", weights_file), ("history", history_file))},
        }
        MANIFEST.write_text(json.dumps(shipped, indent=2) + "\n")
        shipped = score(name, data)
        print(f"== {name}: {len(hist['loss'])} epochs, best {hist['best_epoch']}, held-out ELBO "
              f"{shipped[name]['heldout_elbo']:.2f} nats", flush=True)
    return shipped


def score(name: str, data: MNIST) -> dict:
    """Measure the held-out ELBO of the shipped model ``name`` on ``data``'s test set and write it into the manifest.

    The stored float16 weights, 10 samples of z per image; a conditional model is given the
    test labels (its ELBO bounds log p(x|y)). Returns the new manifest.
    """
    from vaebook.evaluate import dataset_elbo

    conditional = config(name).conditional
    elbo = dataset_elbo(load(name), data.x_test, samples=10, labels=data.y_test if conditional else None)
    shipped = _manifest()
    shipped[name]["heldout_elbo"] = round(elbo, 2)
    shipped[name]["heldout_elbo_conditions"] = (
        f"mean over the {len(data.x_test):,} test images (never used in training), 10 samples of z each, "
        f"binarization={data.binarization}" + (", given each image's label: a bound on log p(x|y)" if conditional else "")
    )
    MANIFEST.write_text(json.dumps(shipped, indent=2) + "\n")
    return shipped
