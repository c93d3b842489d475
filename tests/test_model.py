import re
import warnings

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


def test_reported_validation_loss_is_reconstruction_plus_beta_kl(mnist):
    vae = build_vae("mlp", latent_dim=2, beta=0.25, seed=0, hidden=(64,))
    h = vae.fit(mnist.x_train[:512], epochs=1, batch_size=128, validation_data=mnist.x_test[:256], verbose=0).history
    assert h["val_loss"][0] == pytest.approx(h["val_reconstruction_loss"][0] + 0.25 * h["val_kl_loss"][0], rel=1e-4)


def _twin_vaes(**kwargs):
    """Two VAEs with identical weights and identical noise generators, compiled with SGD(1)."""
    vaes = [build_vae("mlp", latent_dim=2, seed=0, hidden=(16,), **kwargs) for _ in range(2)]
    for vae in vaes:
        vae.compile(optimizer=keras.optimizers.SGD(1.0))
    return vaes


def test_beta_weights_the_kl_term_in_the_gradient(mnist):
    # train_step must descend mean_batch(reconstruction) + kl_weight * mean_batch(KL); with SGD(1)
    # one step moves each weight by exactly minus that gradient.
    x = mnist.x_train[:64]
    stepped, twin = _twin_vaes(beta=4.0)
    stepped.kl_weight.assign(2.5)  # e.g. during a warm-up: the step uses kl_weight, not beta
    with tf.GradientTape() as tape:
        reconstruction, kl = twin.loss_terms(x, training=True)
        loss = keras.ops.mean(reconstruction) + 2.5 * keras.ops.mean(kl)
    grads = tape.gradient(loss, twin.trainable_weights)
    before = [keras.ops.convert_to_numpy(w) for w in stepped.trainable_weights]
    logs = stepped.train_step(x)
    assert float(logs["loss"]) == pytest.approx(float(loss), rel=1e-6)
    for w0, g, w1 in zip(before, grads, stepped.trainable_weights):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(w1), w0 - keras.ops.convert_to_numpy(g), rtol=1e-5, atol=1e-6)
    # The KL term moves the encoder: with another weight the step differs.
    other, _ = _twin_vaes(beta=4.0)
    other.kl_weight.assign(0.0)
    other.train_step(x)
    encoder_change = [np.abs(keras.ops.convert_to_numpy(a) - keras.ops.convert_to_numpy(b)).max()
                      for a, b in zip(other.encoder.trainable_weights, stepped.encoder.trainable_weights)]
    assert max(encoder_change) > 1e-3


class _Recorder(keras.layers.Layer):
    """Identity layer that records, when run eagerly, the images the encoder sees and the training flag."""

    seen = []

    def call(self, x, training=None):
        if tf.executing_eagerly():
            _Recorder.seen.append((bool(training), keras.ops.convert_to_numpy(x)))
        return x


def _seen_by_encoder(dynamic_binarization):
    """Fit one epoch on grey images (every pixel 0.5) and return the encoder's inputs: (training, validation)."""
    inputs = keras.Input(shape=(28, 28, 1))
    encoder = keras.Model(inputs, build_mlp_encoder(2, hidden=(16,))(_Recorder()(inputs)))
    vae = VAE(encoder, build_mlp_decoder(2, hidden=(16,)), dynamic_binarization=dynamic_binarization, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)
    grey = np.full((64, 28, 28, 1), 0.5, np.float32)
    _Recorder.seen = []
    vae.fit(grey, epochs=1, batch_size=32, validation_data=grey[:32], verbose=0)
    training = [x for t, x in _Recorder.seen if t]
    validation = [x for t, x in _Recorder.seen if not t]
    return training, validation


def test_training_binarizes_dynamically_and_validation_runs_in_inference_mode():
    training, validation = _seen_by_encoder(dynamic_binarization=True)
    assert len(training) == 2, "two training batches, each seen in training mode"
    for x in training:
        assert set(np.unique(x)) == {0.0, 1.0}, "training batches are resampled as x ~ Bernoulli(x)"
        assert abs(x.mean() - 0.5) < 0.05
    assert not np.array_equal(training[0], training[1])
    assert len(validation) == 1, "test_step runs the encoder in inference mode (training=False)"
    np.testing.assert_array_equal(validation[0], 0.5)  # validation images are never resampled
    training, validation = _seen_by_encoder(dynamic_binarization=False)
    assert len(training) == 2 and all(np.all(x == 0.5) for x in training)


def test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode(mnist):
    from vaebook.evaluate import elbo_terms, importance_log_likelihood

    image, code = keras.Input(shape=(28, 28, 1)), keras.Input(shape=(2,))
    encoder = keras.Model(image, build_mlp_encoder(2, hidden=(16,))(_Recorder()(image)))
    decoder = keras.Model(code, build_mlp_decoder(2, hidden=(16,))(_Recorder()(code)))
    vae = VAE(encoder, decoder, seed=0)
    x = mnist.x_test[:4]
    _Recorder.seen = []
    vae(x)
    vae.reconstruct(x)
    vae.log_likelihood_of_codes(x, np.zeros((4, 2), np.float32))  # one code per image
    vae.log_likelihood_of_codes(x, np.zeros((3, 4, 2), np.float32))  # k codes per image
    elbo_terms(vae, x, samples=2)
    importance_log_likelihood(vae, x, k=3)
    flags = [training for training, _ in _Recorder.seen]
    assert len(flags) >= 10 and not any(flags), flags  # 10 encoder and decoder calls above


def test_log_likelihood_of_codes_takes_one_code_or_k_codes_per_image(trained, mnist, rng):
    from vaebook.losses import bernoulli_log_likelihood

    vae, _ = trained
    x = mnist.x_test[:4]
    z = rng.normal(size=(3, 4, 2)).astype("float32")
    per_draw = keras.ops.convert_to_numpy(vae.log_likelihood_of_codes(x, z))
    assert per_draw.shape == (3, 4)
    for i in range(3):  # (N, latent_dim): one code per image, the same numbers as draw i of (k, N, latent_dim)
        one = keras.ops.convert_to_numpy(vae.log_likelihood_of_codes(x, z[i]))
        np.testing.assert_allclose(one, per_draw[i], rtol=1e-5)
    expected = keras.ops.convert_to_numpy(bernoulli_log_likelihood(x, vae.decoder(z[0])))
    np.testing.assert_allclose(per_draw[0], expected, rtol=1e-5)


def test_log_likelihood_of_codes_refuses_codes_of_the_wrong_shape(mnist):
    vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(16,))
    x = mnist.x_test[:4]
    for shape in [(2,), (4,), (4, 3), (5, 2), (3, 5, 2), (1, 3, 4, 2)]:  # one code; wrong latent size; wrong N; 4-d
        with pytest.raises(ValueError, match=r"z must hold codes of shape \(N, 2\).*got shape " + re.escape(str(shape))):
            vae.log_likelihood_of_codes(x, np.zeros(shape, np.float32))


def test_a_plain_vae_reads_the_images_of_an_x_y_batch_and_ignores_the_rest(mnist):
    x = mnist.x_test[:64]
    losses = []
    for batch in ((x,), (x, np.zeros_like(x))):  # evaluate(x) and evaluate(x, y): the same images
        vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(16,))
        losses.append(vae.evaluate(*batch, batch_size=32, verbose=0, return_dict=True)["loss"])
    assert losses[1] == pytest.approx(losses[0], rel=1e-6)


def test_sample_and_class_weights_get_a_clear_error_instead_of_being_ignored(mnist):
    x, labels, weights = mnist.x_test[:64], mnist.y_test[:64], np.zeros(64)  # zero weights would change the loss
    vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(16,))
    cvae = build_vae("mlp", latent_dim=2, seed=0, hidden=(16,), num_classes=10)
    calls = [lambda: vae.fit(x, sample_weight=weights, epochs=1, batch_size=32, verbose=0),
             lambda: vae.evaluate(x, x, sample_weight=weights, batch_size=32, verbose=0),
             lambda: cvae.fit(x, labels, sample_weight=weights, epochs=1, batch_size=32, verbose=0),
             lambda: cvae.fit(x, labels, class_weight={d: 0.0 for d in range(10)}, epochs=1, batch_size=32, verbose=0),
             lambda: cvae.evaluate(x, labels, sample_weight=weights, batch_size=32, verbose=0),
             lambda: vae.fit(tf.data.Dataset.from_tensor_slices((x, x, weights)).batch(32), epochs=1, shuffle=False, verbose=0),
             lambda: cvae.evaluate(tf.data.Dataset.from_tensor_slices((x, labels, weights)).batch(32), verbose=0)]
    for call in calls:
        with pytest.raises(ValueError, match="no sample_weight or class_weight: leave them out"):
            call()


def test_loss_terms_use_the_encoder_mean_and_log_variance_in_their_places(trained, mnist, rng):
    from vaebook.losses import bernoulli_log_likelihood, gaussian_kl

    vae, _ = trained
    x = mnist.x_test[:20]
    mean, log_var = (keras.ops.convert_to_numpy(t) for t in vae.encoder(x))
    assert np.abs(mean).max() > 0.5 and np.abs(log_var).max() > 0.5  # swapping them would show
    _, kl = vae.loss_terms(x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(kl), keras.ops.convert_to_numpy(gaussian_kl(mean, log_var)), rtol=1e-5)
    # The reconstruction term decodes z ~ N(mean, exp(log_var)): its average over many draws
    # matches the same average computed here with NumPy noise.
    draws = 200
    ours = np.stack([keras.ops.convert_to_numpy(vae.loss_terms(x)[0]) for _ in range(draws)])
    z = mean + np.exp(0.5 * log_var) * rng.standard_normal((draws, *mean.shape)).astype(np.float32)
    independent = np.stack([-keras.ops.convert_to_numpy(bernoulli_log_likelihood(x, vae.decoder(zi))) for zi in z])
    diff = ours.mean() - independent.mean()
    stderr = np.sqrt(ours.mean(axis=1).var(ddof=1) / draws + independent.mean(axis=1).var(ddof=1) / draws)
    assert abs(diff) < 5 * stderr + 0.05, (diff, stderr)


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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=r"do not fit this VAE \(latent_dim=3\)\. Build the model .* same architecture and latent_dim"):
            other.load_weights(path)
    assert not [w for w in caught if "Skipping" in str(w.message)], "Keras' per-layer warnings came before the clear error"
    same = build_vae("conv", latent_dim=2, seed=5)
    # The fresh model's optimizer has no state to load into; only the weights are compared.
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        same.load_weights(path)
    z = np.random.default_rng(1).normal(size=(5, 2))
    np.testing.assert_array_equal(same.decode(z), vae.decode(z))


def test_corrupt_or_foreign_model_file(tmp_path):
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="corrupt or not a .keras model; delete it"):
        load_vae(bad)
    with pytest.raises(ValueError, match="missing.keras: .*missing, corrupt or not a .keras model"):
        load_vae(tmp_path / "missing.keras")
    foreign = tmp_path / "foreign.keras"
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(foreign)
    with pytest.raises(ValueError, match=r"foreign\.keras holds a Keras Sequential, not a vaebook VAE\. Load other models with keras\.saving\.load_model"):
        load_vae(foreign)


def test_load_vae_lets_errors_that_are_not_about_the_file_surface(trained, tmp_path, monkeypatch):
    vae, _ = trained
    path = tmp_path / "vae.keras"
    vae.save(path)

    def broken_from_config(cls, config):
        raise TypeError("a bug in from_config")

    monkeypatch.setattr(VAE, "from_config", classmethod(broken_from_config))
    with pytest.raises(TypeError, match="a bug in from_config"):
        load_vae(path)


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


def test_loss_terms_called_directly_run_in_inference_mode(monkeypatch):
    """``vae.loss_terms(x)`` (as a reader calls it) never resamples x: training is off unless asked for."""
    vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(8,), dynamic_binarization=True)
    monkeypatch.setattr(vae, "binarize_batch", lambda x: pytest.fail("loss_terms(x) resampled x: it ran in training mode"))
    reconstruction, kl = vae.loss_terms(np.full((4, 28, 28, 1), 0.5, np.float32))
    assert reconstruction.shape == (4,) and kl.shape == (4,)
