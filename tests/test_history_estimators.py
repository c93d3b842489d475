"""The history timeline and the gradient estimators of notebooks 01 and 02."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from vaebook.estimators import compare_estimators, exact_gradient, gradient_samples
from vaebook.history import MILESTONES, plot_timeline, references


def test_milestones_cover_the_series_history_in_order():
    names = [m.name for m in sorted(MILESTONES, key=lambda m: m.year)]
    assert names[0] == "Helmholtz machine" and names[-1] == "Latent diffusion"
    for key in ("VAE (AEVB)", "Stochastic\nbackpropagation", "IWAE", r"$\beta$-VAE", "VQ-VAE", "NVAE"):
        assert key in names
    text = references()
    assert text.count("\n") == len(MILESTONES) - 1
    assert "Kingma, D. P., & Welling, M. (2013)" in text and "arXiv:1312.6114" in text
    assert text.index("Dayan") < text.index("Kingma") < text.index("Rombach")


def test_timeline_has_one_marker_and_label_per_milestone():
    ax = plot_timeline()
    offsets = ax.collections[0].get_offsets()
    assert sorted(offsets[:, 0]) == sorted(m.year for m in MILESTONES)
    labels = [t.get_text() for t in ax.texts]
    assert len(labels) == len(MILESTONES) and "VQ-VAE\n2017" in labels
    # Two papers of one year on one side never share a label position.
    positions = {(t.xy[0], t.xy[1]) for t in ax.texts}
    assert len(positions) == len(MILESTONES)
    plt.close("all")
    with pytest.raises(ValueError, match="at least one"):
        plot_timeline([])


def test_both_estimators_are_unbiased():
    result = compare_estimators(mu=0.5, sigma=1.0, target=2.0, samples=200_000, seed=1)
    assert result["exact"] == exact_gradient(0.5, 2.0) == 1.5
    for name in ("score_function", "reparameterization"):
        est = result[name]
        assert abs(est["mean"] - 1.5) < 4 * est["stderr"], name


def test_reparameterization_has_much_lower_variance():
    result = compare_estimators(mu=0.5, sigma=1.0, target=2.0, samples=50_000)
    # Reparameterized: f'(z) = target - z has variance sigma^2 = 1. Score function: far larger.
    assert result["reparameterization"]["variance"] == pytest.approx(1.0, rel=0.05)
    assert result["score_function"]["variance"] > 5 * result["reparameterization"]["variance"]


def test_estimators_share_the_noise_and_check_inputs():
    mu, sigma, target = 0.5, 2.0, 1.0
    a = gradient_samples(mu, sigma, target, samples=10, seed=3)
    b = gradient_samples(mu, sigma, target, samples=10, seed=3)
    np.testing.assert_array_equal(a["score_function"], b["score_function"])
    # Shared noise: the z behind the reparameterized estimate, f'(z) = target - z, gives the
    # score-function estimate f(z) * (z - mu) / sigma^2 of the same draw.
    z = target - a["reparameterization"]
    np.testing.assert_allclose(a["score_function"], -0.5 * (z - target) ** 2 * (z - mu) / sigma**2, rtol=1e-12)
    eps = np.random.default_rng(3).standard_normal(10)
    np.testing.assert_allclose(z, mu + sigma * eps, rtol=1e-12)  # and those z are N(mu, sigma^2) draws of that seed
    for kwargs, match in ((dict(sigma=0.0), "sigma must be > 0"), (dict(mu=np.nan), "finite"), (dict(samples=1), "samples")):
        args = dict(mu=0.0, sigma=1.0, target=1.0, samples=100) | kwargs
        with pytest.raises(ValueError, match=match):
            gradient_samples(**args)
