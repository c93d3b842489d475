"""Train a model once, load it afterwards: a cache keyed by the model's configuration and its data.

A notebook asks for a model by its :class:`TrainConfig`; :func:`train_or_load` returns it from
the cache if it is there and trains it on the spot (with a progress bar) if not. The key is a
hash of the configuration, the data source, the binarization, the number of training images,
the versions of vaebook and Keras and the source code that trains a model (the modules in
``TRAINING_CODE``), so a change to any of them, a change to the loss included, trains a new model.

The cache lives in ``$VAEBOOK_CACHE``, else ``~/.cache/vaebook``. Each entry is a ``.keras``
file with its training history beside it as JSON.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os
from pathlib import Path

import keras

from vaebook import __version__
from vaebook.architectures import load_vae
from vaebook.data import MNIST
from vaebook.training import TrainConfig, train

ENV_VAR = "VAEBOOK_CACHE"
TRAINING_CODE = ("vaebook.data", "vaebook.losses", "vaebook.model", "vaebook.architectures", "vaebook.conditional", "vaebook.training")
"""The modules whose code decides what a trained model is: the data, the loss, the models and networks, the recipe."""


class CacheError(ValueError):
    """A cache entry exists but cannot be read."""


@dataclasses.dataclass
class Trained:
    """A model from the cache: the VAE, its per-epoch history, the file, and whether it was trained now."""

    vae: object
    history: dict
    path: Path
    trained_now: bool


def cache_dir() -> Path:
    """The cache folder: ``$VAEBOOK_CACHE``, else ``~/.cache/vaebook``."""
    return Path(os.environ.get(ENV_VAR) or Path.home() / ".cache" / "vaebook")


def files_fingerprint(paths) -> str:
    """A short sha256 of the contents of ``paths``, in the order given."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def training_code_fingerprint() -> str:
    """:func:`files_fingerprint` of the source files of the ``TRAINING_CODE`` modules."""
    return files_fingerprint(importlib.import_module(name).__file__ for name in TRAINING_CODE)


def cache_key(config: TrainConfig, data: MNIST) -> str:
    """A short hash of the configuration, the data's source, binarization and size, the versions and the training code."""
    payload = {
        "config": dataclasses.asdict(config),
        "source": data.source,
        "binarization": data.binarization,
        "n_train": int(len(data.x_train)),
        "layout": 2,  # the bundled split's order (2: shuffled); bump when the data's layout changes
        "vaebook": __version__,
        "keras": keras.__version__,
        "code": training_code_fingerprint(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


def train_or_load(config: TrainConfig, data: MNIST, directory=None, verbose: int = 1, retrain: bool = False) -> Trained:
    """Return the trained model for ``config`` on ``data``, training and caching it if needed.

    Raises :class:`CacheError` naming the file and the fix if a cache entry is corrupt.
    """
    directory = Path(directory) if directory is not None else cache_dir()
    stem = f"{config.arch}-z{config.latent_dim}-{data.source}-{cache_key(config, data)}"
    path, history_path = directory / f"{stem}.keras", directory / f"{stem}.history.json"
    if path.exists() and not retrain:
        try:
            vae = load_vae(path)
            history = json.loads(history_path.read_text())
        except (ValueError, OSError) as err:
            raise CacheError(
                f"The cached model {path} is corrupt or incomplete ({err}). Delete {path} and "
                f"{history_path.name}, or call train_or_load(..., retrain=True), to train it again."
            ) from err
        if verbose:
            print(f"Loaded {config.describe()} ({data.source} data) from the cache.")
        return Trained(vae, history, path, trained_now=False)

    if verbose:
        print(f"Training {config.describe()} on {data.source} data with the recipe of vaebook.training...")
    vae, history = train(config, data, verbose=verbose)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f"{stem}.tmp-{os.getpid()}.keras"
    history_path.write_text(json.dumps(history))
    vae.save(tmp)
    os.replace(tmp, path)  # the model appears only once it is complete
    return Trained(vae, history, path, trained_now=True)

