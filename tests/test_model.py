import numpy as np
import keras
import pytest
import tensorflow as tf

from vaebook.model import (
    VAE,
    Sampling,
    build_conv_decoder,
    build_conv_encoder,
    build_mlp_decoder,
    build_mlp_encoder,
    build_vae,
    load_vae,
)


def test_sampling_draws_from_q_and_passes_gradients():
    layer = Sampling(seed=1)
    mean = tf.Variable(np.full((100_000, 2), [1.0, -2.0], np.float32))
    log_var = tf.Variable(np.full((100_000, 2), [0.0, np.log(4.0)], np.float32))
    with tf.GradientTape() as tape:
        z = layer(mean, log_var)
        total = tf.reduce_sum(z)
    z = z.numpy()
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(z.std(axis=0), [1.0, 2.0], rtol=0.02)
    g_mean, g_log_var = tape.gradient(total, [mean, log_var])
    np.testing.assert_allclose(g_mean.numpy(), 1.0)
    assert np.abs(g_log_var.numpy()).sum() > 0


def test_sampling_seed_is_reproducible_and_serializable():
    m, lv = np.zeros((3, 2), np.float32), np.zeros((3, 2), np.float32)
    a = Sampling(seed=7)(m, lv)
    b = Sampling.from_config(Sampling(seed=7).get_config())(m, lv)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(Sampling(seed=8)(m, lv)))
    assert keras.saving.get_registered_object("vaebook>Sampling") is Sampling


@pytest.mark.parametrize("builders", [(build_conv_encoder, build_conv_decoder), (build_mlp_encoder, build_mlp_decoder)])
@pytest.mark.parametrize("latent_dim", [1, 2, 7])
def test_encoder_and_decoder_shapes(builders, latent_dim):
    encoder, decoder = (b(latent_dim) for b in builders)
    mean, log_var = encoder(np.zeros((3, 28, 28, 1), np.float32))
    assert mean.shape == (3, latent_dim) and log_var.shape == (3, latent_dim)
    assert decoder(np.zeros((3, latent_dim), np.float32)).shape == (3, 28, 28, 1)


def test_conv_architecture_is_the_series_model():
    encoder, decoder = build_conv_encoder(2), build_conv_decoder(2)
    assert [type(l).__name__ for l in encoder.layers[1:]] == ["Conv2D", "Conv2D", "Flatten", "Dense", "Dense", "Dense"]
    assert [l.filters for l in encoder.layers if isinstance(l, keras.layers.Conv2D)] == [32, 64]
    assert [type(l).__name__ for l in decoder.layers[1:]] == ["Dense", "Reshape"] + ["Conv2DTranspose"] * 3
    assert decoder.layers[-1].activation.__name__ == "linear"  # logits, not probabilities
    assert encoder.count_params() == 69076 and decoder.count_params() == 65089


@pytest.mark.parametrize("bad", [0, -1, 2.5, "2", True])
def test_latent_dim_must_be_positive_integer(bad):
    with pytest.raises(ValueError, match="latent_dim must be a whole number >= 1"):
        build_vae(latent_dim=bad)


def test_unknown_architecture_and_bad_beta():
    with pytest.raises(ValueError, match="Unknown architecture 'resnet'"):
        build_vae("resnet")
    with pytest.raises(ValueError, match="beta must be"):
        build_vae(beta=-1.0)


def test_mismatched_encoder_and_decoder():
    with pytest.raises(ValueError, match="same latent_dim"):
        VAE(build_conv_encoder(2), build_conv_decoder(3))


def test_call_gives_logits_and_decode_gives_probabilities(trained, mnist):
    vae, _ = trained
    logits = np.asarray(vae(mnist.x_test[:10]))
    assert logits.shape == (10, 28, 28, 1) and (logits.min() < 0 or logits.max() > 1)
    probs = vae.reconstruct(mnist.x_test[:10])
    assert probs.min() >= 0 and probs.max() <= 1
    mean, _ = vae.encode(mnist.x_test[:10])
    np.testing.assert_allclose(probs, vae.decode(mean), atol=1e-6)


def test_training_lowers_validation_loss_and_tracks_terms(trained):
    _, history = trained
    assert set(history) == {"loss", "reconstruction_loss", "kl_loss", "val_loss", "val_reconstruction_loss", "val_kl_loss"}
    assert history["val_loss"][-1] < history["val_loss"][0] - 20
    # Sum over pixels: a per-image BCE of a few hundred nats, not a per-pixel mean below 1.
    assert 100 < history["val_reconstruction_loss"][-1] < 300
    assert all(kl >= 0 for kl in history["kl_loss"] + history["val_kl_loss"])
    for r, k, t in zip(history["val_reconstruction_loss"], history["val_kl_loss"], history["val_loss"]):
        assert t == pytest.approx(r + k, rel=1e-4)


def test_beta_weights_the_kl_term(mnist):
    vae = build_vae("mlp", latent_dim=2, beta=0.25, seed=0, hidden=(64,))
    h = vae.fit(mnist.x_train[:512], epochs=1, batch_size=128, validation_data=mnist.x_test[:256], verbose=0).history
    assert h["val_loss"][0] == pytest.approx(h["val_reconstruction_loss"][0] + 0.25 * h["val_kl_loss"][0], rel=1e-4)


def _short_run(mnist, seed):
    vae = build_vae("conv", latent_dim=2, seed=seed)
    return vae.fit(mnist.x_train[:768], epochs=2, batch_size=128, validation_data=mnist.x_test[:256], verbose=0).history


def test_same_seed_same_losses(mnist):
    a, b, c = _short_run(mnist, 3), _short_run(mnist, 3), _short_run(mnist, 4)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5)
    assert not np.allclose(a["loss"], c["loss"], rtol=1e-3)


def test_keras_file_round_trip_gives_identical_outputs(trained, mnist, tmp_path):
    vae, _ = trained
    path = tmp_path / "vae.keras"
    vae.save(path)
    loaded = load_vae(path)
    assert isinstance(loaded, VAE) and loaded.latent_dim == 2 and loaded.beta == vae.beta
    x = mnist.x_test[:20]
    for a, b in zip(vae.encode(x), loaded.encode(x)):
        np.testing.assert_array_equal(a, b)
    z = np.random.default_rng(0).normal(size=(20, 2))
    np.testing.assert_array_equal(vae.decode(z), loaded.decode(z))
    # The optimizer state comes back too, so training can resume.
    assert int(loaded.optimizer.iterations.numpy()) == int(vae.optimizer.iterations.numpy())
    loaded.fit(x, epochs=1, verbose=0)


def test_weights_for_another_latent_size_are_refused(tmp_path, trained):
    vae, _ = trained
    path = tmp_path / "z2.weights.h5"
    vae.save_weights(path)
    other = build_vae("conv", latent_dim=3, seed=0)
    with pytest.raises(ValueError, match=r"do not fit this VAE \(latent_dim=3\)\. Build the model .* same architecture and latent_dim"):
        other.load_weights(path)
    same = build_vae("conv", latent_dim=2, seed=5)
    same.load_weights(path)
    z = np.random.default_rng(1).normal(size=(5, 2))
    np.testing.assert_array_equal(same.decode(z), vae.decode(z))


def test_corrupt_or_foreign_model_file(tmp_path):
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="corrupt or not a .keras model; delete it"):
        load_vae(bad)


@pytest.mark.parametrize(
    "x, message",
    [
        (np.zeros((8, 32, 32, 1), np.float32), r"training images have shape \(8, 32, 32, 1\)"),
        (np.full((8, 28, 28, 1), 255.0, np.float32), "divide by 255"),
        (np.full((8, 28, 28, 1), np.nan, np.float32), "NaN or inf"),
    ],
)
def test_fit_rejects_bad_images_clearly(x, message):
    vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(8,))
    with pytest.raises(ValueError, match=message):
        vae.fit(x, epochs=1, verbose=0)


def test_validation_and_decode_inputs_are_checked(trained, mnist):
    vae, _ = trained
    with pytest.raises(ValueError, match="validation images have values"):
        vae.fit(mnist.x_train[:8], epochs=1, validation_data=mnist.x_test[:8] * 255, verbose=0)
    with pytest.raises(ValueError, match=r"this model expects \(N, 2\)"):
        vae.decode(np.zeros((4, 3)))


def test_dynamic_binarization_resamples_each_batch(mnist):
    vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(8,), dynamic_binarization=True)
    x = mnist.x_train[:200]
    a, b = np.asarray(vae.binarize_batch(x)), np.asarray(vae.binarize_batch(x))
    assert set(np.unique(a)) == {0.0, 1.0}
    assert not np.array_equal(a, b)
    assert abs(a.mean() - x.mean()) < 0.01
    assert vae.fit(x, epochs=1, verbose=0).history["loss"][0] > 0


def test_steps_per_execution_does_not_change_training(mnist):
    def weights(spe):
        vae = build_vae("mlp", latent_dim=2, seed=2, hidden=(32,), steps_per_execution=spe)
        vae.fit(mnist.x_train[:640], epochs=2, batch_size=128, verbose=0)
        return np.concatenate([np.ravel(v) for v in vae.get_weights()])

    np.testing.assert_array_equal(weights(1), weights(8))
