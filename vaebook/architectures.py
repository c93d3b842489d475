"""Every VAE the series builds, from one function, and every saved one loaded back.

:func:`build_vae` picks the networks (the conv encoder and decoder of notebook 03, the MLPs of
notebook 05, or notebook 06's conditional conv networks), checks that they fit together, makes
the model (:class:`vaebook.model.VAE` or :class:`vaebook.conditional.ConditionalVAE`) and compiles
it with Adam, with the fastest ``steps_per_execution`` the backend allows. :func:`load_vae` reads
a ``.keras`` file back with clear errors.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import keras
from keras import layers

from vaebook.checks import whole_number
from vaebook.codes import latent_dim_of
from vaebook.conditional import ConditionalVAE, build_conditional_decoder, build_conditional_encoder
from vaebook.data import IMAGE_SHAPE
from vaebook.model import PACKAGE, VAE, build_conv_decoder, build_conv_encoder


def check_latent_dim(latent_dim) -> int:
    """Return ``latent_dim`` as an int, or raise ``ValueError`` if it is not a whole number >= 1."""
    return whole_number("latent_dim", latent_dim, 1)


def build_mlp_encoder(latent_dim: int = 2, hidden=(512,), activation: str = "relu") -> keras.Model:
    """MLP encoder: 784 -> Dense(h) ... -> (z_mean, z_log_var). ``hidden=(200, 200)``, ``tanh`` is Burda et al.'s."""
    latent_dim = check_latent_dim(latent_dim)
    image = keras.Input(shape=IMAGE_SHAPE, name="image")
    h = layers.Flatten(name="flatten")(image)
    for i, units in enumerate(hidden, 1):
        h = layers.Dense(units, activation=activation, name=f"hidden_{i}")(h)
    heads = [layers.Dense(latent_dim, name="z_mean")(h), layers.Dense(latent_dim, name="z_log_var")(h)]
    return keras.Model(image, heads, name="encoder")


def build_mlp_decoder(latent_dim: int = 2, hidden=(512,), activation: str = "relu") -> keras.Model:
    """MLP decoder: z -> Dense(h) ... -> Dense(784) logits -> 28x28x1 (the hidden layers in reverse order)."""
    latent_dim = check_latent_dim(latent_dim)
    z = keras.Input(shape=(latent_dim,), name="z")
    h = z
    for i, units in enumerate(reversed(tuple(hidden)), 1):
        h = layers.Dense(units, activation=activation, name=f"hidden_{i}")(h)
    h = layers.Dense(int(np.prod(IMAGE_SHAPE)), name="logits")(h)
    return keras.Model(z, layers.Reshape(IMAGE_SHAPE, name="image")(h), name="decoder")


ARCHITECTURES = {
    "conv": (build_conv_encoder, build_conv_decoder),
    "mlp": (build_mlp_encoder, build_mlp_decoder),
}


def check_networks(encoder, decoder) -> tuple:
    """(latent_dim, num_classes) of an encoder and a decoder that fit together, else a clear ``ValueError``.

    The encoder must output (z_mean, z_log_var) of the decoder's code size; a second input of
    both networks is the one-hot label of a conditional VAE, of one number of classes.
    """
    latent_dim = check_latent_dim(int(decoder.inputs[0].shape[-1]))
    enc_dims = [int(t.shape[-1]) for t in encoder.outputs]
    if enc_dims != [latent_dim] * 2:
        raise ValueError(
            f"The encoder must output (z_mean, z_log_var) of size {latent_dim} to match the "
            f"decoder's input, but outputs sizes {enc_dims}. Build both with the same latent_dim."
        )
    classes = [int(net.inputs[1].shape[-1]) if len(net.inputs) == 2 else 0 for net in (encoder, decoder)]
    if classes[0] != classes[1]:
        raise ValueError(
            f"The encoder takes {classes[0]} label classes and the decoder {classes[1]} (0: no label). "
            f"Build both with the same num_classes."
        )
    return latent_dim, classes[0]


def check_beta(beta) -> float:
    """``beta`` as a float if it is a finite number >= 0, else ``ValueError``."""
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.number)) or not np.isfinite(beta) or beta < 0:
        raise ValueError(f"beta must be a finite number >= 0, got {beta!r}.")
    return float(beta)


def make_vae(encoder, decoder, beta: float = 1.0, seed=None, **kwargs):
    """The VAE of two checked networks: a :class:`ConditionalVAE` when they take labels, else a :class:`VAE`."""
    _, classes = check_networks(encoder, decoder)
    vae = (ConditionalVAE if classes else VAE)(encoder, decoder, beta=check_beta(beta), seed=seed, **kwargs)
    vae.build(None)  # nothing to build (the networks are): a new model can be saved or load weights at once
    return vae


def fastest_steps_per_execution() -> int:
    """8 training steps per call into TensorFlow (less Python overhead on a CPU, the same losses); 1 on the
    other backends (PyTorch allows only 1; JAX gains nothing, see benchmarks/README.md)."""
    return 8 if keras.backend.backend() == "tensorflow" else 1


def build_vae(
    arch: str = "conv",
    latent_dim: int = 2,
    beta: float = 1.0,
    seed=None,
    learning_rate: float = 1e-3,
    steps_per_execution: int | None = None,
    num_classes: int = 0,
    **arch_kwargs,
):
    """Build and compile (Adam) a VAE. ``arch`` is ``conv`` (the series' main model) or ``mlp``.

    ``num_classes=10`` builds notebook 06's conditional VAE (conv only): encoder and decoder also
    take the one-hot digit label. ``steps_per_execution`` defaults to the fastest the backend allows
    (:func:`fastest_steps_per_execution`).

    A ``seed`` calls ``keras.utils.set_random_seed(seed)`` before the weights are created: it
    resets Keras' global random generators (and Python's, NumPy's and the backend's), which fix
    the initial weights and the batch shuffling; the sampling noise comes from the model's own
    seeded ``SeedGenerator``. The same seed gives the same training on one machine and backend.
    Note the side effect: any other code that draws from those global generators after this call
    draws a reset sequence. Extra keyword arguments (``hidden``, ``activation``) go to the MLP builders.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {arch!r}. Use one of {', '.join(ARCHITECTURES)}.")
    latent_dim = check_latent_dim(latent_dim)
    num_classes = whole_number("num_classes", num_classes, 0, why="0: not conditional")
    if num_classes and arch != "conv":
        raise ValueError(f"The conditional VAE is built on the conv networks (notebook 06); got arch={arch!r}. "
                         f"Use build_vae('conv', num_classes={num_classes}).")
    beta = check_beta(beta)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    if num_classes:
        encoder, decoder = build_conditional_encoder(latent_dim, num_classes), build_conditional_decoder(latent_dim, num_classes)
    else:
        build_encoder, build_decoder = ARCHITECTURES[arch]
        encoder, decoder = build_encoder(latent_dim, **arch_kwargs), build_decoder(latent_dim, **arch_kwargs)
    vae = make_vae(encoder, decoder, beta=beta, seed=seed, name=f"{arch}_{'cvae' if num_classes else 'vae'}")
    steps = fastest_steps_per_execution() if steps_per_execution is None else steps_per_execution
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate), steps_per_execution=steps)
    vae.optimizer.build(vae.trainable_variables)  # its state exists at once: a new model saves and reloads cleanly
    return vae


def load_vae(path):
    """Load a VAE saved with ``vae.save("name.keras")``.

    Raises ``ValueError`` naming the file and the fix if the file is missing or unreadable (not
    a ``.keras`` archive, or one without its ``config.json``), or if it holds a model that is
    not a vaebook VAE. Any other error while rebuilding the model is not a file problem and
    propagates unchanged.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as err:
        raise ValueError(
            f"Could not load a VAE from {path}: {type(err).__name__}: {err}. The file is missing, "
            f"corrupt or not a .keras model; delete it and train again."
        ) from err
    registered = str(config.get("registered_name") or config.get("class_name"))
    if not registered.startswith(f"{PACKAGE}>"):
        raise ValueError(
            f"{path} holds a Keras {config.get('class_name')}, not a vaebook VAE. Load other models "
            f"with keras.saving.load_model; pass load_vae a file written by vae.save() of a vaebook VAE."
        )
    model = keras.saving.load_model(path)
    # By what it does, not by class: a reader's own VAE class on a notebook page registers under the same name.
    if not (callable(getattr(model, "log_likelihood", None)) and hasattr(model, "decoder")):
        raise ValueError(f"{path} holds a vaebook {type(model).__name__}, not a VAE; pass a file written by vae.save().")
    return model


def load_weights(vae, filepath):
    """``vae.load_weights(filepath)`` with a clear error when the file was saved for another model.

    Keras warns about each layer it skips before it fails; the error says it all, so those
    warnings are dropped when it fails and passed on when it succeeds.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            vae.load_weights(filepath)
        except (ValueError, KeyError) as err:
            raise ValueError(
                f"The weights in {filepath} do not fit this VAE (latent_dim={latent_dim_of(vae)}). Build the "
                f"model with the configuration the weights were saved with (the same architecture and "
                f"latent_dim), or retrain it. Keras reported: {err}"
            ) from err
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
