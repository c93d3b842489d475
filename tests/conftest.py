"""Shared fixtures. Every test runs hermetically on the bundled MNIST subset."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["VAEBOOK_DATA"] = "bundled"

import numpy as np
import pytest

from vaebook.data import load_mnist
from vaebook.model import build_vae


@pytest.fixture(scope="session")
def mnist():
    return load_mnist("bundled", verbose=False)


@pytest.fixture(scope="session")
def trained(mnist):
    """The series' conv VAE after 4 epochs on the bundled training digits, with its history."""
    vae = build_vae("conv", latent_dim=2, seed=0)
    history = vae.fit(mnist.x_train, epochs=4, batch_size=128, validation_data=mnist.x_test, verbose=0)
    return vae, history.history


@pytest.fixture
def rng():
    return np.random.default_rng(0)
