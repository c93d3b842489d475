"""The shared model configurations of the notebooks."""

import dataclasses

import pytest

from vaebook.configs import BETAS, SERIES, SWEEP_PATIENCE, background, beta_sweep, likelihood_vae, main_vae, series_config, small_vae, without_digit
from vaebook.data import MNIST


def fake(source="bundled", binarization="none"):
    return MNIST(None, None, None, None, source, binarization)


def test_no_hand_picked_seed_and_one_recipe():
    """Seed 0 and the recipe for every model, but the two shipped to show what the recipe prevents; the beta
    sweep waits longer before it stops (patience 30), the others 10."""
    failures = {"main_no_warmup", "main_batch128_seed3"}
    configs = {name: series_config(name, fake(binarization=b)) for name, (_, b) in SERIES.items() if name not in failures}
    assert {c.seed for c in configs.values()} == {0}
    assert all(c.warmup_epochs == 10 for c in configs.values())
    sweep = {f"mlp_beta{beta:g}" for beta in BETAS}
    assert {name for name, c in configs.items() if c.patience != 10} == sweep
    assert SWEEP_PATIENCE == 30 and all(configs[name].patience == SWEEP_PATIENCE for name in sweep)
    assert series_config("main_no_warmup", fake()) == dataclasses.replace(main_vae(fake()), warmup_epochs=0)
    assert series_config("main_batch128_seed3", fake()) == dataclasses.replace(main_vae(fake()), batch_size=128, seed=3)


def test_full_mnist_gets_fewer_epochs_per_pass():
    assert main_vae(fake("bundled")).epochs > main_vae(fake("full")).epochs
    assert small_vae(fake("bundled")).epochs > small_vae(fake("full")).epochs


def test_sweep_and_anomaly_models_share_one_network():
    sweep = [series_config(f"mlp_beta{beta:g}", fake()) for beta in BETAS]
    assert [c.beta for c in sweep] == list(BETAS)
    assert {dataclasses.replace(c, beta=1.0) for c in sweep} == {beta_sweep(fake(), 1.0)}
    assert dataclasses.replace(beta_sweep(fake(), 1.0), patience=10, epochs=small_vae(fake()).epochs) == small_vae(fake())
    assert beta_sweep(fake("full"), 1.0).epochs == small_vae(fake("full")).epochs
    assert without_digit(fake(), 3) == dataclasses.replace(small_vae(fake()), exclude_digit=3)
    assert background(fake(), 3) == dataclasses.replace(without_digit(fake(), 3), perturb=0.2)


def test_likelihood_vae_is_the_published_network_and_needs_dynamic_binarization():
    config = likelihood_vae(fake(binarization="dynamic"))
    assert (config.arch, config.latent_dim, config.hidden, config.activation) == ("mlp", 50, (200, 200), "tanh")
    with pytest.raises(ValueError, match="binarization='dynamic'"):
        likelihood_vae(fake(binarization="none"))


def test_series_config_checks_name_and_binarization():
    with pytest.raises(ValueError, match="Unknown model 'mian'. The series' models are: main, "):
        series_config("mian", fake())
    with pytest.raises(ValueError, match=r"binarization='none', but this data has binarization='dynamic'.*load_mnist\(binarization='none'\)"):
        series_config("main", fake(binarization="dynamic"))
    assert len(set(series_config(n, fake(binarization=b)) for n, (_, b) in SERIES.items())) == len(SERIES)
