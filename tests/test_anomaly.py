"""ELBO anomaly scores, the likelihood ratio, ROC AUC, and rate-distortion."""

import numpy as np
import pytest

from vaebook.anomaly import elbo_scores, roc_auc
from vaebook.evaluate import elbo_per_example, elbo_terms, rate_distortion


def test_roc_auc_extremes_and_ties():
    assert roc_auc([False, False, True, True], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc([True, True, False, False], [0.1, 0.2, 0.8, 0.9]) == 0.0
    assert roc_auc([0, 1, 0, 1], [1.0, 1.0, 1.0, 1.0]) == 0.5


@pytest.mark.parametrize(
    "labels, scores, match",
    [
        ([True, True], [1.0, 2.0], "both anomalies and normal"),
        ([0, 2, 1], [1.0, 2.0, 3.0], "booleans"),
        ([True, False], [1.0, np.nan], "NaN"),
        ([True, False, True], [1.0, 2.0], "one length"),
        ([True, False], [1.0, 2.0, 3.0], "one length"),
        (True, 0.5, "two 1-d arrays"),  # one label and one score: not a ranking
        ([[True, False]], [[1.0, 2.0]], "two 1-d arrays"),
    ],
)
def test_roc_auc_bad_inputs(labels, scores, match):
    with pytest.raises(ValueError, match=match):
        roc_auc(labels, scores)


def test_scores_are_minus_elbo_and_the_ratio_subtracts_the_reference(trained, mnist):
    vae, _ = trained
    x = mnist.x_test[:40]
    np.testing.assert_allclose(elbo_scores(vae, x, samples=3), -elbo_per_example(vae, x, samples=3))
    # The model against itself: the ratio is exactly 0 for every image (same seeds, same draws).
    np.testing.assert_allclose(elbo_scores(vae, x, reference=vae, samples=3), 0.0, atol=1e-9)


def test_likelihood_ratio_is_reference_elbo_minus_model_elbo(trained, mnist):
    from vaebook.architectures import build_vae

    vae, _ = trained
    untrained = build_vae("conv", latent_dim=2, seed=1)
    x = mnist.x_test[:40]
    model_elbo = elbo_per_example(vae, x, samples=3)
    reference_elbo = elbo_per_example(untrained, x, samples=3)
    assert np.all(model_elbo > reference_elbo)  # the trained model explains digits better
    # Scored against a worse reference, every digit gets a negative score (it looks normal).
    ratio = elbo_scores(vae, x, reference=untrained, samples=3)
    np.testing.assert_allclose(ratio, reference_elbo - model_elbo, rtol=1e-9)
    assert np.all(ratio < 0)


def test_noise_images_score_as_anomalies(trained, mnist, rng):
    vae, _ = trained
    digits = mnist.x_test[:100]
    noise = rng.random((100, 28, 28, 1)).astype(np.float32)
    scores = elbo_scores(vae, np.concatenate([digits, noise]), samples=2)
    labels = np.r_[np.zeros(100, bool), np.ones(100, bool)]
    assert roc_auc(labels, scores) > 0.99
    # roc_auc against the AUC's definition, on these scores and on scores blurred by noise (AUC < 1).
    blurred = scores + rng.normal(0, scores.std(), len(scores))
    for s in (scores, blurred):
        pairs = s[labels][:, None] - s[~labels][None, :]
        assert roc_auc(labels, s) == pytest.approx(np.mean(pairs > 0) + 0.5 * np.mean(pairs == 0))
    assert roc_auc(labels, blurred) < 0.99


def test_roc_auc_is_the_probability_that_an_anomaly_scores_higher():
    # P(anomaly score > normal score) over the 2 x 3 pairs, ties counted half: (1 + 0.5 + 0 + 1 + 1 + 0) / 6.
    assert roc_auc([True, False, False, True, False], [0.5, 0.2, 0.5, 0.9, 0.95]) == pytest.approx(3.5 / 6)


def test_rate_distortion_is_the_split_elbo(trained, mnist, rng):
    from keras import ops

    from vaebook.losses import bernoulli_log_likelihood, gaussian_kl

    vae, _ = trained
    x = mnist.x_test[:100]
    log_lik, kl = elbo_terms(vae, x, samples=4, seed=3)
    assert np.all(kl >= 0) and np.all(log_lik < 0)
    rd = rate_distortion(vae, x, samples=4, seed=3)
    assert rd["rate"] == pytest.approx(kl.mean()) and rd["distortion"] == pytest.approx(-log_lik.mean())
    elbo = elbo_per_example(vae, x, samples=4, seed=3).mean()
    assert -(rd["rate"] + rd["distortion"]) == pytest.approx(elbo)
    # Each term against its definition, computed here from the encoder and decoder directly:
    # R = mean KL(q(z|x) || p(z)); D = mean E_q[-log p(x|z)], here with 50 NumPy draws of z.
    mean, log_var = (ops.convert_to_numpy(t) for t in vae.encoder(x))
    assert rd["rate"] == pytest.approx(float(np.mean(ops.convert_to_numpy(gaussian_kl(mean, log_var)))), rel=1e-5)
    eps = rng.standard_normal((50, *mean.shape)).astype(np.float32)
    distortion = np.stack([-ops.convert_to_numpy(bernoulli_log_likelihood(x, vae.decoder(mean + np.exp(0.5 * log_var) * e))) for e in eps])
    stderr = distortion.mean(axis=1).std(ddof=1) / np.sqrt(50)
    many = rate_distortion(vae, x, samples=200, seed=4)["distortion"]
    assert many == pytest.approx(distortion.mean(), abs=5 * stderr + 0.1)


def test_rate_distortion_gives_per_image_values_and_standard_errors_over_the_images(trained, mnist):
    from vaebook.evaluate import mean_and_error

    vae, _ = trained
    x = mnist.x_test[:100]
    log_lik, kl = elbo_terms(vae, x, samples=4, seed=3)
    rd = rate_distortion(vae, x, samples=4, seed=3)
    np.testing.assert_allclose(rd["rates"], kl)
    np.testing.assert_allclose(rd["distortions"], -log_lik)
    assert rd["rate_se"] == pytest.approx(kl.std(ddof=1) / 10) and rd["distortion_se"] == pytest.approx(log_lik.std(ddof=1) / 10)
    mean, se = mean_and_error([1.0, 3.0, 5.0, 7.0])  # std (ddof 1) sqrt(20 / 3), over sqrt(4)
    assert mean == 4.0 and se == pytest.approx(np.sqrt(20 / 3) / 2)
    with pytest.raises(ValueError, match="a standard error needs at least two values"):
        mean_and_error([1.0])


def test_higher_beta_buys_lower_rate_for_more_distortion(mnist):
    from vaebook.architectures import build_vae

    x = mnist.x_train[:1000]
    points = {}
    for beta in (0.5, 8.0):
        vae = build_vae("mlp", latent_dim=2, beta=beta, seed=0, hidden=(128,))
        vae.fit(x, epochs=4, batch_size=100, verbose=0)
        points[beta] = rate_distortion(vae, mnist.x_test[:300])
    assert points[8.0]["rate"] < points[0.5]["rate"]
    assert points[8.0]["distortion"] > points[0.5]["distortion"]


def test_uncertain_pixel_fraction_measures_hedging():
    from vaebook.evaluate import uncertain_pixel_fraction

    sharp = np.zeros((2, 28, 28, 1), np.float32)
    sharp[:, 10:20] = 1.0
    hedged = np.full((2, 28, 28, 1), 0.5, np.float32)
    assert uncertain_pixel_fraction(sharp) == 0.0
    assert uncertain_pixel_fraction(hedged) == 1.0
    assert uncertain_pixel_fraction(np.concatenate([sharp, hedged])) == 0.5
    with pytest.raises(ValueError, match="low < high"):
        uncertain_pixel_fraction(sharp, low=0.9, high=0.1)


def test_rate_distortion_plot_and_roc_curves():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vaebook.plotting import plot_rate_distortion, plot_roc_curves

    ax = plot_rate_distortion([{"rate": 8.0, "distortion": 150.0}, {"rate": 3.0, "distortion": 170.0}], [1, 4])
    np.testing.assert_allclose(ax.lines[0].get_xydata(), [[8, 150], [3, 170]])
    assert [t.get_text() for t in ax.texts] == ["$\\beta$ = 1", "$\\beta$ = 4", "$D + R$ = 160", "$D + R$ = 170"]
    assert not ax.collections  # no standard errors given, no error bars
    ax = plot_rate_distortion([{"rate": 8.0, "distortion": 150.0, "rate_se": 0.5, "distortion_se": 2.0},
                               {"rate": 3.0, "distortion": 170.0, "rate_se": 0.2, "distortion_se": 1.0}], [1, 4])
    bars = [np.asarray(c.get_segments()) for c in ax.collections]  # x bars, then y bars
    np.testing.assert_allclose(bars[0][:, :, 0], [[7.5, 8.5], [2.8, 3.2]])
    np.testing.assert_allclose(bars[1][:, :, 1], [[148, 152], [169, 171]])
    _, ax = plt.subplots()
    plot_roc_curves({"perfect": ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])}, ax)
    assert ax.get_legend().get_texts()[0].get_text() == "perfect (AUC 1.00)"
    plt.close("all")


def test_elbo_terms_decode_in_bounded_chunks(trained, mnist, monkeypatch):
    vae, _ = trained
    x = mnist.x_test[:20]
    sizes = []
    original = vae.log_likelihood
    monkeypatch.setattr(vae, "log_likelihood", lambda xb, z, training=False: sizes.append(z.shape[0]) or original(xb, z, training))
    chunked, _ = elbo_terms(vae, x, samples=50, max_decoded=100)
    assert max(sizes) <= 100 and sum(sizes) == 50 * 20
    sizes.clear()
    one_at_a_time, _ = elbo_terms(vae, x[:3], samples=2, max_decoded=1)  # the smallest chunk allowed
    assert sizes == [3] * 2 and np.all(np.isfinite(one_at_a_time))  # chunks hold one z per image
    sizes.clear()
    elbo_terms(vae, x[:3], samples=5, max_decoded=6)  # 5 draws in chunks of 2: the last chunk holds 1
    assert sizes == [6, 6, 3]
    monkeypatch.undo()
    whole, _ = elbo_terms(vae, x, samples=50, max_decoded=10_000)
    assert chunked.mean() == pytest.approx(whole.mean(), rel=0.01)  # the same expectation, other draws
