"""The VAE in Keras 3: a ``Sampling`` layer, encoder and decoder builders, and a ``VAE`` model.

The model is a subclassed ``keras.Model`` whose ``train_step`` and ``test_step`` compute the
loss eagerly from the encoder's and decoder's real outputs; there is no symbolic ``add_loss``
and no ``Lambda`` layer, so it runs, validates and saves on Keras 3.

    loss(x) = mean over the batch of [ -log p(x|z) + beta * KL(q(z|x) || p(z)) ],  z ~ q(z|x)

with -log p(x|z) the binary cross-entropy summed over the 784 pixels (from logits) and KL the
closed-form Gaussian KL summed over latent dimensions. With beta = 1 the loss is the negative
ELBO; it is a bound, never a log-likelihood.

KL warm-up: the training step weighs the KL term by ``kl_weight``, a non-trainable variable
that :class:`KLWarmup` ramps from beta / warmup_epochs up to beta over the first epochs (the
compiled step reads the variable, so changing it needs no retracing). Validation always uses
beta itself, so validation losses of different epochs are comparable.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import keras
import tensorflow as tf
from keras import layers, ops

from vaebook.checks import whole_number
from vaebook.data import IMAGE_SHAPE, check_images
from vaebook.losses import bernoulli_log_likelihood, gaussian_kl, reparameterize

PACKAGE = "vaebook"


def check_latent_dim(latent_dim) -> int:
    """Return ``latent_dim`` as an int, or raise ``ValueError`` if it is not a whole number >= 1."""
    return whole_number("latent_dim", latent_dim, 1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class Sampling(layers.Layer):
    """The reparameterization trick: z = mean + exp(0.5 * log_var) * eps, eps ~ N(0, I).

    The noise comes from a ``keras.random.SeedGenerator``, so a seed makes it reproducible,
    and the gradient flows through ``mean`` and ``log_var``.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, mean, log_var):
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return reparameterize(mean, log_var, eps)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def _gaussian_heads(features, latent_dim):
    mean = layers.Dense(latent_dim, name="z_mean")(features)
    log_var = layers.Dense(latent_dim, name="z_log_var")(features)
    return [mean, log_var]


def build_conv_encoder(latent_dim: int = 2) -> keras.Model:
    """Conv encoder: 28x28x1 -> Conv(32, s2) -> Conv(64, s2) -> Dense(16) -> (z_mean, z_log_var)."""
    latent_dim = check_latent_dim(latent_dim)
    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv_1")(inputs)
    h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv_2")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dense(16, activation="relu", name="hidden")(h)
    return keras.Model(inputs, _gaussian_heads(h, latent_dim), name="encoder")


def build_conv_decoder(latent_dim: int = 2) -> keras.Model:
    """Conv decoder: z -> Dense(7*7*64) -> ConvT(64, s2) -> ConvT(32, s2) -> ConvT(1) logits, 28x28x1."""
    latent_dim = check_latent_dim(latent_dim)
    z = keras.Input(shape=(latent_dim,), name="z")
    h = layers.Dense(7 * 7 * 64, activation="relu", name="hidden")(z)
    h = layers.Reshape((7, 7, 64), name="reshape")(h)
    h = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu", name="deconv_1")(h)
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu", name="deconv_2")(h)
    logits = layers.Conv2DTranspose(1, 3, padding="same", name="logits")(h)
    return keras.Model(z, logits, name="decoder")


def build_mlp_encoder(latent_dim: int = 2, hidden=(512,), activation: str = "relu") -> keras.Model:
    """MLP encoder: 784 -> Dense(h) ... -> (z_mean, z_log_var). ``hidden=(200, 200)``, ``tanh`` is Burda et al.'s."""
    latent_dim = check_latent_dim(latent_dim)
    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
    h = layers.Flatten(name="flatten")(inputs)
    for i, units in enumerate(hidden, 1):
        h = layers.Dense(units, activation=activation, name=f"hidden_{i}")(h)
    return keras.Model(inputs, _gaussian_heads(h, latent_dim), name="encoder")


def build_mlp_decoder(latent_dim: int = 2, hidden=(512,), activation: str = "relu") -> keras.Model:
    """MLP decoder: z -> Dense(h) ... -> Dense(784) logits -> 28x28x1."""
    latent_dim = check_latent_dim(latent_dim)
    z = keras.Input(shape=(latent_dim,), name="z")
    h = z
    for i, units in enumerate(reversed(tuple(hidden)), 1):
        h = layers.Dense(units, activation=activation, name=f"hidden_{i}")(h)
    h = layers.Dense(int(np.prod(IMAGE_SHAPE)), name="logits")(h)
    return keras.Model(z, layers.Reshape(IMAGE_SHAPE, name="image")(h), name="decoder")


def _first(data):
    """The images of a batch: ``fit`` passes ``x`` or ``(x,)`` or ``(x, y)``."""
    return data[0] if isinstance(data, (tuple, list)) else data


@keras.saving.register_keras_serializable(package=PACKAGE)
class VAE(keras.Model):
    """Variational autoencoder with a Gaussian encoder q(z|x), N(0, I) prior and Bernoulli decoder.

    ``call(x)`` returns the decoder's logits for one z ~ q(z|x); ``decode`` and ``reconstruct``
    give pixel probabilities. ``train_step``/``test_step`` track ``loss``,
    ``reconstruction_loss`` (-log p(x|z), summed over pixels) and ``kl_loss`` (summed over
    latent dimensions), each averaged over the batch, with loss = reconstruction + beta * KL.
    With ``dynamic_binarization`` every training batch is resampled as x ~ Bernoulli(x).
    """

    def __init__(self, encoder, decoder, beta: float = 1.0, dynamic_binarization: bool = False, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = check_latent_dim(int(decoder.inputs[0].shape[-1]))
        enc_dims = [int(t.shape[-1]) for t in encoder.outputs]
        if len(enc_dims) != 2 or enc_dims != [self.latent_dim] * 2:
            raise ValueError(
                f"The encoder must output (z_mean, z_log_var) of size {self.latent_dim} to match the "
                f"decoder's input, but outputs sizes {enc_dims}. Build both with the same latent_dim."
            )
        if not np.isfinite(beta) or beta < 0:
            raise ValueError(f"beta must be a finite number >= 0, got {beta!r}.")
        self.encoder = encoder
        self.decoder = decoder
        self.beta = float(beta)
        self.dynamic_binarization = bool(dynamic_binarization)
        self.seed = seed
        # The KL weight of the training step: beta, or less during a KL warm-up (see KLWarmup).
        self.kl_weight = keras.Variable(self.beta, trainable=False, dtype="float32", name="kl_weight")
        self.sampling = Sampling(seed=seed, name="sampling")
        self.binarization_seed = keras.random.SeedGenerator(None if seed is None else seed + 1)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    # --- the model -------------------------------------------------------------------------
    def build(self, input_shape=None):
        """Nothing to create: the encoder and decoder arrive as built functional models.

        Keras calls this at the first call or ``fit``; :func:`build_vae` calls it at once
        (``vae.build((None, 28, 28, 1))``), so that a new model can be saved before training.
        """

    def call(self, x, training=False):
        mean, log_var = self.encoder(x, training=training)
        return self.decoder(self.sampling(mean, log_var), training=training)

    def log_likelihood_of_output(self, x, output):
        """log p(x|z) per example, given the decoder's output for z (here Bernoulli logits).

        log p(x|z) = sum_i [x_i * l_i - softplus(l_i)], summed over pixels. A model with
        another decoder distribution overrides this one method.
        """
        return bernoulli_log_likelihood(x, output)

    def log_likelihood_of_codes(self, x, z):
        """log p(x|z) per example for codes z of shape (N, latent_dim) or (k, N, latent_dim): decodes z first.

        With a leading sample axis, x (N, ...) is paired with every z[i] and the result is (k, N).
        """
        x = ops.convert_to_tensor(x, "float32")
        z = ops.convert_to_tensor(z, "float32")
        if len(z.shape) == 2:
            return self.log_likelihood_of_output(x, self.decoder(z, training=False))
        k, n = ops.shape(z)[0], ops.shape(z)[1]
        output = self.decoder(ops.reshape(z, (-1, self.latent_dim)), training=False)
        x_rep = ops.reshape(ops.broadcast_to(x[None], (k, *ops.shape(x))), (-1, *IMAGE_SHAPE))
        return ops.reshape(self.log_likelihood_of_output(x_rep, output), (k, n))

    def binarize_batch(self, x):
        """A fresh binarization x_bin ~ Bernoulli(x) (dynamic binarization, new at every call)."""
        return ops.cast(keras.random.uniform(ops.shape(x), seed=self.binarization_seed) < x, "float32")

    def loss_terms(self, x, training=False):
        """Per-example (reconstruction, KL) in nats, each of shape (N,):

            reconstruction = -log p(x|z), one z ~ q(z|x), summed over pixels
            KL = KL(q(z|x) || p(z)), closed form, summed over latent dimensions

        In training with ``dynamic_binarization``, x is first resampled as x ~ Bernoulli(x).
        """
        x = ops.convert_to_tensor(x, "float32")
        if training and self.dynamic_binarization:
            x = self.binarize_batch(x)
        mean, log_var = self.encoder(x, training=training)
        z = self.sampling(mean, log_var)
        logits = self.decoder(z, training=training)
        return -self.log_likelihood_of_output(x, logits), gaussian_kl(mean, log_var)

    # --- training --------------------------------------------------------------------------
    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def _update_metrics(self, loss, reconstruction, kl):
        """Add one batch's (already batch-averaged) loss and terms to the metrics; return their running means."""
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        """One gradient step on loss = mean_batch(reconstruction) + kl_weight * mean_batch(KL)."""
        with tf.GradientTape() as tape:
            reconstruction, kl = self.loss_terms(_first(data), training=True)
            reconstruction, kl = ops.mean(reconstruction), ops.mean(kl)
            loss = reconstruction + self.kl_weight * kl
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)
        return self._update_metrics(loss, reconstruction, kl)

    def test_step(self, data):
        """The validation loss: mean_batch(reconstruction) + beta * mean_batch(KL), inference mode, no binarization."""
        reconstruction, kl = self.loss_terms(_first(data), training=False)
        reconstruction, kl = ops.mean(reconstruction), ops.mean(kl)
        return self._update_metrics(reconstruction + self.beta * kl, reconstruction, kl)

    def fit(self, x=None, y=None, *args, validation_data=None, **kwargs):
        """``keras.Model.fit``, after checking that NumPy images are 28x28 and in [0, 1]."""
        if isinstance(x, np.ndarray):
            x = check_images(x, "training images")
        if isinstance(validation_data, np.ndarray):
            validation_data = (validation_data,)
        if isinstance(validation_data, (tuple, list)) and isinstance(validation_data[0], np.ndarray):
            validation_data = (check_images(validation_data[0], "validation images"), *validation_data[1:])
        return super().fit(x, y, *args, validation_data=validation_data, **kwargs)

    def evaluate(self, x=None, *args, **kwargs):
        if isinstance(x, np.ndarray):
            x = check_images(x, "evaluation images")
        return super().evaluate(x, *args, **kwargs)

    # --- NumPy helpers for notebooks ------------------------------------------------------
    def encode(self, x, batch_size: int = 1000):
        """Encoder outputs (mean, log_var) as NumPy arrays of shape (N, latent_dim)."""
        x = check_images(x)
        parts = [self.encoder(x[i : i + batch_size], training=False) for i in range(0, len(x), batch_size)]
        return tuple(np.concatenate([ops.convert_to_numpy(p[j]) for p in parts]) for j in range(2))

    def decode(self, z, batch_size: int = 1000) -> np.ndarray:
        """Pixel probabilities sigmoid(decoder(z)), shape (N, 28, 28, 1), in one call per ``batch_size`` codes."""
        z = check_latent_codes(z, self.latent_dim)
        parts = [ops.sigmoid(self.decoder(z[i : i + batch_size], training=False)) for i in range(0, len(z), batch_size)]
        return np.concatenate([ops.convert_to_numpy(p) for p in parts])

    def reconstruct(self, x, batch_size: int = 1000) -> np.ndarray:
        """Reconstructions: the decoded probabilities at the encoder mean of each image."""
        return self.decode(self.encode(x, batch_size)[0], batch_size)

    def load_weights(self, filepath, *args, **kwargs):
        """``keras.Model.load_weights`` with a clear error when the file was saved for another model."""
        try:
            return super().load_weights(filepath, *args, **kwargs)
        except (ValueError, KeyError) as err:
            raise ValueError(
                f"The weights in {filepath} do not fit this VAE (latent_dim={self.latent_dim}). Build the "
                f"model with the configuration the weights were saved with (the same architecture and "
                f"latent_dim), or retrain it. Keras reported: {err}"
            ) from err

    # --- serialization ----------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta,
            "dynamic_binarization": self.dynamic_binarization,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("encoder", "decoder"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)


class KLWarmup(keras.callbacks.Callback):
    """KL warm-up: the training step's KL weight rises linearly to beta over the first ``epochs`` epochs.

    In epoch e (from 0) the training loss is reconstruction + w_e * KL with
    w_e = beta * min(1, (e + 1) / epochs). Early in training the KL term otherwise wins: it
    pushes q(z|x) onto the prior before the decoder has learned to use the code, and the code
    can stay switched off (posterior collapse). After training the weight is beta again.
    """

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = whole_number("KL warm-up epochs", epochs, 0, why="0: no warm-up")

    def weight(self, epoch: int, beta: float) -> float:
        """The KL weight of epoch ``epoch`` (counted from 0)."""
        return beta if self.epochs == 0 else beta * min(1.0, (epoch + 1) / self.epochs)

    def on_epoch_begin(self, epoch, logs=None):
        self.model.kl_weight.assign(self.weight(epoch, self.model.beta))

    def on_train_end(self, logs=None):
        self.model.kl_weight.assign(self.model.beta)


def check_latent_codes(z, latent_dim: int) -> np.ndarray:
    """Validate latent codes: a finite float array of shape (N, latent_dim)."""
    arr = np.asarray(z, dtype=np.float32)
    if arr.ndim == 1 and arr.shape[0] == latent_dim:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != latent_dim:
        raise ValueError(f"Latent codes have shape {arr.shape}; this model expects (N, {latent_dim}).")
    if not np.all(np.isfinite(arr)):
        raise ValueError("Latent codes contain NaN or inf.")
    return arr


ARCHITECTURES = {
    "conv": (build_conv_encoder, build_conv_decoder),
    "mlp": (build_mlp_encoder, build_mlp_decoder),
}


def build_vae(
    arch: str = "conv",
    latent_dim: int = 2,
    beta: float = 1.0,
    seed=None,
    dynamic_binarization: bool = False,
    learning_rate: float = 1e-3,
    steps_per_execution: int = 8,
    **arch_kwargs,
) -> VAE:
    """Build and compile (Adam) a VAE. ``arch`` is ``conv`` (the series' main model) or ``mlp``.

    ``steps_per_execution`` runs several training steps per call into TensorFlow; on a CPU
    it saves Python overhead (see ``benchmarks/``) and does not change the losses.

    A ``seed`` calls ``keras.utils.set_random_seed(seed)`` before the weights are created: it
    resets Keras' global random generators (and Python's, NumPy's and TensorFlow's), which fix
    the initial weights and the batch shuffling; the sampling and binarization noise come from
    the model's own seeded ``SeedGenerator``s. The same seed gives the same training on one
    machine. Note the side effect: any other code that draws from those global generators after
    this call draws a reset sequence.
    Extra keyword arguments (``hidden``, ``activation``) go to the MLP builders.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {arch!r}. Use one of {', '.join(ARCHITECTURES)}.")
    latent_dim = check_latent_dim(latent_dim)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    build_encoder, build_decoder = ARCHITECTURES[arch]
    vae = VAE(
        build_encoder(latent_dim, **arch_kwargs),
        build_decoder(latent_dim, **arch_kwargs),
        beta=beta,
        dynamic_binarization=dynamic_binarization,
        seed=seed,
        name=f"{arch}_vae",
    )
    vae.build((None, *IMAGE_SHAPE))
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate), steps_per_execution=steps_per_execution)
    return vae


def load_vae(path) -> VAE:
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
    if not isinstance(model, VAE):
        raise ValueError(f"{path} holds a vaebook {type(model).__name__}, not a VAE; pass a file written by vae.save().")
    return model
