"""The shared model configurations of the notebooks."""

import dataclasses

import pytest

from vaebook.configs import BETAS, beta_sweep, likelihood_vae, main_vae, small_vae, without_digit
from vaebook.data import MNIST


def fake(source="bundled", binarization="none"):
    return MNIST(None, None, None, None, source, binarization)


def test_epochs_follow_the_data_source():
    assert main_vae(fake("bundled")).epochs > main_vae(fake("full")).epochs
    assert small_vae(fake("bundled")).epochs > small_vae(fake("full")).epochs


def test_sweep_and_anomaly_models_share_one_network():
    sweep = beta_sweep(fake())
    assert [c.beta for c in sweep] == list(BETAS)
    assert {dataclasses.replace(c, beta=1.0) for c in sweep} == {small_vae(fake())}
    assert without_digit(fake(), 3) == dataclasses.replace(small_vae(fake()), exclude_digit=3)


def test_likelihood_vae_is_the_published_network_and_needs_dynamic_binarization():
    config = likelihood_vae(fake(binarization="dynamic"))
    assert (config.arch, config.latent_dim, config.hidden, config.activation) == ("mlp", 50, (200, 200), "tanh")
    with pytest.raises(ValueError, match="binarization='dynamic'"):
        likelihood_vae(fake(binarization="none"))


def test_main_vae_uses_both_latent_dimensions(mnist):
    """The seed of main_vae is chosen so that neither latent dimension collapses onto the prior."""
    import numpy as np

    from vaebook.cache import train_or_load

    vae = train_or_load(main_vae(mnist), mnist, verbose=0).vae  # the shared cache: the notebooks reuse it
    means, _ = vae.encode(mnist.x_test)
    assert np.all(means.std(axis=0) > 0.5), f"a latent dimension collapsed: std of the means {means.std(axis=0)}"


def test_series_models_cover_every_notebook_model():
    from vaebook.configs import series_models

    pairs = series_models(fake(), fake(binarization="dynamic"))
    configs = [c for c, _ in pairs]
    assert main_vae(fake()) in configs and small_vae(fake(), beta=0.0) in configs
    assert without_digit(fake()) in configs and all(c in configs for c in beta_sweep(fake()))
    assert [d.binarization for c, d in pairs if c.latent_dim == 50] == ["dynamic"]
    assert len(set(configs)) == len(configs)
