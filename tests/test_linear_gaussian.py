"""The linear-Gaussian VAE of notebook 02: its exact posterior, the best diagonal encoder, widen_encoder."""

import numpy as np
import pytest

from vaebook.codes import encode
from vaebook.evaluate import dataset_elbo
from vaebook.linear_gaussian import (
    fit_ppca,
    linear_gaussian_vae,
    mean_field_variances,
    widen_encoder,
    with_encoder_variances,
)

NOISE_VAR = 0.05


def _decoder(mixing, seed=0):
    """w = Q @ mixing with Q (784, d) orthonormal: w^T w = mixing^T mixing, so M is diagonal iff that is."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((784, len(mixing))))
    return q @ np.asarray(mixing, dtype=np.float64), np.full(784, 0.1)


@pytest.fixture(scope="module")
def correlated():
    """A decoder whose two latent directions overlap: posterior correlation about -0.9."""
    w, b = _decoder([[3.0, 2.7], [0.0, 1.2]])
    return linear_gaussian_vae(w, b, NOISE_VAR, seed=0)


def _correlation(model):
    cov = model.posterior_covariance()
    return cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])


def test_best_diagonal_beats_matching_the_marginal_variances(correlated, mnist):
    x = mnist.x_test[:100]
    assert _correlation(correlated) < -0.8
    marginal = np.diag(correlated.posterior_covariance())
    mean_field = mean_field_variances(correlated)
    # A mean-field posterior underestimates the marginal variances: 1 - rho^2 times them in 2-d.
    np.testing.assert_allclose(mean_field, marginal * (1 - _correlation(correlated) ** 2), rtol=1e-6)
    np.testing.assert_allclose(np.exp(encode(correlated, x)[1][0]), mean_field, rtol=1e-5)
    matched = with_encoder_variances(correlated, marginal)
    exact = correlated.exact_log_marginal(x).mean()
    elbo_best = dataset_elbo(correlated, x, samples=200)
    elbo_matched = dataset_elbo(matched, x, samples=200)
    assert elbo_best > elbo_matched + 2.0
    # log p(x) = ELBO + KL(q(z|x) || p(z|x)), with the KL in closed form, for both encoders
    # (within the Monte Carlo error of 200 samples per image).
    for model, elbo in ((correlated, elbo_best), (matched, elbo_matched)):
        assert model.posterior_kl(x).mean() > 0.5
        assert exact - elbo == pytest.approx(model.posterior_kl(x).mean(), abs=0.2)


def test_mean_field_variances_maximise_the_elbo(correlated, mnist):
    x = mnist.x_test[:20]
    best = correlated.posterior_kl(x).mean()
    for scale in ([1.2, 1.0], [0.8, 1.0], [1.0, 1.2], [1.0, 0.8]):
        worse = with_encoder_variances(correlated, mean_field_variances(correlated) * np.array(scale))
        assert worse.posterior_kl(x).mean() > best + 1e-3


def test_best_diagonal_is_exact_when_M_is_diagonal(mnist):
    x = mnist.x_test[:100]
    model = linear_gaussian_vae(*_decoder([[3.0, 0.0], [0.0, 1.5]]), NOISE_VAR, seed=0)
    np.testing.assert_allclose(mean_field_variances(model), np.diag(model.posterior_covariance()), rtol=1e-9)
    assert model.posterior_kl(x).max() < 1e-3
    # q is the true posterior, so the ELBO equals log p(x), within Monte Carlo error.
    assert dataset_elbo(model, x, samples=200) == pytest.approx(model.exact_log_marginal(x).mean(), abs=0.02)


def test_fit_ppca_uses_the_best_diagonal_encoder(mnist):
    model = fit_ppca(mnist.x_train, latent_dim=2, seed=1)
    assert abs(_correlation(model)) > 0.05  # the rotation makes M non-diagonal
    log_var = encode(model, mnist.x_test[:3])[1]
    np.testing.assert_allclose(np.exp(log_var), np.tile(mean_field_variances(model), (3, 1)), rtol=1e-5)
    assert np.all(mean_field_variances(model) < np.diag(model.posterior_covariance()))


def test_widen_encoder_returns_a_new_model_and_leaves_its_input_alone(mnist):
    x = mnist.x_test[:50]
    model = fit_ppca(mnist.x_train, latent_dim=2, seed=0)
    before = [w.copy() for w in model.get_weights()]
    # Like re-running a notebook cell: the same call on the same model gives the same ELBO.
    first = widen_encoder(model, 3.0)
    elbo_first = dataset_elbo(first, x, samples=20)
    elbo_second = dataset_elbo(widen_encoder(model, 3.0), x, samples=20)
    assert elbo_first == elbo_second
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert first is not model
    np.testing.assert_allclose(encode(first, x)[1] - encode(model, x)[1], np.log(3.0), atol=1e-5)
    with pytest.raises(ValueError, match="factor"):
        widen_encoder(model, 0.0)


def test_bad_decoders_and_variances_are_refused(correlated):
    with pytest.raises(ValueError, match="shape"):
        linear_gaussian_vae(np.ones((10, 2)), np.zeros(784), NOISE_VAR)
    with pytest.raises(ValueError, match="noise_var"):
        linear_gaussian_vae(*_decoder([[1.0]]), 0.0)
    with pytest.raises(ValueError, match="variances"):
        with_encoder_variances(correlated, [1.0, -1.0])
