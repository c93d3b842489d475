"""The taught model (vaebook.model): Sampling, the conv networks, the VAE's loss, metrics and training step.

Backend-agnostic: these tests run on TensorFlow, and under KERAS_BACKEND=jax and torch in the
test command's backend stage.
"""

import numpy as np
import keras
import pytest
from keras import ops

from vaebook.architectures import build_mlp_decoder, build_mlp_encoder, build_vae
from vaebook.codes import decode, encode, reconstruct
from vaebook.losses import bernoulli_log_likelihood, gaussian_kl
from vaebook.model import VAE, Sampling, build_conv_decoder, build_conv_encoder


def numpy(t):
    return ops.convert_to_numpy(t)


def test_sampling_draws_from_q():
    layer = Sampling(seed=1)
    mean = np.full((100_000, 2), [1.0, -2.0], np.float32)
    log_var = np.full((100_000, 2), [0.0, np.log(4.0)], np.float32)
    z = numpy(layer(mean, log_var))
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(z.std(axis=0), [1.0, 2.0], rtol=0.02)


def test_sampling_seed_is_reproducible_advances_and_is_serializable():
    m, lv = np.zeros((3, 2), np.float32), np.zeros((3, 2), np.float32)
    layer = Sampling(seed=7)
    a = numpy(layer(m, lv))
    b = numpy(Sampling.from_config(Sampling(seed=7).get_config())(m, lv))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, numpy(layer(m, lv))), "a second call must draw new noise"
    assert not np.array_equal(a, numpy(Sampling(seed=8)(m, lv)))
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


def test_call_is_the_encoder_and_decode_gives_probabilities(trained, mnist):
    vae, _ = trained
    x = mnist.x_test[:10]
    mean, log_var = (numpy(t) for t in vae(x))
    expected = [numpy(t) for t in vae.encoder(x)]
    np.testing.assert_array_equal(mean, expected[0])
    np.testing.assert_array_equal(log_var, expected[1])
    probs = reconstruct(vae, x)
    assert probs.min() >= 0 and probs.max() <= 1
    np.testing.assert_allclose(probs, decode(vae, encode(vae, x)[0]), atol=1e-6)
    logits = numpy(vae.decoder(mean))
    assert logits.min() < 0 or logits.max() > 1  # the decoder gives logits
    np.testing.assert_allclose(probs, 1 / (1 + np.exp(-logits)), atol=1e-5)


def test_log_likelihood_decodes_z_and_sums_the_bernoulli_terms_over_pixels(trained, mnist, rng):
    vae, _ = trained
    x = mnist.x_test[:5]
    z = rng.normal(size=(5, 2)).astype("float32")
    logits = numpy(vae.decoder(z)).astype(np.float64)
    expected = np.sum(x * logits - np.logaddexp(0, logits), axis=(1, 2, 3))
    np.testing.assert_allclose(numpy(vae.log_likelihood(x, z)), expected, rtol=1e-5)


def _loss_with_noise_of(vae, x, training, seed_state):
    """compute_loss on (x, call(x)) with the sampling noise generator set to ``seed_state`` first."""
    vae.sampling.seed_generator.state.assign(seed_state)
    return float(numpy(vae.compute_loss(x, None, vae(x), training=training)))


def test_compute_loss_is_the_batch_mean_of_reconstruction_plus_weighted_kl(trained, mnist):
    vae, _ = trained
    x = mnist.x_test[:32]
    mean, log_var = vae(x)
    state = numpy(vae.sampling.seed_generator.state)
    z = numpy(vae.sampling(mean, log_var))  # the z the loss draws from the same generator state
    reconstruction = -numpy(bernoulli_log_likelihood(x, vae.decoder(z)))  # (N,), summed over pixels
    kl = numpy(gaussian_kl(mean, log_var))  # (N,), summed over latent dimensions
    assert reconstruction.shape == (32,) and kl.shape == (32,)
    assert np.abs(numpy(mean)).max() > 0.5 and np.abs(numpy(log_var)).max() > 0.5  # swapping them would show
    for weight in (0.0, 0.3, 2.5):
        vae.kl_weight.assign(weight)
        got = _loss_with_noise_of(vae, x, True, state)
        assert got == pytest.approx(reconstruction.mean() + weight * kl.mean(), rel=1e-5)
    vae.kl_weight.assign(2.5)  # evaluation always weighs the KL term by beta (here 1)
    assert _loss_with_noise_of(vae, x, False, state) == pytest.approx(reconstruction.mean() + vae.beta * kl.mean(), rel=1e-5)
    vae.kl_weight.assign(vae.beta)


def test_the_reconstruction_term_decodes_z_drawn_from_q(trained, mnist, rng):
    """Its average over many draws matches the same average computed with NumPy noise."""
    vae, _ = trained
    x = mnist.x_test[:20]
    mean, log_var = (numpy(t) for t in vae(x))
    draws = 200
    ours = []
    for _ in range(draws):
        vae.reconstruction_tracker.reset_state()
        vae.compute_loss(x, None, (mean, log_var), training=False)
        ours.append(float(numpy(vae.reconstruction_tracker.result())))
    z = mean + np.exp(0.5 * log_var) * rng.standard_normal((draws, *mean.shape)).astype(np.float32)
    independent = np.array([-numpy(bernoulli_log_likelihood(x, vae.decoder(zi))).mean() for zi in z])
    diff = np.mean(ours) - independent.mean()
    stderr = np.sqrt(np.var(ours, ddof=1) / draws + independent.var(ddof=1) / draws)
    assert abs(diff) < 5 * stderr + 0.05, (diff, stderr)


def test_metrics_track_the_two_terms_weighted_by_batch_size(trained, mnist):
    vae, history = trained
    assert set(history) == {"loss", "reconstruction_loss", "kl_loss", "val_loss", "val_reconstruction_loss", "val_kl_loss"}
    assert [m.name for m in vae.metrics] == ["loss", "reconstruction_loss", "kl_loss"]
    # 1,000 test images in batches of 128: a short last batch, weighted by its size like Keras' own loss.
    logs = vae.evaluate(mnist.x_test, batch_size=128, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["reconstruction_loss"] + logs["kl_loss"], rel=1e-5)


def test_training_lowers_validation_loss_and_tracks_terms(trained):
    _, history = trained
    assert history["val_loss"][-1] < history["val_loss"][0] - 20
    # Sum over pixels: a per-image BCE of a few hundred nats, not a per-pixel mean below 1.
    assert 100 < history["val_reconstruction_loss"][-1] < 300
    assert all(kl >= 0 for kl in history["kl_loss"] + history["val_kl_loss"])
    for r, k, t in zip(history["val_reconstruction_loss"], history["val_kl_loss"], history["val_loss"]):
        assert t == pytest.approx(r + k, rel=1e-4)


def test_reported_validation_loss_is_reconstruction_plus_beta_kl(mnist):
    vae = build_vae("mlp", latent_dim=2, beta=0.25, seed=0, hidden=(64,))
    h = vae.fit(mnist.x_train[:512], epochs=1, batch_size=128, validation_data=(mnist.x_test[:256],), verbose=0).history
    assert h["val_loss"][0] == pytest.approx(h["val_reconstruction_loss"][0] + 0.25 * h["val_kl_loss"][0], rel=1e-4)


def _one_sgd_step(x, kl_weight):
    """The change of every trainable weight after one SGD(1) step of a fresh VAE (seed 0) with this KL weight:
    minus the gradient of the loss the training step descends."""
    vae = build_vae("mlp", latent_dim=2, beta=4.0, seed=0, hidden=(16,), steps_per_execution=1)
    vae.compile(optimizer=keras.optimizers.SGD(1.0))
    vae.kl_weight.assign(kl_weight)
    named = [((net.name, w.path), w) for net in (vae.encoder, vae.decoder) for w in net.trainable_weights]
    assert len(named) == len(vae.trainable_weights)
    before = {key: numpy(w) for key, w in named}
    vae.fit(x, epochs=1, batch_size=len(x), shuffle=False, verbose=0)
    return {key: numpy(w) - before[key] for key, w in named}


def test_the_training_step_descends_reconstruction_plus_kl_weight_times_kl(mnist):
    """One SGD(1) step moves the weights by minus the gradient. The KL term is linear in its weight,
    acts on the encoder only, and its gradient on the heads' biases is known in closed form:
    d mean_batch(KL) / d b_mean = mean_batch(mean), d / d b_log_var = mean_batch((exp(log_var) - 1) / 2)."""
    x = mnist.x_train[:64]
    d0, d1, d25 = (_one_sgd_step(x, w) for w in (0.0, 1.0, 2.5))
    for key in d0:
        kl_part = d1[key] - d0[key]
        np.testing.assert_allclose(d25[key] - d0[key], 2.5 * kl_part, rtol=1e-3, atol=1e-6)
        if key[0] == "decoder":
            np.testing.assert_allclose(kl_part, 0.0, atol=1e-6)  # the KL term does not involve the decoder
    # The closed-form KL gradient on the heads' biases, at the initial weights (seed 0, rebuilt).
    start = build_vae("mlp", latent_dim=2, beta=4.0, seed=0, hidden=(16,))
    mean, log_var = (numpy(t) for t in start(x))
    for head, expected in (("z_mean", mean.mean(axis=0)), ("z_log_var", (np.exp(log_var) - 1).mean(axis=0) / 2)):
        key = ("encoder", f"{head}/bias")
        np.testing.assert_allclose(-(d1[key] - d0[key]), expected, rtol=1e-3, atol=1e-6)
    for head in ("z_mean", "z_log_var"):  # the reconstruction term's gradient reaches both heads through sampling
        assert np.abs(d0[("encoder", f"{head}/bias")]).max() > 1e-4, head


def test_the_training_step_uses_the_kl_weight_and_validation_uses_beta(mnist):
    """Changing kl_weight between fits changes the training loss (no stale trace); validation ignores it."""
    vae = build_vae("mlp", latent_dim=2, beta=1.0, seed=0, hidden=(16,))
    x, x_val = mnist.x_train[:256], mnist.x_test[:128]
    for weight in (0.0, 1.0, 0.5):
        vae.kl_weight.assign(weight)
        h = vae.fit(x, epochs=1, batch_size=128, validation_data=(x_val,), verbose=0).history
        assert h["loss"][0] == pytest.approx(h["reconstruction_loss"][0] + weight * h["kl_loss"][0], rel=1e-4)
        assert h["val_loss"][0] == pytest.approx(h["val_reconstruction_loss"][0] + h["val_kl_loss"][0], rel=1e-4)


class _Recorder(keras.layers.Layer):
    """Identity layer that records the training flag of each call on data (not of a functional model's
    construction, whose inputs are KerasTensors); a traced call (JAX takes gradients by tracing) counts."""

    seen = []

    def call(self, x, training=None):
        if not isinstance(x, keras.KerasTensor):
            _Recorder.seen.append(bool(training))
        return x


def test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode(mnist):
    from vaebook.evaluate import elbo_terms, importance_log_likelihood, log_likelihood_of_codes

    image, code = keras.Input(shape=(28, 28, 1)), keras.Input(shape=(2,))
    encoder = keras.Model(image, build_mlp_encoder(2, hidden=(16,))(_Recorder()(image)))
    decoder = keras.Model(code, build_mlp_decoder(2, hidden=(16,))(_Recorder()(code)))
    vae = VAE(encoder, decoder, seed=0)
    x = mnist.x_test[:4]
    _Recorder.seen = []
    vae(x)
    vae.log_likelihood(x, np.zeros((4, 2), np.float32))
    reconstruct(vae, x)
    log_likelihood_of_codes(vae, x, np.zeros((4, 2), np.float32))  # one code per image
    log_likelihood_of_codes(vae, x, np.zeros((3, 4, 2), np.float32))  # k codes per image
    elbo_terms(vae, x, samples=2)
    importance_log_likelihood(vae, x, k=3)
    assert len(_Recorder.seen) == 10 and not any(_Recorder.seen), _Recorder.seen  # 10 network calls above
    vae.compile(optimizer="adam", run_eagerly=True)
    _Recorder.seen = []
    vae.fit(x, epochs=1, batch_size=4, validation_data=(x,), verbose=0)
    # One training step (encoder and decoder in training mode), then validation (both in inference mode); a
    # backend may first call the model once more in inference mode to build it.
    assert _Recorder.seen.count(True) == 2 and _Recorder.seen[-2:] == [False, False], _Recorder.seen


def test_sample_and_class_weights_get_a_clear_error_instead_of_being_ignored(mnist):
    """compute_loss refuses every weight Keras hands it; Keras drops a sample_weight without y silently, so
    vaebook.training.fit and evaluate refuse those before Keras sees them."""
    from vaebook.training import evaluate, fit

    x, weights = mnist.x_test[:64], np.zeros(64)  # zero weights would change a weighted loss
    labels = mnist.y_test[:64]
    calls = [lambda vae, cvae: vae.evaluate(x, x, sample_weight=weights, batch_size=32, verbose=0),
             lambda vae, cvae: cvae.fit((x, labels), labels, class_weight={d: 0.0 for d in range(10)}, epochs=1, batch_size=32, verbose=0),
             lambda vae, cvae: cvae.fit((x, labels), labels, sample_weight=weights, epochs=1, batch_size=32, verbose=0),
             lambda vae, cvae: fit(vae, x, sample_weight=weights, epochs=1, batch_size=32, verbose=0),
             lambda vae, cvae: fit(cvae, x, labels, sample_weight=weights, epochs=1, batch_size=32, verbose=0),
             lambda vae, cvae: fit(cvae, x, labels, class_weight={d: 0.0 for d in range(10)}, epochs=1, batch_size=32, verbose=0),
             lambda vae, cvae: evaluate(cvae, x, labels, sample_weight=weights, batch_size=32, verbose=0)]
    for call in calls:  # fresh models each time: on JAX, an error inside Keras' first trace leaves a model unusable
        vae, cvae = build_vae("mlp", latent_dim=2, seed=0, hidden=(16,)), build_vae("conv", latent_dim=2, seed=0, num_classes=10)
        with pytest.raises(ValueError, match="weighs every image alike: leave out sample_weight and class_weight"):
            call(vae, cvae)


def test_a_plain_vae_reads_the_images_of_an_x_y_batch_and_ignores_the_rest(mnist):
    x = mnist.x_test[:64]
    losses = []
    for batch in ((x,), (x, np.zeros_like(x))):  # evaluate(x) and evaluate(x, y): the same images
        vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(16,))
        losses.append(vae.evaluate(*batch, batch_size=32, verbose=0, return_dict=True)["loss"])
    assert losses[1] == pytest.approx(losses[0], rel=1e-6)


def _short_run(mnist, seed):
    vae = build_vae("conv", latent_dim=2, seed=seed)
    return vae.fit(mnist.x_train[:512], epochs=2, batch_size=128, validation_data=(mnist.x_test[:128],), verbose=0).history


def test_same_seed_same_losses(mnist):
    a, b, c = _short_run(mnist, 3), _short_run(mnist, 3), _short_run(mnist, 4)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5)
    assert not np.allclose(a["loss"], c["loss"], rtol=1e-3)


def test_steps_per_execution_does_not_change_training(mnist):
    if keras.backend.backend() == "torch":
        pytest.skip("PyTorch runs one step per execution only")

    def weights(spe):
        vae = build_vae("mlp", latent_dim=2, seed=2, hidden=(32,), steps_per_execution=spe)
        vae.fit(mnist.x_train[:640], epochs=2, batch_size=128, verbose=0)
        return np.concatenate([np.ravel(v) for v in vae.get_weights()])

    np.testing.assert_array_equal(weights(1), weights(8))


def test_keras_file_round_trip_gives_identical_outputs(trained, mnist, tmp_path):
    vae, _ = trained
    path = tmp_path / "vae.keras"
    vae.save(path)
    loaded = keras.saving.load_model(path)  # the classes are registered: no custom_objects needed
    assert isinstance(loaded, VAE) and loaded.beta == vae.beta and loaded.seed == vae.seed
    x = mnist.x_test[:20]
    for a, b in zip(encode(vae, x), encode(loaded, x)):
        np.testing.assert_array_equal(a, b)
    z = np.random.default_rng(0).normal(size=(20, 2))
    np.testing.assert_array_equal(decode(vae, z), decode(loaded, z))
    # The optimizer state comes back too, so training can resume.
    assert int(numpy(loaded.optimizer.iterations)) == int(numpy(vae.optimizer.iterations))
    loaded.fit(x, epochs=1, verbose=0)


def test_a_new_model_can_be_saved_before_training(tmp_path):
    import warnings

    vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(8,))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # e.g. "not yet been built", "Skipping variable loading"
        vae.save(tmp_path / "new.keras")
        loaded = keras.saving.load_model(tmp_path / "new.keras")
    z = np.zeros((2, 2), np.float32)
    np.testing.assert_array_equal(decode(vae, z), decode(loaded, z))


def test_an_unsupported_backend_gets_a_one_line_error_naming_the_supported_ones_and_how_to_choose():
    import os
    import subprocess
    import sys

    # Keras' own numpy backend needs JAX installed, so Keras is told it runs on numpy here.
    code = "import keras; keras.backend.backend = lambda: 'numpy'; import vaebook.model"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: vaebook runs on the Keras backends tensorflow, jax, torch, but Keras is using 'numpy'")
    assert "set KERAS_BACKEND=tensorflow (or jax, or torch) before the first `import keras`" in last
