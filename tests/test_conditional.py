"""The conditional VAE: the label reaches both networks, the loss, the evaluation and the file."""

import dataclasses

import keras
import numpy as np
import pytest

from vaebook.codes import decode, encode
from vaebook.data import check_labels
from vaebook.evaluate import elbo_terms, importance_log_likelihood
from vaebook.architectures import build_vae, load_vae, make_vae
from vaebook.conditional import ConditionalVAE, build_conditional_encoder
from vaebook.model import build_conv_decoder
from vaebook.training import TrainConfig, evaluate, fit, train


@pytest.fixture(scope="module")
def cvae(mnist):
    """The conditional VAE after one epoch on 2,000 of the bundled digits with their labels."""
    model = build_vae("conv", latent_dim=2, seed=0, num_classes=10)
    model.fit((mnist.x_train[:2000], mnist.y_train[:2000]), epochs=1, batch_size=64, verbose=0)
    return model


def test_both_networks_take_the_one_hot_label(mnist):
    model = build_vae("conv", latent_dim=2, seed=0, num_classes=10)
    assert isinstance(model, ConditionalVAE) and model.num_classes == 10 and model.name == "conv_cvae"
    images = decode(model, np.zeros((10, 2), np.float32), labels=np.arange(10))
    assert np.abs(images[1:] - images[:1]).max() > 1e-3, "the same z under other labels must decode differently"
    means, _ = encode(model, np.repeat(mnist.x_test[:1], 10, axis=0), labels=np.arange(10))
    assert np.abs(means[1:] - means[:1]).max() > 1e-4, "the same image under other labels must encode differently"
    assert not hasattr(build_vae("conv", seed=0), "num_classes")


def test_training_step_uses_the_labels_it_is_given(mnist):
    x, y = mnist.x_train[:64], mnist.y_train[:64]
    after = []
    for labels in (y, (y + 1) % 10):
        model = build_vae("conv", latent_dim=2, seed=0, num_classes=10, steps_per_execution=1)
        model.fit((x, labels), epochs=1, batch_size=64, shuffle=False, verbose=0)
        after.append(model.get_weights())
    assert any(not np.allclose(a, b) for a, b in zip(*after)), "the labels did not change the training step"


def test_validation_loss_uses_the_validation_labels(cvae, mnist):
    x, y = mnist.x_test[:200], mnist.y_test[:200]
    right = cvae.evaluate((x, y), verbose=0, return_dict=True)
    wrong = cvae.evaluate((x, (y + 5) % 10), verbose=0, return_dict=True)
    checked = evaluate(cvae, x, y, verbose=0, return_dict=True)  # the same images and labels, other draws of z
    assert checked["kl_loss"] == pytest.approx(right["kl_loss"], rel=1e-5)
    assert right["loss"] == pytest.approx(right["reconstruction_loss"] + right["kl_loss"], rel=1e-4)
    assert right["loss"] < wrong["loss"], "the true labels must explain the digits better than wrong ones"


def test_evaluation_slices_the_labels_with_the_images(cvae, mnist):
    x, y = mnist.x_test[:10], mnist.y_test[:10]
    _, kl_one_batch = elbo_terms(cvae, x, labels=y, batch_size=10)
    _, kl_batches = elbo_terms(cvae, x, labels=y, batch_size=3)
    np.testing.assert_allclose(kl_batches, kl_one_batch, rtol=1e-5)
    _, kl_each = zip(*(elbo_terms(cvae, x[i : i + 1], labels=y[i : i + 1]) for i in range(10)))
    np.testing.assert_allclose(np.concatenate(kl_each), kl_one_batch, rtol=1e-5)
    _, kl_other = elbo_terms(cvae, x, labels=(y + 1) % 10)
    assert not np.allclose(kl_other, kl_one_batch)


def test_importance_estimate_given_labels_bounds_the_elbo(cvae, mnist):
    x, y = mnist.x_test[:8], mnist.y_test[:8]
    log_lik, kl = elbo_terms(cvae, x, labels=y, samples=200)
    estimate = importance_log_likelihood(cvae, x, k=200, labels=y)
    assert np.all(estimate >= log_lik - kl - 0.5)
    assert np.mean(estimate) > np.mean(importance_log_likelihood(cvae, x, k=200, labels=(y + 5) % 10))


def test_conditional_file_round_trip(cvae, mnist, tmp_path):
    cvae.save(tmp_path / "cvae.keras")
    loaded = load_vae(tmp_path / "cvae.keras")
    assert isinstance(loaded, ConditionalVAE) and loaded.num_classes == 10
    z, labels = np.random.default_rng(0).standard_normal((5, 2)), np.arange(5)
    np.testing.assert_array_equal(decode(loaded, z, labels=labels), decode(cvae, z, labels=labels))


def test_recipe_trains_a_conditional_model_on_the_labels(mnist):
    small = dataclasses.replace(mnist, x_train=mnist.x_train[:300], y_train=mnist.y_train[:300], x_test=mnist.x_test[:100],
                                y_test=mnist.y_test[:100])
    config = TrainConfig(arch="conv", conditional=True, epochs=2, warmup_epochs=1)
    vae, history = train(config, small, verbose=0)
    assert vae.num_classes == 10 and len(history["val_loss"]) == 2
    assert "conditional VAE" in config.describe()
    assert not hasattr(train(dataclasses.replace(config, conditional=False), small, verbose=0)[0], "num_classes")
    with pytest.raises(ValueError, match="conditional VAE is built on the conv networks"):
        TrainConfig(arch="mlp", conditional=True)


def test_labels_are_checked_with_clear_errors(cvae, mnist):
    z = np.zeros((3, 2))
    with pytest.raises(ValueError, match="conditional VAE: pass the digit labels too, integers 0-9,"):
        decode(cvae, z)
    with pytest.raises(ValueError, match=r"fit\(\(x, labels\)"):
        fit(cvae, mnist.x_train[:10], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="conditional VAE: pass the digit labels"):
        fit(cvae, mnist.x_train[:10], mnist.y_train[:10], validation_data=mnist.x_test[:10], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="not conditional, so it takes no labels"):
        fit(build_vae("mlp", hidden=(8,)), mnist.x_train[:10], mnist.y_train[:10], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="not conditional, so it takes no labels"):
        decode(build_vae("mlp", hidden=(8,)), z, labels=[1, 2, 3])
    with pytest.raises(ValueError, match="digits from 0 to 9, got values from 1 to 12"):
        decode(cvae, z, labels=[1, 2, 12])
    with pytest.raises(ValueError, match=r"shape \(2,\); expected \(3,\).*np.full\(3, d\)"):
        decode(cvae, z, labels=[1, 2])
    with pytest.raises(ValueError, match="one-hot encoded.*argmax"):
        encode(cvae, mnist.x_test[:3], labels=np.eye(10)[:3])
    with pytest.raises(ValueError, match="whole numbers"):
        check_labels([0.5, 1.0], 2)
    with pytest.raises(ValueError, match="same num_classes"):
        make_vae(build_conditional_encoder(2, 10), build_conv_decoder(2))
    assert check_labels(np.float32(3), 1).tolist() == [3]


def test_shipped_conditional_model_draws_the_digit_asked_for(mnist):
    """Notebook 06's claim: decoded prior samples under label d look like a d to a pixel reader."""
    from vaebook import pretrained
    from vaebook.evaluate import digit_reader
    from vaebook.latent import prior_samples

    cvae = pretrained.load("cvae")
    read = digit_reader(mnist.x_train, mnist.y_train)
    z = prior_samples(100, 2, seed=1)
    shares = []
    for digit in range(10):
        shown = read(decode(cvae, z, labels=np.full(100, digit)))
        shares.append(np.mean(shown == digit))
        assert shares[-1] >= 0.6, f"samples asked to be {digit} read as {np.bincount(shown, minlength=10)}"
    assert np.mean(shares) >= 0.8
    means, _ = encode(cvae, mnist.x_test, labels=mnist.y_test)
    assert np.all(means.std(axis=0) >= 0.5), "both latent dimensions are in use"
    keras.utils.clear_session()


def test_decode_under_every_label_is_row_major_by_code(cvae):
    from vaebook.conditional import decode_under_every_label

    z = np.array([[0.5, -1.0], [-2.0, 0.3]], np.float32)
    images = decode_under_every_label(cvae, z)
    assert images.shape == (20, 28, 28, 1)
    for i in range(2):
        np.testing.assert_allclose(images[10 * i : 10 * i + 10], decode(cvae, np.repeat(z[i : i + 1], 10, axis=0), labels=np.arange(10)),
                                   atol=1e-6)
    with pytest.raises(ValueError, match="needs a conditional VAE"):
        decode_under_every_label(build_vae("mlp", hidden=(8,)), z)


def test_scores_under_every_label_and_the_label_free_bound(cvae, mnist):
    from vaebook.conditional import label_free_bound, log_likelihood_under_every_label

    x = mnist.x_test[:6]
    log_liks = log_likelihood_under_every_label(cvae, x, k=3)
    assert log_liks.shape == (6, 10)
    for y in (0, 4, 9):
        np.testing.assert_allclose(log_liks[:, y], importance_log_likelihood(cvae, x, k=3, labels=np.full(6, y)), rtol=1e-6)
    bound = label_free_bound(log_liks)
    np.testing.assert_allclose(bound, np.log(np.mean(np.exp(log_liks), axis=1)), rtol=1e-9)
    assert np.all(bound <= log_liks.max(axis=1)) and np.all(bound >= log_liks.max(axis=1) - np.log(10) - 1e-9)
    np.testing.assert_allclose(label_free_bound(np.full((2, 4), -1500.0)), -1500.0)  # no underflow
    with pytest.raises(ValueError, match=r"expected \(N, K\)"):
        label_free_bound(log_liks[0])


def test_a_dataset_without_labels_gets_the_clear_error(cvae, mnist):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("a tf.data dataset is a TensorFlow-backend input")
    import tensorflow as tf

    x, y = mnist.x_train[:64], mnist.y_train[:64]
    for images_only in (x, (x,), (x, y)):  # batches of x, of 1-tuples (x,), and (x, y) read as images and targets
        with pytest.raises(ValueError, match=r"pairs \(images, labels\).*fit\(\(x, labels\)\)"):
            fit(cvae, tf.data.Dataset.from_tensor_slices(images_only).batch(32), epochs=1, shuffle=False, verbose=0)
    fit(cvae, tf.data.Dataset.from_tensor_slices(((x, y),)).batch(32), epochs=1, shuffle=False, verbose=0)  # trains


def test_log_likelihood_gives_the_decoder_the_label(cvae, mnist):
    """log p(x|z, y): the decoder is given the one-hot label with the code, so another label changes it."""
    from vaebook.losses import bernoulli_log_likelihood

    x, y = mnist.x_test[:8], mnist.y_test[:8]
    z = np.random.default_rng(0).standard_normal((8, 2)).astype("float32")
    ours = keras.ops.convert_to_numpy(cvae.log_likelihood((x, y), z))
    logits = cvae.decoder([keras.ops.convert_to_tensor(z), keras.ops.one_hot(y, 10)])
    np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(bernoulli_log_likelihood(x, logits)), rtol=1e-5)
    other = keras.ops.convert_to_numpy(cvae.log_likelihood((x, (y + 3) % 10), z))
    assert np.all(np.abs(other - ours) > 1e-3), "the label did not reach the decoder"
