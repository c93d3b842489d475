import numpy as np
import keras
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from vaebook.losses import bernoulli_log_likelihood, elbo, gaussian_kl, gaussian_log_density, reparameterize


def np_(t):
    return keras.ops.convert_to_numpy(t)


def test_kl_is_exactly_zero_at_the_prior():
    kl = np_(gaussian_kl(np.zeros((3, 5)), np.zeros((3, 5))))
    assert kl.shape == (3,)
    assert np.all(kl == 0.0)


def test_kl_matches_monte_carlo(rng):
    mean = np.array([[0.5, -1.0, 2.0]], np.float32)
    log_var = np.array([[-1.0, 0.3, 1.2]], np.float32)
    z = mean + np.exp(0.5 * log_var) * rng.standard_normal((400_000, 3)).astype(np.float32)
    log_q = np_(gaussian_log_density(z, mean, log_var))
    log_p = np_(gaussian_log_density(z, 0.0, 0.0))
    mc = np.mean(log_q - log_p)
    closed = float(np_(gaussian_kl(mean, log_var))[0])
    assert closed == pytest.approx(0.5 * np.sum(mean**2 + np.exp(log_var) - 1 - log_var), rel=1e-5)
    assert mc == pytest.approx(closed, abs=0.02)


def test_kl_sums_the_latent_axis_for_any_leading_shape(rng):
    mean = rng.normal(size=(3, 4, 2)).astype(np.float32)  # k draws x N images x latent_dim
    log_var = rng.normal(size=(3, 4, 2)).astype(np.float32)
    kl = np_(gaussian_kl(mean, log_var))
    assert kl.shape == (3, 4)
    np.testing.assert_allclose(kl, 0.5 * np.sum(mean**2 + np.exp(log_var) - 1.0 - log_var, axis=-1), rtol=1e-5)


def test_reparameterize_is_mean_plus_sigma_times_the_given_eps(rng):
    # -eps has the law of eps, so only the given eps tells z = mean + sigma * eps from mean - sigma * eps.
    mean, log_var, eps = (rng.normal(size=(4, 2)).astype(np.float32) for _ in range(3))
    np.testing.assert_allclose(np_(reparameterize(mean, log_var, eps)), mean + np.exp(0.5 * log_var) * eps, rtol=1e-6)


def test_kl_has_the_right_sign():
    # The source's formula without the leading minus sign would give a negative number here.
    assert float(np_(gaussian_kl([[1.0]], [[0.0]]))[0]) == pytest.approx(0.5)


finite = st.floats(-30, 30, allow_nan=False, width=32)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float32, (4, 3), elements=finite), arrays(np.float32, (4, 3), elements=st.floats(-20, 8, width=32)))
def test_kl_is_never_negative(mean, log_var):
    kl = np_(gaussian_kl(mean, log_var))
    assert kl.shape == (4,)
    assert np.all(kl >= 0.0)
    m, lv = mean.astype(np.float64), log_var.astype(np.float64)
    reference = 0.5 * np.sum(m**2 + np.expm1(lv) - lv, axis=-1)  # the formula, in float64
    np.testing.assert_allclose(kl, reference, rtol=1e-5, atol=1e-5)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float32, (2, 4), elements=st.floats(-2.0**-20, 2.0**-20, width=32)))
@example(np.full((2, 4), 2.0**-20, np.float32))
def test_kl_is_never_negative_near_the_prior(log_var):
    kl = np_(gaussian_kl(np.zeros_like(log_var), log_var))
    assert np.all(kl >= 0.0)
    lv = log_var.astype(np.float64)
    # Near 0, exp(lv) - 1 - lv ~ lv^2 / 2 is a few float32 ulps of lv (ulp(2^-20) = 2^-43): allow
    # 2^-41 in all. At lv = 2^-20 the KL is 2^-40, so a KL of 0 fails.
    np.testing.assert_allclose(kl, 0.5 * np.sum(np.expm1(lv) - lv, axis=-1), rtol=0, atol=2.0**-41)


def test_kl_near_the_prior_is_small_but_positive():
    # log_var = 2^-20 in 4 dimensions: KL = 1/2 * 4 * (2^-40 / 2) = 2^-40, which float32 resolves.
    kl = float(np_(gaussian_kl(np.zeros((1, 4)), np.full((1, 4), 2.0**-20)))[0])
    assert kl == pytest.approx(2.0**-40, rel=0.3, abs=0)  # pytest.approx would otherwise allow 1e-12


def test_bernoulli_log_likelihood_is_minus_summed_bce(rng):
    x = (rng.random((5, 28, 28, 1)) < 0.3).astype(np.float32)
    logits = rng.normal(0, 3, (5, 28, 28, 1)).astype(np.float32)
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    manual = np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))
    ours = np_(bernoulli_log_likelihood(x, logits))
    np.testing.assert_allclose(ours, manual, rtol=1e-5)
    bce = keras.losses.binary_crossentropy(x.reshape(5, -1), logits.reshape(5, -1), from_logits=True)
    np.testing.assert_allclose(ours, -784 * np_(bce), rtol=1e-5)


def test_bernoulli_log_likelihood_is_finite_for_saturated_logits():
    # Both pixels confidently wrong: log sigmoid(-200) + log(1 - sigmoid(200)) = -200 - 200.
    x = np.array([[1.0, 0.0]], np.float32)
    value = np_(bernoulli_log_likelihood(x, np.array([[-200.0, 200.0]], np.float32)))
    assert np.isfinite(value).all()
    assert float(value[0]) == pytest.approx(-400.0, rel=1e-6)
    # Confidently right: log p = 0 up to softplus(-200).
    assert float(np_(bernoulli_log_likelihood(x, np.array([[200.0, -200.0]], np.float32)))[0]) == pytest.approx(0.0, abs=1e-6)


def test_terms_are_per_example_sums_not_batch_means():
    x = np.array([[1.0, 1.0], [0.0, 0.0]], np.float32)
    logits = np.zeros((2, 2), np.float32)
    np.testing.assert_allclose(np_(bernoulli_log_likelihood(x, logits)), [2 * np.log(0.5)] * 2, rtol=1e-6)
    kl = np_(gaussian_kl([[1.0, 1.0], [0.0, 0.0]], np.zeros((2, 2))))
    np.testing.assert_allclose(kl, [1.0, 0.0])
    np.testing.assert_allclose(np_(elbo(x, logits, [[1.0, 1.0], [0.0, 0.0]], np.zeros((2, 2)))), [2 * np.log(0.5) - 1, 2 * np.log(0.5)], rtol=1e-6)


def test_gaussian_log_density_matches_scipy():
    from scipy.stats import norm

    z = np.array([[0.3, -1.2], [2.0, 0.5]], np.float32)
    mean, log_var = np.array([[0.1, 0.0], [-1.0, 0.3]]), np.array([[0.5, -0.5], [1.5, -2.0]])
    expected = norm.logpdf(z, loc=mean, scale=np.exp(0.5 * log_var)).sum(axis=-1)
    np.testing.assert_allclose(np_(gaussian_log_density(z, mean, log_var)), expected, rtol=1e-5)
    np.testing.assert_allclose(np_(gaussian_log_density(z, 0.0, 0.0)), norm.logpdf(z).sum(axis=-1), rtol=1e-5)


def test_monte_carlo_kl_helper_agrees_with_closed_form():
    from vaebook.losses import gaussian_kl, gaussian_kl_monte_carlo

    mean = np.array([[0.5, -1.0], [0.0, 0.0]])
    log_var = np.array([[-1.0, 0.7], [0.0, 0.0]])
    estimate, stderr = gaussian_kl_monte_carlo(mean, log_var, samples=200_000)
    exact = np.asarray(gaussian_kl(mean, log_var))
    assert np.all(np.abs(estimate - exact) <= 4 * stderr + 1e-12)
    assert estimate[1] == 0.0  # q = p: log q(z) - log p(z) is exactly 0 for every z
    with pytest.raises(ValueError, match="shape"):
        gaussian_kl_monte_carlo(mean, log_var[:1])
