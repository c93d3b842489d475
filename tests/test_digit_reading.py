"""Reading digits (k-NN on latent codes and on pixels) and the ELBO with its Monte Carlo error."""

import numpy as np
import pytest


def test_code_knn_accuracy_and_digit_reader(mnist):
    from vaebook.evaluate import code_knn_accuracy, digit_reader

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 50)
    separated = np.c_[labels * 10.0, np.zeros(200)] + rng.normal(size=(200, 2))
    mixed = rng.normal(size=(200, 2))
    assert code_knn_accuracy(separated, labels, separated, labels) == 1.0
    assert code_knn_accuracy(mixed[:100], labels[:100], mixed[100:], labels[100:]) < 0.5
    read = digit_reader(mnist.x_train, mnist.y_train)
    assert np.mean(read(mnist.x_test[:200]) == mnist.y_test[:200]) > 0.85  # real digits are read right
    with pytest.raises(ValueError, match="k must be a whole number >= 1"):
        digit_reader(mnist.x_train, mnist.y_train, k=0)


def test_elbo_with_error_is_the_mean_of_independent_estimates_and_their_standard_error(mnist):
    from vaebook.evaluate import dataset_elbo, dataset_elbo_with_error
    from vaebook.model import build_vae

    vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(16,))
    x = mnist.x_test[:50]
    estimates = [dataset_elbo(vae, x, samples=3, seed=s) for s in range(4)]
    mean, stderr = dataset_elbo_with_error(vae, x, batches=4, samples=3)
    assert mean == pytest.approx(np.mean(estimates))
    assert stderr == pytest.approx(np.std(estimates, ddof=1) / 2) and stderr > 0
    with pytest.raises(ValueError, match="batches must be a whole number >= 2"):
        dataset_elbo_with_error(vae, x, batches=1)
