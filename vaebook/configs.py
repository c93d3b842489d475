"""The trained models the notebooks share: one :class:`~vaebook.training.TrainConfig` each, and their names.

Every model is trained with the one recipe of :mod:`vaebook.training` (KL warm-up, a validation
set from the training images, early stopping with the best weights kept) and seed 0: no seed
is picked because it happened to work. One model is the exception, and ships as a record of a
failure: ``main_batch128_seed3`` is the main model with batches of 128, the recipe before the
change to batches of 32, and the seed with which that recipe switched a latent dimension off
(notebook 03 shows it next to the recipe's runs over seeds 0-4). ``epochs`` is an upper bound; early stopping decides.
:data:`SERIES` names them; :mod:`vaebook.pretrained` ships each one trained on the bundled
MNIST subset.
"""

from __future__ import annotations

import dataclasses

from vaebook.data import MNIST
from vaebook.training import TrainConfig


def main_vae(data: MNIST) -> TrainConfig:
    """The series' main model: the conv VAE with a 2-d latent space, beta = 1, batches of 32.

    Batches of 32, not 128, are the one measured change to the recipe: on the bundled subset
    (3,600 images to fit) batches of 128 give 29 steps an epoch, and with seed 3 one latent
    dimension switched off for good (held-out ELBO -180, one thread and two alike); batches
    of 32 give 113 steps an epoch for about the same time per epoch on a CPU, and every seed
    of ``benchmarks/recipe_robustness.py`` ends with both dimensions in use. Early stopping
    ends training after about 40-70 epochs.
    """
    return TrainConfig(arch="conv", latent_dim=2, beta=1.0, batch_size=32, epochs=100 if data.source == "bundled" else 30)


def conditional_vae(data: MNIST) -> TrainConfig:
    """Notebook 06's conditional VAE: :func:`main_vae` with the digit label as a second input of
    encoder and decoder (q(z|x, y), p(x|z, y)); the same architecture otherwise, and the same recipe.
    """
    return dataclasses.replace(main_vae(data), conditional=True)


BETAS = (0.25, 1.0, 4.0, 16.0)
"""The beta values of notebook 05's rate-distortion sweep."""


def small_vae(data: MNIST, beta: float = 1.0) -> TrainConfig:
    """A fast MLP VAE (one hidden layer of 256 ReLU units, 2-d latent space) for sweeps and comparisons.

    256 rather than the 512 units of the Keras MLP example: seven of these models ship inside
    the package, and 256 units keep all shipped files under 10 MB.
    """
    return TrainConfig(arch="mlp", latent_dim=2, beta=beta, epochs=200 if data.source == "bundled" else 30, hidden=(256,))


SWEEP_PATIENCE = 30
"""Epochs without a better validation loss that end a run of the beta sweep (the recipe's default is 10)."""


def beta_sweep(data: MNIST, beta: float) -> TrainConfig:
    """One model of notebook 05's rate-distortion sweep: :func:`small_vae` with ``beta``, trained until its
    validation loss has not improved for :data:`SWEEP_PATIENCE` = 30 epochs (at most 500 on the bundled data).

    The sweep compares the end points of training, so each run must reach its own: with the recipe's
    patience of 10 the beta = 0.25 model stopped on a plateau of its noisy validation loss (best epoch
    75, of 85) and ended with no less test distortion than beta = 1 at twice the rate. With 30, seeds 0-2
    train 115-227 epochs (best epochs 85-197), and for every seed the rate falls and the test
    distortion rises with beta (``python -m benchmarks.beta_sweep``).
    """
    return dataclasses.replace(small_vae(data, beta), patience=SWEEP_PATIENCE,
                               epochs=500 if data.source == "bundled" else 30)


def without_digit(data: MNIST, digit: int = 7) -> TrainConfig:
    """:func:`small_vae` trained on every digit but one: the unseen digit is the anomaly."""
    return dataclasses.replace(small_vae(data), exclude_digit=digit)


def background(data: MNIST, digit: int = 7, rate: float = 0.2) -> TrainConfig:
    """The background model of a likelihood ratio (Ren et al. 2019): :func:`without_digit`, trained on
    images in which a share ``rate`` of the pixels is replaced by uniform noise (:func:`vaebook.data.perturb`).

    It never sees the anomalous digit either; the noise teaches it the images' generic statistics
    (how much ink, how smooth) but not their shapes.
    """
    return dataclasses.replace(without_digit(data, digit), perturb=rate)


def likelihood_vae(data: MNIST) -> TrainConfig:
    """The one-stochastic-layer VAE of Burda et al. (2015), Table 1: an MLP with two hidden layers of
    200 tanh units and 50 latent units, for dynamically binarized MNIST. (They trained for 3,280
    epochs on 60,000 digits; here early stopping decides, on 3,600.)
    """
    if data.binarization != "dynamic":
        raise ValueError(
            f"likelihood_vae is the published setting, which uses dynamically binarized MNIST, but the data "
            f"has binarization={data.binarization!r}. Load it with load_mnist(binarization='dynamic')."
        )
    return TrainConfig(
        arch="mlp", latent_dim=50, beta=1.0, epochs=300 if data.source == "bundled" else 30,
        hidden=(200, 200), activation="tanh",
    )


SERIES = {
    "main": (main_vae, "none"),
    "main_no_warmup": (lambda data: dataclasses.replace(main_vae(data), warmup_epochs=0), "none"),
    "main_batch128_seed3": (lambda data: dataclasses.replace(main_vae(data), batch_size=128, seed=3), "none"),
    "autoencoder": (lambda data: small_vae(data, beta=0.0), "none"),
    **{f"mlp_beta{beta:g}": (lambda data, beta=beta: beta_sweep(data, beta), "none") for beta in BETAS},
    "without_7": (without_digit, "none"),
    "background_without_7": (background, "none"),
    "likelihood_50d": (likelihood_vae, "dynamic"),
    "cvae": (conditional_vae, "none"),
}
"""Every model the notebooks use: name -> (configuration for the data, the binarization it needs)."""


def series_config(name: str, data: MNIST) -> TrainConfig:
    """The configuration of the series model ``name`` for ``data``; checks the name and the binarization."""
    if name not in SERIES:
        raise ValueError(f"Unknown model {name!r}. The series' models are: {', '.join(SERIES)}.")
    make, binarization = SERIES[name]
    if data.binarization != binarization:
        raise ValueError(
            f"Model {name!r} is trained on data with binarization={binarization!r}, but this data has "
            f"binarization={data.binarization!r}. Load it with load_mnist(binarization={binarization!r})."
        )
    return make(data)
