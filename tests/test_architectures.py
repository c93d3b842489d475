"""What surrounds the taught model: build_vae and its checks, load_vae and load_weights, the NumPy
helpers of vaebook.codes and the checked fit of vaebook.training, each with its clear errors."""

import re
import warnings

import numpy as np
import keras
import pytest

from vaebook.architectures import build_mlp_decoder, build_mlp_encoder, build_vae, load_vae, load_weights, make_vae
from vaebook.codes import decode, encode, latent_dim_of
from vaebook.conditional import build_conditional_encoder
from vaebook.model import VAE, build_conv_decoder, build_conv_encoder
from vaebook.training import evaluate, fit


@pytest.mark.parametrize("bad", [0, -1, 2.5, "2", True])
def test_latent_dim_must_be_positive_integer(bad):
    with pytest.raises(ValueError, match="latent_dim must be a whole number >= 1"):
        build_vae(latent_dim=bad)


def test_unknown_architecture_and_bad_beta():
    with pytest.raises(ValueError, match="Unknown architecture 'resnet'"):
        build_vae("resnet")
    for beta in (-1.0, float("nan"), "1"):
        with pytest.raises(ValueError, match="beta must be a finite number >= 0"):
            build_vae(beta=beta)
    with pytest.raises(ValueError, match=r"conditional VAE is built on the conv networks.*build_vae\('conv', num_classes=10\)"):
        build_vae("mlp", num_classes=10)


def test_mismatched_encoder_and_decoder():
    with pytest.raises(ValueError, match="same latent_dim"):
        make_vae(build_conv_encoder(2), build_conv_decoder(3))
    with pytest.raises(ValueError, match="same num_classes"):
        make_vae(build_conditional_encoder(2, 10), build_conv_decoder(2))


def test_build_vae_makes_the_right_class_compiled_for_the_backend():
    vae, cvae = build_vae("mlp", hidden=(8,), seed=0), build_vae("conv", num_classes=10, seed=0)
    assert type(vae) is VAE and type(cvae).__name__ == "ConditionalVAE" and cvae.num_classes == 10
    assert vae.name == "mlp_vae" and cvae.name == "conv_cvae" and latent_dim_of(vae) == 2
    expected = 8 if keras.backend.backend() == "tensorflow" else 1  # PyTorch allows only 1
    assert vae.steps_per_execution == expected and isinstance(vae.optimizer, keras.optimizers.Adam)


def test_encode_decode_reconstruct_check_their_inputs(trained, mnist):
    vae, _ = trained
    with pytest.raises(ValueError, match=r"this model expects \(N, 2\)"):
        decode(vae, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN or inf"):
        decode(vae, np.full((1, 2), np.nan))
    with pytest.raises(ValueError, match=r"encoded images have shape \(3, 32, 32\)"):
        encode(vae, np.zeros((3, 32, 32)))
    with pytest.raises(ValueError, match="divide by 255"):
        encode(vae, mnist.x_test[:3] * 255)
    assert decode(vae, np.zeros(2)).shape == (1, 28, 28, 1)  # one code is a batch of one
    means, _ = encode(vae, mnist.x_test[:250], batch_size=100)  # batches of 100, 100 and 50
    np.testing.assert_allclose(means, encode(vae, mnist.x_test[:250])[0], atol=1e-5)


def test_keras_file_round_trip_through_load_vae(trained, mnist, tmp_path):
    vae, _ = trained
    vae.save(tmp_path / "vae.keras")
    loaded = load_vae(tmp_path / "vae.keras")
    assert isinstance(loaded, VAE) and latent_dim_of(loaded) == 2 and loaded.beta == vae.beta
    x = mnist.x_test[:20]
    np.testing.assert_array_equal(encode(vae, x)[0], encode(loaded, x)[0])


def test_weights_for_another_latent_size_are_refused(tmp_path, trained):
    vae, _ = trained
    path = tmp_path / "z2.weights.h5"
    vae.save_weights(path)
    other = build_vae("conv", latent_dim=3, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=r"do not fit this VAE \(latent_dim=3\)\. Build the model .* same architecture and latent_dim"):
            load_weights(other, path)
    assert not [w for w in caught if "Skipping" in str(w.message)], "Keras' per-layer warnings came before the clear error"
    same = build_vae("conv", latent_dim=2, seed=5)
    same.compile(optimizer=keras.optimizers.Adam())  # an optimizer without state: Keras warns that it skips it
    # The fresh model's optimizer has no state to load into; only the weights are compared.
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        load_weights(same, path)
    z = np.random.default_rng(1).normal(size=(5, 2))
    np.testing.assert_array_equal(decode(same, z), decode(vae, z))


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
        fit(vae, x, epochs=1, verbose=0)


def test_validation_and_evaluation_inputs_are_checked(mnist):
    vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(8,))
    with pytest.raises(ValueError, match="validation images have values"):
        fit(vae, mnist.x_train[:8], epochs=1, validation_data=mnist.x_test[:8] * 255, verbose=0)
    with pytest.raises(ValueError, match=re.escape("evaluation images have shape (8, 784, 1)")):
        evaluate(vae, mnist.x_test[:8].reshape(8, 784, 1), verbose=0)
    history = fit(vae, mnist.x_train[:64], epochs=1, batch_size=32, validation_data=mnist.x_test[:32], verbose=0).history
    assert set(history) >= {"loss", "val_loss"}
    logs = evaluate(vae, mnist.x_test[:32], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["reconstruction_loss"] + logs["kl_loss"], rel=1e-5)


def test_mlp_builders_are_the_published_networks():
    encoder, decoder = build_mlp_encoder(50, hidden=(200, 200), activation="tanh"), build_mlp_decoder(50, hidden=(200, 200), activation="tanh")
    assert [l.units for l in encoder.layers if isinstance(l, keras.layers.Dense)] == [200, 200, 50, 50]
    assert [l.units for l in decoder.layers if isinstance(l, keras.layers.Dense)] == [200, 200, 784]
    assert {l.activation.__name__ for l in encoder.layers if getattr(l, "units", 0) == 200} == {"tanh"}
