import numpy as np
import keras
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from vaebook.losses import bernoulli_log_likelihood, elbo, gaussian_kl, gaussian_log_density


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


@settings(max_examples=50, deadline=None)
@given(arrays(np.float32, (2, 4), elements=st.floats(-2.0**-20, 2.0**-20, width=32)))
def test_kl_is_never_negative_near_the_prior(log_var):
    assert np.all(np_(gaussian_kl(np.zeros_like(log_var), log_var)) >= 0.0)


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
    x = np.array([[1.0, 0.0]], np.float32)
    assert np.isfinite(np_(bernoulli_log_likelihood(x, np.array([[-200.0, 200.0]], np.float32)))).all()


def test_terms_are_per_example_sums_not_batch_means():
    x = np.array([[1.0, 1.0], [0.0, 0.0]], np.float32)
    logits = np.zeros((2, 2), np.float32)
    np.testing.assert_allclose(np_(bernoulli_log_likelihood(x, logits)), [2 * np.log(0.5)] * 2, rtol=1e-6)
    kl = np_(gaussian_kl([[1.0, 1.0], [0.0, 0.0]], np.zeros((2, 2))))
    np.testing.assert_allclose(kl, [1.0, 0.0])
    np.testing.assert_allclose(np_(elbo(x, logits, [[1.0, 1.0], [0.0, 0.0]], np.zeros((2, 2)))), [2 * np.log(0.5) - 1, 2 * np.log(0.5)], rtol=1e-6)


def test_gaussian_log_density_matches_scipy_formula():
    z = np.array([[0.3, -1.2]], np.float32)
    mean, log_var = np.array([[0.1, 0.0]]), np.array([[0.5, -0.5]])
    var = np.exp(log_var)
    manual = np.sum(-0.5 * np.log(2 * np.pi * var) - (z - mean) ** 2 / (2 * var))
    assert float(np_(gaussian_log_density(z, mean, log_var))[0]) == pytest.approx(manual, rel=1e-5)


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
