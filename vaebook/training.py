"""How every model of the series is trained: its configuration and one recipe.

A :class:`TrainConfig` defines a model apart from its data. :func:`train` applies the recipe:

1. **A validation set from the training images.** The last 10% of the training images (the
   splits are in a fixed shuffled order) are held out to decide when to stop. The test set
   is never used in training, not even for stopping, so test-set numbers are held-out numbers.
2. **KL warm-up.** The KL weight rises linearly from beta / warmup_epochs to beta over the
   first ``warmup_epochs`` epochs (:class:`vaebook.model.KLWarmup`), so the decoder learns to
   use the code before the KL term can switch it off (posterior collapse). On data with dynamic
   binarization every epoch sees a fresh binary sample of each training image
   (:class:`BinarizedBatches`).
3. **Early stopping.** At most ``epochs`` epochs. After the warm-up, training stops once the
   validation loss (-log p(x|z) + beta * KL, one z per image) has not improved for
   ``patience`` epochs, and the weights of the best epoch are restored.

The recipe has no lucky seed: ``benchmarks/recipe_robustness.py`` trains the main model with
seeds 0-4 on one and on two threads and checks that every run ends equally well.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import keras

from vaebook.architectures import build_vae, check_latent_dim
from vaebook.codes import model_inputs, num_classes_of
from vaebook.data import MNIST, binarize, check_images, perturb
from vaebook.model import KLWarmup

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
        if self.conditional and self.arch != "conv":
            raise ValueError(f"The conditional VAE is built on the conv networks (notebook 06); got arch={self.arch!r}.")
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
    """A fresh, compiled VAE for this configuration (the data's binarization changes the batches, not the model)."""
    arch_kwargs = {"hidden": config.hidden, "activation": config.activation} if config.arch == "mlp" else {}
    return build_vae(
        config.arch,
        config.latent_dim,
        beta=config.beta,
        seed=config.seed,
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


class BinarizedBatches(keras.utils.PyDataset):
    """Dynamic binarization: batches of the images ``x`` in a new shuffled order each epoch, each image
    resampled as a binary image x_bin ~ Bernoulli(x) every time it is drawn (seeded by ``seed``)."""

    def __init__(self, x, batch_size: int, seed: int = 0):
        super().__init__()
        self.x, self.batch_size = check_images(x, "training images"), batch_size
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(self.x))

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        batch = self.x[self.order[index * self.batch_size : (index + 1) * self.batch_size]]
        return (self.rng.random(batch.shape, dtype=np.float32) < batch).astype(np.float32)

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.x))


def fit(vae, x, labels=None, validation_data=None, **kwargs):
    """``vae.fit`` after checking the data, with clear errors instead of Keras' tracebacks or a silently
    wrong loss: NumPy images must be 28x28 in [0, 1], a conditional VAE's labels digits 0-9.

    ``validation_data`` is the validation images, or (images, labels) for a conditional VAE; other
    keyword arguments go to ``vae.fit``. A conditional VAE is fitted on the pairs (x, labels). ``x``
    may also be a dataset (a ``keras.utils.PyDataset``, or a ``tf.data.Dataset`` of the model's inputs).
    Sample and class weights are refused: the loss weighs every image alike (and Keras itself drops
    a sample_weight silently when there is no y).
    """
    _refuse_weights(kwargs)
    if hasattr(x, "element_spec"):  # a tf.data.Dataset: its batches must be the model's inputs
        _check_dataset(vae, x.element_spec)
    elif not isinstance(x, keras.utils.PyDataset):
        x = model_inputs(vae, x, labels, "training")
    if validation_data is not None:
        pair = validation_data if isinstance(validation_data, (tuple, list)) else (validation_data,)
        validation_data = (model_inputs(vae, pair[0], pair[1] if len(pair) > 1 else None, "validation"),)
    return vae.fit(x, validation_data=validation_data, **kwargs)


def evaluate(vae, x, labels=None, **kwargs):
    """``vae.evaluate`` on checked NumPy images (and labels, for a conditional VAE): the loss and its two terms."""
    _refuse_weights(kwargs)
    return vae.evaluate(model_inputs(vae, x, labels, "evaluation"), **kwargs)


def _refuse_weights(kwargs):
    if kwargs.get("sample_weight") is not None or kwargs.get("class_weight") is not None:
        raise ValueError("The VAE's loss weighs every image alike: leave out sample_weight and class_weight.")


def _check_dataset(vae, spec):
    """A clear error when a conditional VAE's dataset does not hold (images, labels) pairs as the model's input.

    Keras reads a dataset element as x, (x,), (x, y) or (x, y, sample_weight); x is what the model takes.
    """
    inputs = spec[0] if isinstance(spec, tuple) else spec
    if num_classes_of(vae) and not (isinstance(inputs, tuple) and len(inputs) == 2):
        raise ValueError("A conditional VAE trains and evaluates on pairs (images, labels): a dataset whose "
                         "elements are ((x, labels),), fit((x, labels)), or vaebook.training.fit(vae, x, labels).")


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
    batches = {"batch_size": config.batch_size}
    if data.binarization == "dynamic":
        x_fit, batches = BinarizedBatches(x_fit, config.batch_size, seed=config.seed + 1), {}
    start = time.perf_counter()
    result = fit(vae, x_fit, y_fit, validation_data=(x_val, y_val), epochs=config.epochs,
                 callbacks=recipe + list(callbacks), verbose=verbose, **batches)
    history = {name: [float(v) for v in values] for name, values in result.history.items()}
    history["kl_weight"] = [recipe[0].weight(e, config.beta) for e in range(len(history["loss"]))]
    history["best_epoch"] = int(recipe[1].best_epoch) + 1
    history["seconds"] = time.perf_counter() - start
    return vae, history
