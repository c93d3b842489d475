"""Reading digits (k-NN on latent codes and on pixels) and the ELBO with its Monte Carlo error."""

import numpy as np
import keras
import keras
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
    from vaebook.architectures import build_vae

    vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(16,))
    x = mnist.x_test[:50]
    estimates = [dataset_elbo(vae, x, samples=3, seed=s) for s in range(4)]
    mean, stderr = dataset_elbo_with_error(vae, x, batches=4, samples=3)
    assert mean == pytest.approx(np.mean(estimates))
    assert stderr == pytest.approx(np.std(estimates, ddof=1) / 2) and stderr > 0
    with pytest.raises(ValueError, match="batches must be a whole number >= 2"):
        dataset_elbo_with_error(vae, x, batches=1)
    mean, stderr = dataset_elbo_with_error(vae, x, batches=2, samples=1)  # the smallest sizes work
    assert np.isfinite(mean) and stderr > 0


def test_sample_digit_shares_reads_the_decoded_prior_samples():
    from vaebook.evaluate import sample_digit_shares
    from vaebook.latent import prior_samples

    class SignDecoder:  # a VAE whose decoder turns on the first pixel where z[0] > 0.5, and no other pixel
        decoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(784), keras.layers.Reshape((28, 28, 1))])
        kernel, bias = np.zeros((2, 784), np.float32), np.full(784, -100.0, np.float32)
        kernel[0, 0], bias[0] = 100.0, -50.0  # logit 100 * (z[0] - 0.5)
        decoder.layers[0].set_weights([kernel, bias])

    def read(images):  # reads a 3 where z[0] > 0.5, a 7 elsewhere
        return np.where(images[:, 0, 0, 0] > 0.5, 3, 7)

    for samples, seed in ((300, 0), (1000, 5)):
        z = prior_samples(samples, latent_dim=2, seed=seed)
        shares = sample_digit_shares(SignDecoder(), read, samples=samples, seed=seed)
        assert shares.shape == (10,) and shares.sum() == pytest.approx(1.0)
        assert shares[3] == pytest.approx(np.mean(z[:, 0] > 0.5)) and shares[7] == pytest.approx(np.mean(z[:, 0] <= 0.5))
    with pytest.raises(ValueError, match="samples must be a whole number >= 1"):
        sample_digit_shares(SignDecoder(), read, samples=0)


def test_shape_reader_is_blind_to_how_dark_a_digit_is(mnist):
    from vaebook.evaluate import shape_reader

    read = shape_reader(mnist.x_train, mnist.y_train)
    x = mnist.x_test[:300]
    shown = read(x)
    assert np.mean(shown == mnist.y_test[:300]) > 0.9  # real digits are read right
    for faintness in (0.5, 0.2):  # the same digit with less ink reads as the same digit
        np.testing.assert_array_equal(read(faintness * x), shown)


def test_shape_reader_reads_blurred_digits_better_than_the_pixel_reader(mnist):
    from vaebook.data import blur
    from vaebook.evaluate import digit_reader, reading_errors, shape_reader

    x, y = blur(mnist.x_test[:400], 1.5), mnist.y_test[:400]
    by_shape = reading_errors(shape_reader(mnist.x_train, mnist.y_train)(x), y)
    by_pixels = reading_errors(digit_reader(mnist.x_train, mnist.y_train)(x), y)
    assert by_shape["accuracy"] > 0.9 and by_shape["accuracy"] > by_pixels["accuracy"]
    # The pixel reader's errors on blurred digits go mostly to 1, the digit with least ink; the shape reader's do not.
    assert by_pixels["read_as"][1] > by_pixels["errors"] / 3 and by_shape["read_as"][1] < by_shape["errors"] / 5
    with pytest.raises(ValueError, match="k must be a whole number >= 1"):
        shape_reader(mnist.x_train, mnist.y_train, k=0)


def test_reading_errors_counts_what_the_errors_were_read_as():
    from vaebook.evaluate import reading_errors

    e = reading_errors([1, 1, 2, 3, 7, 7], [1, 4, 2, 9, 7, 0])
    assert e["accuracy"] == pytest.approx(0.5) and e["errors"] == 3
    np.testing.assert_array_equal(e["read_as"], [0, 1, 0, 1, 0, 0, 0, 1, 0, 0])
    with pytest.raises(ValueError, match="the digits read have shape"):
        reading_errors([1, 2], [1, 2, 3])
