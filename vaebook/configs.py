"""The trained models the notebooks share, one :class:`~vaebook.cache.TrainConfig` each.

Epochs scale with the data so that every notebook stays within its time budget: the bundled
subset (4,000 training digits) gets more passes than full MNIST (60,000).
"""

from __future__ import annotations

import dataclasses

from vaebook.cache import TrainConfig
from vaebook.data import MNIST


def epochs_for(data: MNIST, bundled: int, full: int) -> int:
    """``bundled`` epochs on the bundled subset, ``full`` epochs on full MNIST."""
    return bundled if data.source == "bundled" else full


def main_vae(data: MNIST) -> TrainConfig:
    """The series' main model: the conv VAE with a 2-d latent space, beta = 1."""
    return TrainConfig(arch="conv", latent_dim=2, beta=1.0, epochs=epochs_for(data, bundled=12, full=5), seed=0)


def autoencoder(data: MNIST) -> TrainConfig:
    """The same network without the KL term (beta = 0): a plain autoencoder in all but name."""
    return dataclasses.replace(main_vae(data), beta=0.0)
