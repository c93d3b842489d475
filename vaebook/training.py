"""How every model of the series is trained: its configuration and one recipe.

A :class:`TrainConfig` defines a model apart from its data. :func:`train` applies the recipe:

1. **A validation set from the training images.** The last 10% of the training images (the
   splits are in a fixed shuffled order) are held out to decide when to stop. The test set
   is never used in training, not even for stopping, so test-set numbers are held-out numbers.
2. **KL warm-up.** The KL weight rises linearly from beta / warmup_epochs to beta over the
   first ``warmup_epochs`` epochs (:class:`vaebook.model.KLWarmup`), so the decoder learns to
   use the code before the KL term can switch it off (posterior collapse).
3. **Early stopping.** At most ``epochs`` epochs. After the warm-up, training stops once the
   validation loss (-log p(x|z) + beta * KL, one z per image) has not improved for
   ``patience`` epochs, and the weights of the best epoch are restored.

The recipe has no lucky seed: ``benchmarks/recipe_robustness.py`` trains the main model with
seeds 0-4 on one and on two threads and checks that every run ends equally well.
"""

from __future__ import annotations

import dataclasses
import time

import keras

from vaebook.data import MNIST, binarize, perturb
from vaebook.model import KLWarmup, build_vae, check_latent_dim

VALIDATION_FRACTION = 0.1


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a trained model, apart from the data.

    ``epochs`` is the most the recipe may train; ``warmup_epochs`` ramps the KL weight;
    ``patience`` is how many epochs without a better validation loss end training.
    ``exclude_digit`` trains on every digit but that one (for anomaly detection); ``perturb``
    replaces that share of the pixels by noise (a likelihood ratio's background model);
    ``hidden``/``activation`` apply to the ``mlp`` architecture. ``conditional`` builds a
    conditional VAE, q(z|x, y) and p(x|z, y), trained on the images with their digit labels.
    """

    arch: str = "conv"
    latent_dim: int = 2
    beta: float = 1.0
    epochs: int = 100
    batch_size: int = 128
    seed: int = 0
    learning_rate: float = 1e-3
    warmup_epochs: int = 10
    patience: int = 10
    exclude_digit: int | None = None
    perturb: float = 0.0
    hidden: tuple = (256,)
    activation: str = "relu"
    conditional: bool = False

    def __post_init__(self):
        check_latent_dim(self.latent_dim)
        for name in ("epochs", "batch_size", "patience"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}.")
        if not 0 <= self.warmup_epochs < self.epochs:
            raise ValueError(f"warmup_epochs must be from 0 to epochs - 1 = {self.epochs - 1}, got {self.warmup_epochs}.")
        if not 0 <= self.perturb < 1:
            raise ValueError(f"perturb is a share of pixels, from 0 up to (not including) 1, got {self.perturb!r}.")
        if self.exclude_digit is not None and self.exclude_digit not in range(10):
            raise ValueError(f"exclude_digit must be a digit 0-9 or None, got {self.exclude_digit!r}.")

    def describe(self) -> str:
        without = f", without digit {self.exclude_digit}" if self.exclude_digit is not None else ""
        noise = f", {self.perturb:.0%} of pixels perturbed" if self.perturb else ""
        kind = "conditional VAE" if self.conditional else "VAE"
        return f"{self.arch} {kind}, latent_dim={self.latent_dim}, beta={self.beta:g}{without}{noise}"


def training_split(config: TrainConfig, data: MNIST):
    """((x_fit, y_fit), (x_val, y_val)): the training images and their labels (without ``exclude_digit``),
    the last 10% held out for validation.

    With dynamic binarization the validation images are binarized once (seed 2), like the test
    images; with ``perturb`` all of them are perturbed once (seed 3).
    """
    keep = slice(None) if config.exclude_digit is None else data.y_train != config.exclude_digit
    x, y = data.x_train[keep], data.y_train[keep]
    if config.perturb:
        x = perturb(x, config.perturb, seed=3)
    n_val = int(round(len(x) * VALIDATION_FRACTION))
    x_fit, x_val = x[:-n_val], x[-n_val:]
    if data.binarization == "dynamic":
        x_val = binarize(x_val, seed=2)
    return (x_fit, y[:-n_val]), (x_val, y[-n_val:])


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
        num_classes=10 if config.conditional else 0,
        **arch_kwargs,
    )


def recipe_callbacks(config: TrainConfig) -> list:
    """The recipe's callbacks: KL warm-up, then early stopping on the validation loss with the best weights kept."""
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=config.patience, restore_best_weights=True, start_from_epoch=config.warmup_epochs
    )
    return [KLWarmup(config.warmup_epochs), stop]


class EpochLog(keras.callbacks.Callback):
    """One line per epoch, losses rounded to 0.1 nats, in place of Keras' progress bar."""

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        print(
            f"epoch {epoch + 1:3d}: reconstruction {logs['reconstruction_loss']:6.1f} + KL {logs['kl_loss']:4.1f} "
            f"(weight {float(keras.ops.convert_to_numpy(self.model.kl_weight)):.2f}); validation loss {logs['val_loss']:6.1f} nats",
            flush=True,
        )


def train(config: TrainConfig, data: MNIST, verbose: int = 1, callbacks=()):
    """Build a VAE for ``config`` and train it on ``data`` with the recipe; return (vae, history).

    ``verbose=1`` prints one line per epoch (:class:`EpochLog`), ``2`` Keras' own line per
    epoch, ``0`` nothing. ``callbacks`` are added after the recipe's own (Keras callbacks).

    ``history`` holds the per-epoch losses (``loss``, ``reconstruction_loss``, ``kl_loss`` and
    their ``val_`` twins; the training ``loss`` uses the warm-up's KL weight, the validation
    loss beta), ``kl_weight`` per epoch, ``best_epoch`` (1-based, the weights kept) and ``seconds``.
    """
    (x_fit, y_fit), (x_val, y_val) = training_split(config, data)
    if not config.conditional:  # a VAE trains on the images alone
        y_fit, y_val = None, None
    vae = build_from_config(config, data)
    recipe = recipe_callbacks(config)
    if verbose == 1:
        callbacks, verbose = [*callbacks, EpochLog()], 0
    start = time.perf_counter()
    fit = vae.fit(
        x_fit, y_fit, epochs=config.epochs, batch_size=config.batch_size,
        validation_data=x_val if y_val is None else (x_val, y_val), callbacks=recipe + list(callbacks),
        verbose=verbose,
    )
    history = {name: [float(v) for v in values] for name, values in fit.history.items()}
    history["kl_weight"] = [recipe[0].weight(e, config.beta) for e in range(len(history["loss"]))]
    history["best_epoch"] = int(recipe[1].best_epoch) + 1
    history["seconds"] = time.perf_counter() - start
    return vae, history
