"""Train a model once, load it afterwards: a cache keyed by the model's configuration and its data.

A notebook asks for a model by its :class:`TrainConfig`; :func:`train_or_load` returns it from
the cache if it is there and trains it on the spot (with a progress bar) if not. The key is a
hash of the configuration, the data source, the binarization, the number of training images
and the versions of vaebook and Keras, so a change to any of them trains a new model.

The cache lives in ``$VAEBOOK_CACHE``, else ``~/.cache/vaebook``. Each entry is a ``.keras``
file with its training history beside it as JSON.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path

import keras

from vaebook import __version__
from vaebook.data import MNIST
from vaebook.model import build_vae, check_latent_dim, load_vae

ENV_VAR = "VAEBOOK_CACHE"


class CacheError(ValueError):
    """A cache entry exists but cannot be read."""


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a trained model, apart from the data.

    ``exclude_digit`` trains on every digit but that one (for anomaly detection);
    ``hidden``/``activation`` apply to the ``mlp`` architecture.
    """

    arch: str = "conv"
    latent_dim: int = 2
    beta: float = 1.0
    epochs: int = 10
    batch_size: int = 128
    seed: int = 0
    learning_rate: float = 1e-3
    exclude_digit: int | None = None
    hidden: tuple = (512,)
    activation: str = "relu"

    def __post_init__(self):
        check_latent_dim(self.latent_dim)
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs} and {self.batch_size}.")
        if self.exclude_digit is not None and self.exclude_digit not in range(10):
            raise ValueError(f"exclude_digit must be a digit 0-9 or None, got {self.exclude_digit!r}.")

    def describe(self) -> str:
        without = f", without digit {self.exclude_digit}" if self.exclude_digit is not None else ""
        return f"{self.arch} VAE, latent_dim={self.latent_dim}, beta={self.beta:g}, {self.epochs} epochs{without}"


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


def cache_key(config: TrainConfig, data: MNIST) -> str:
    """A short hash of the configuration, the data's source, binarization and size, and the versions."""
    payload = {
        "config": dataclasses.asdict(config),
        "source": data.source,
        "binarization": data.binarization,
        "n_train": int(len(data.x_train)),
        "layout": 2,  # the bundled split's order (2: shuffled); bump when the data's layout changes
        "vaebook": __version__,
        "keras": keras.__version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


def training_split(config: TrainConfig, data: MNIST):
    """Training and validation images for a configuration: all digits, or all but ``exclude_digit``."""
    if config.exclude_digit is None:
        return data.x_train, data.x_test
    return data.x_train[data.y_train != config.exclude_digit], data.x_test[data.y_test != config.exclude_digit]


def build_from_config(config: TrainConfig, data: MNIST):
    """A fresh, compiled VAE for this configuration and data."""
    arch_kwargs = {"hidden": config.hidden, "activation": config.activation} if config.arch == "mlp" else {}
    return build_vae(
        config.arch,
        config.latent_dim,
        beta=config.beta,
        seed=config.seed,
        dynamic_binarization=data.binarization == "dynamic",
        learning_rate=config.learning_rate,
        **arch_kwargs,
    )


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

    x_train, x_val = training_split(config, data)
    vae = build_from_config(config, data)
    if verbose:
        print(f"Training {config.describe()} on {len(x_train):,} {data.source} images...")
    start = time.perf_counter()
    fit = vae.fit(
        x_train, epochs=config.epochs, batch_size=config.batch_size, validation_data=x_val, verbose=verbose
    )
    history = {name: [float(v) for v in values] for name, values in fit.history.items()}
    history["seconds"] = time.perf_counter() - start
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f"{stem}.tmp-{os.getpid()}.keras"
    history_path.write_text(json.dumps(history))
    vae.save(tmp)
    os.replace(tmp, path)  # the model appears only once it is complete
    return Trained(vae, history, path, trained_now=True)

