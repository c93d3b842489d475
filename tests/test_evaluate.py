import numpy as np
import keras
import pytest

from vaebook.evaluate import dataset_elbo, elbo_per_example, elbo_terms, importance_log_likelihood
from vaebook.linear_gaussian import build_linear_vae, fit_ppca, widen_encoder


@pytest.fixture(scope="module")
def ppca(mnist):
    """PPCA fitted to real digits, with an encoder three times too wide so the ELBO has a clear gap."""
    return widen_encoder(fit_ppca(mnist.x_train, latent_dim=2, seed=0), 3.0)


def test_exact_marginal_matches_dense_gaussian(ppca, mnist):
    x = mnist.x_test[:5].reshape(5, -1).astype(np.float64)
    w, b, s2 = ppca.generative_parameters()
    cov = w.T @ w + s2 * np.eye(784)
    chol = np.linalg.cholesky(cov)
    sol = np.linalg.solve(chol, (x - b).T)
    dense = -0.5 * (784 * np.log(2 * np.pi) + 2 * np.log(np.diag(chol)).sum() + (sol**2).sum(axis=0))
    np.testing.assert_allclose(ppca.exact_log_marginal(mnist.x_test[:5]), dense, rtol=1e-9)


def test_importance_estimate_converges_to_exact_and_elbo_stays_below(ppca, mnist):
    x = mnist.x_test[:100]
    exact = ppca.exact_log_marginal(x).mean()
    elbo = dataset_elbo(ppca, x, samples=200)
    assert elbo < exact - 0.5  # the gap is real, not noise
    errors = [abs(importance_log_likelihood(ppca, x, k=k).mean() - exact) for k in (1, 10, 100, 2000)]
    assert errors[0] > 0.5
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < 0.02


def test_estimate_is_above_elbo_and_tightens_with_k(trained, mnist):
    vae, _ = trained
    x = mnist.x_test[:100]
    elbo = dataset_elbo(vae, x, samples=20)
    ks = [1, 10, 100, 1000]
    estimates = [importance_log_likelihood(vae, x, k=k).mean() for k in ks]
    # k = 1 is an unbiased ELBO estimate: on 1,000 images, within 4 standard errors of the 20-sample ELBO.
    one_draw = importance_log_likelihood(vae, mnist.x_test, k=1)
    stderr = one_draw.std(ddof=1) / np.sqrt(len(one_draw))
    assert one_draw.mean() == pytest.approx(dataset_elbo(vae, mnist.x_test, samples=20), abs=4 * stderr)
    assert all(b > a for a, b in zip(estimates, estimates[1:]))
    assert estimates[-1] > elbo + 0.5


def test_estimate_is_chunked(trained, mnist):
    vae, _ = trained
    sizes = []
    original = type(vae).log_likelihood

    def spy(self, x, z, training=False):
        sizes.append(int(z.shape[0]))  # codes decoded in one call
        return original(self, x, z, training=training)

    type(vae).log_likelihood = spy
    try:
        out = importance_log_likelihood(vae, mnist.x_test[:7], k=5000, max_decoded=700)
    finally:
        type(vae).log_likelihood = original
    assert out.shape == (7,) and np.all(np.isfinite(out))
    assert max(sizes) <= 700 and sum(sizes) == 7 * 5000


def test_elbo_is_per_example_and_seeded(trained, mnist):
    vae, _ = trained
    a = elbo_per_example(vae, mnist.x_test[:50], seed=1)
    assert a.shape == (50,) and np.all(a < 0)
    np.testing.assert_array_equal(a, elbo_per_example(vae, mnist.x_test[:50], seed=1))


def test_bad_arguments(trained, mnist):
    vae, _ = trained
    with pytest.raises(ValueError, match="k must be a whole number >= 1"):
        importance_log_likelihood(vae, mnist.x_test[:2], k=0)
    with pytest.raises(ValueError, match="NaN or inf"):
        dataset_elbo(vae, np.full((2, 28, 28, 1), np.nan))


def test_elbo_terms_of_a_nearly_certain_posterior_are_log_p_x_given_its_mean_and_the_closed_form_kl(mnist):
    import keras
    from keras import layers, ops

    from vaebook.losses import bernoulli_log_likelihood
    from vaebook.architectures import build_mlp_decoder
    from vaebook.model import VAE

    # q(z|x) with variance exp(-30): every draw of z is the mean to within 1e-6, so the
    # expectation E_q[log p(x|z)] is log p(x|mean) for any number of samples.
    image = keras.Input((28, 28, 1))
    h = layers.Flatten()(image)
    log_var = layers.Dense(2, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(-30.0))(h)
    encoder = keras.Model(image, [layers.Dense(2)(h), log_var])
    vae = VAE(encoder, build_mlp_decoder(2, hidden=(16,)), seed=0)
    x = mnist.x_test[:6]
    mean = ops.convert_to_numpy(encoder(x)[0])
    at_mean = ops.convert_to_numpy(bernoulli_log_likelihood(x, vae.decoder(mean)))
    kl = 0.5 * np.sum(mean**2 + np.exp(-30.0) - 1.0 + 30.0, axis=1)  # KL(N(m, e^-30) || N(0, 1)), by hand
    for samples in (1, 3):
        log_lik, kl_terms = elbo_terms(vae, x, samples=samples)
        np.testing.assert_allclose(log_lik, at_mean, atol=1e-3)
        np.testing.assert_allclose(kl_terms, kl, rtol=1e-5)


def test_the_smallest_sizes_work_and_zero_is_refused(trained, mnist):
    vae, _ = trained
    x = mnist.x_test[:3]
    log_lik, kl = elbo_terms(vae, x, samples=1, batch_size=1, max_decoded=1)
    np.testing.assert_allclose(kl, elbo_terms(vae, x)[1], rtol=1e-5)  # closed form: batching does not change it
    assert log_lik.shape == (3,) and np.all(log_lik < 0)
    estimate = importance_log_likelihood(vae, x, k=1, batch_size=1, max_decoded=1)
    assert estimate.shape == (3,) and np.all(estimate < 0)
    for name in ("samples", "batch_size", "max_decoded"):
        with pytest.raises(ValueError, match=f"{name} must be a whole number >= 1"):
            elbo_terms(vae, x, **{name: 0})
    for name in ("k", "batch_size", "max_decoded"):
        with pytest.raises(ValueError, match=f"{name} must be a whole number >= 1"):
            importance_log_likelihood(vae, x, **{name: 0})


def test_linear_vae_trains_towards_exact_likelihood(mnist):
    model = build_linear_vae(latent_dim=2, seed=0, learning_rate=3e-3)
    x = mnist.x_train[:2000]
    before = model.exact_log_marginal(mnist.x_test[:200]).mean()
    model.fit(x, epochs=8, batch_size=100, verbose=0)
    after = model.exact_log_marginal(mnist.x_test[:200]).mean()
    assert after > before + 100
    assert dataset_elbo(model, mnist.x_test[:200], samples=50) < after


def test_log_likelihood_of_codes_takes_one_code_or_k_codes_per_image(trained, mnist, rng):
    from vaebook.evaluate import log_likelihood_of_codes
    from vaebook.losses import bernoulli_log_likelihood

    vae, _ = trained
    x = mnist.x_test[:4]
    z = rng.normal(size=(3, 4, 2)).astype("float32")
    per_draw = keras.ops.convert_to_numpy(log_likelihood_of_codes(vae, x, z))
    assert per_draw.shape == (3, 4)
    for i in range(3):  # (N, latent_dim): one code per image, the same numbers as draw i of (k, N, latent_dim)
        one = keras.ops.convert_to_numpy(log_likelihood_of_codes(vae, x, z[i]))
        np.testing.assert_allclose(one, per_draw[i], rtol=1e-5)
    expected = keras.ops.convert_to_numpy(bernoulli_log_likelihood(x, vae.decoder(z[2])))
    np.testing.assert_allclose(per_draw[2], expected, rtol=1e-5)


def test_log_likelihood_of_codes_refuses_codes_of_the_wrong_shape(mnist):
    import re

    from vaebook.architectures import build_vae
    from vaebook.evaluate import log_likelihood_of_codes

    vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(16,))
    x = mnist.x_test[:4]
    for shape in [(2,), (4,), (4, 3), (5, 2), (3, 5, 2), (1, 3, 4, 2)]:  # one code; wrong latent size; wrong N; 4-d
        with pytest.raises(ValueError, match=r"z must hold codes of shape \(N, 2\).*got shape " + re.escape(str(shape))):
            log_likelihood_of_codes(vae, x, np.zeros(shape, np.float32))
