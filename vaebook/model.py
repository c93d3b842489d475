"""The VAE in Keras 3: a ``Sampling`` layer, encoder and decoder builders, and a ``VAE`` model.

The model is a subclassed ``keras.Model`` whose ``train_step`` and ``test_step`` compute the
loss eagerly from the encoder's and decoder's real outputs; there is no symbolic ``add_loss``
and no ``Lambda`` layer, so it runs, validates and saves on Keras 3.

    loss(x) = mean over the batch of [ -log p(x|z) + beta * KL(q(z|x) || p(z)) ],  z ~ q(z|x)

with -log p(x|z) the binary cross-entropy summed over the 784 pixels (from logits) and KL the
closed-form Gaussian KL summed over latent dimensions. With beta = 1 the loss is the negative
ELBO; it is a bound, never a log-likelihood.

A conditional VAE (``build_vae(..., num_classes=10)``) is the same class: its encoder q(z|x, y)
and decoder p(x|z, y) also take the digit label y, one-hot, and the loss is the negative ELBO
of log p(x|y). Every method that runs a network then takes ``labels``.

KL warm-up: the training step weighs the KL term by ``kl_weight``, a non-trainable variable
that :class:`KLWarmup` ramps from beta / warmup_epochs up to beta over the first epochs (the
compiled step reads the variable, so changing it needs no retracing). Validation always uses
beta itself, so validation losses of different epochs are comparable.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import keras
import tensorflow as tf
from keras import layers, ops

from vaebook.checks import whole_number
from vaebook.data import IMAGE_SHAPE, check_images, check_labels
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


def _inputs(first, num_classes: int) -> list:
    """The inputs of a network: ``first`` alone, or with a one-hot ``label`` input of size num_classes."""
    num_classes = whole_number("num_classes", num_classes, 0, why="0: not conditional")
    return [first] + ([keras.Input(shape=(num_classes,), name="label")] if num_classes else [])


def _as_model_inputs(inputs):
    """What ``keras.Model`` takes: the one input itself, or the [input, label] pair."""
    return inputs[0] if len(inputs) == 1 else inputs


def _join(h, inputs, name):
    """h with the one-hot label concatenated, for a conditional network; h unchanged otherwise."""
    return layers.Concatenate(name=name)([h, inputs[1]]) if len(inputs) == 2 else h


def _gaussian_heads(features, latent_dim):
    mean = layers.Dense(latent_dim, name="z_mean")(features)
    log_var = layers.Dense(latent_dim, name="z_log_var")(features)
    return [mean, log_var]


def build_conv_encoder(latent_dim: int = 2, num_classes: int = 0) -> keras.Model:
    """Conv encoder: 28x28x1 -> Conv(32, s2) -> Conv(64, s2) -> Dense(16) -> (z_mean, z_log_var).

    With ``num_classes`` > 0 it is q(z|x, y): the one-hot label joins the flattened features before Dense(16).
    """
    latent_dim = check_latent_dim(latent_dim)
    inputs = _inputs(keras.Input(shape=IMAGE_SHAPE, name="image"), num_classes)
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv_1")(inputs[0])
    h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv_2")(h)
    h = _join(layers.Flatten(name="flatten")(h), inputs, "with_label")
    h = layers.Dense(16, activation="relu", name="hidden")(h)
    return keras.Model(_as_model_inputs(inputs), _gaussian_heads(h, latent_dim), name="encoder")


def build_conv_decoder(latent_dim: int = 2, num_classes: int = 0) -> keras.Model:
    """Conv decoder: z -> Dense(7*7*64) -> ConvT(64, s2) -> ConvT(32, s2) -> ConvT(1) logits, 28x28x1.

    With ``num_classes`` > 0 it is p(x|z, y): the one-hot label joins z before the first layer.
    """
    latent_dim = check_latent_dim(latent_dim)
    inputs = _inputs(keras.Input(shape=(latent_dim,), name="z"), num_classes)
    h = layers.Dense(7 * 7 * 64, activation="relu", name="hidden")(_join(inputs[0], inputs, "with_label"))
    h = layers.Reshape((7, 7, 64), name="reshape")(h)
    h = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu", name="deconv_1")(h)
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu", name="deconv_2")(h)
    logits = layers.Conv2DTranspose(1, 3, padding="same", name="logits")(h)
    return keras.Model(_as_model_inputs(inputs), logits, name="decoder")


def build_mlp_encoder(latent_dim: int = 2, hidden=(512,), activation: str = "relu", num_classes: int = 0) -> keras.Model:
    """MLP encoder: 784 -> Dense(h) ... -> (z_mean, z_log_var). ``hidden=(200, 200)``, ``tanh`` is Burda et al.'s.

    With ``num_classes`` > 0 the one-hot label joins the 784 pixels.
    """
    latent_dim = check_latent_dim(latent_dim)
    inputs = _inputs(keras.Input(shape=IMAGE_SHAPE, name="image"), num_classes)
    h = _join(layers.Flatten(name="flatten")(inputs[0]), inputs, "with_label")
    for i, units in enumerate(hidden, 1):
        h = layers.Dense(units, activation=activation, name=f"hidden_{i}")(h)
    return keras.Model(_as_model_inputs(inputs), _gaussian_heads(h, latent_dim), name="encoder")


def build_mlp_decoder(latent_dim: int = 2, hidden=(512,), activation: str = "relu", num_classes: int = 0) -> keras.Model:
    """MLP decoder: z -> Dense(h) ... -> Dense(784) logits -> 28x28x1. With ``num_classes`` > 0 the one-hot label joins z."""
    latent_dim = check_latent_dim(latent_dim)
    inputs = _inputs(keras.Input(shape=(latent_dim,), name="z"), num_classes)
    h = _join(inputs[0], inputs, "with_label")
    for i, units in enumerate(reversed(tuple(hidden)), 1):
        h = layers.Dense(units, activation=activation, name=f"hidden_{i}")(h)
    h = layers.Dense(int(np.prod(IMAGE_SHAPE)), name="logits")(h)
    return keras.Model(_as_model_inputs(inputs), layers.Reshape(IMAGE_SHAPE, name="image")(h), name="decoder")


def _refuse_weights(given: bool):
    """The loss weighs every image alike: sample or class weights get a clear error instead of being ignored."""
    if given:
        raise ValueError("The VAE's loss weighs every image alike, so it takes no sample_weight or class_weight: "
                         "leave them out (to weigh images, repeat or drop them in the training set).")


def _part(labels, start: int, size: int):
    """labels[start:start + size], or None when there are no labels."""
    return None if labels is None else labels[start : start + size]


@keras.saving.register_keras_serializable(package=PACKAGE)
class VAE(keras.Model):
    """Variational autoencoder with a Gaussian encoder q(z|x), N(0, I) prior and Bernoulli decoder.

    ``call(x)`` returns the decoder's logits for one z ~ q(z|x); ``decode`` and ``reconstruct``
    give pixel probabilities. ``train_step``/``test_step`` track ``loss``,
    ``reconstruction_loss`` (-log p(x|z), summed over pixels) and ``kl_loss`` (summed over
    latent dimensions), each averaged over the batch, with loss = reconstruction + beta * KL.
    With ``dynamic_binarization`` every training batch is resampled as x ~ Bernoulli(x).

    Conditional VAE: when encoder and decoder take the one-hot label as a second input
    (``num_classes`` > 0), the model is q(z|x, y), p(x|z, y) with the same prior p(z) = N(0, I):

        ELBO(x|y) = E_q(z|x,y)[log p(x|z, y)] - KL(q(z|x, y) || p(z))  <=  log p(x|y)

    ``fit(x, labels)`` and every method below take the labels (integers 0 .. num_classes - 1).
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
        # A second input of encoder and decoder is the one-hot label y: a conditional VAE.
        classes = [int(net.inputs[1].shape[-1]) if len(net.inputs) == 2 else 0 for net in (encoder, decoder)]
        if classes[0] != classes[1]:
            raise ValueError(
                f"The encoder takes {classes[0]} label classes and the decoder {classes[1]} (0: no label). "
                f"Build both with the same num_classes."
            )
        self.num_classes = classes[0]
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

    def _expect_labels(self, labels) -> bool:
        """Whether labels are given, after refusing labels for a VAE and their absence for a conditional VAE."""
        if not self.num_classes and labels is not None:
            raise ValueError("This VAE is not conditional, so it takes no labels. Build a conditional one with "
                             "build_vae(..., num_classes=10), or leave out labels.")
        if self.num_classes and labels is None:
            raise ValueError(f"This is a conditional VAE: pass the digit labels too, integers 0-{self.num_classes - 1}, "
                             f"one per image or code: fit(x, labels, validation_data=(x_val, labels_val)), "
                             f"encode(x, labels=...), decode(z, labels=...).")
        return labels is not None

    def with_labels(self, t, labels):
        """The input of a network: images or codes ``t`` alone (a VAE), or [t, one-hot labels] (a conditional VAE)."""
        if not self._expect_labels(labels):
            return t
        return [ops.convert_to_tensor(t, "float32"), ops.one_hot(ops.cast(labels, "int32"), self.num_classes)]

    def call(self, inputs, training=False):
        """Decoder logits for one z ~ q(z|x): ``call(x)``, or ``call((x, labels))`` for a conditional VAE."""
        x, labels = self._split_batch(inputs)
        mean, log_var = self.encoder(self.with_labels(x, labels), training=training)
        return self.decoder(self.with_labels(self.sampling(mean, log_var), labels), training=training)

    def log_likelihood_of_output(self, x, output):
        """log p(x|z) per example, given the decoder's output for z (here Bernoulli logits).

        log p(x|z) = sum_i [x_i * l_i - softplus(l_i)], summed over pixels. A model with
        another decoder distribution overrides this one method.
        """
        return bernoulli_log_likelihood(x, output)

    def log_likelihood_of_codes(self, x, z, labels=None):
        """log p(x|z) (conditional: log p(x|z, y)) per example for codes z of shape (N, latent_dim) or
        (k, N, latent_dim): decodes z first.

        With a leading sample axis, x (N, ...) and the N labels are paired with every z[i] and the result is (k, N).
        """
        x = ops.convert_to_tensor(x, "float32")
        z = ops.convert_to_tensor(z, "float32")
        if len(z.shape) not in (2, 3) or z.shape[-2:] != (len(x), self.latent_dim):
            raise ValueError(f"z must hold codes of shape (N, {self.latent_dim}), one per image, or (k, N, {self.latent_dim}), "
                             f"k per image, for the N = {len(x)} images; got shape {tuple(z.shape)}.")
        if len(z.shape) == 2:
            return self.log_likelihood_of_output(x, self.decoder(self.with_labels(z, labels), training=False))
        k, n = ops.shape(z)[0], ops.shape(z)[1]
        if labels is not None:
            labels = ops.reshape(ops.broadcast_to(ops.convert_to_tensor(labels)[None], (k, n)), (-1,))
        output = self.decoder(self.with_labels(ops.reshape(z, (-1, self.latent_dim)), labels), training=False)
        x_rep = ops.reshape(ops.broadcast_to(x[None], (k, *ops.shape(x))), (-1, *IMAGE_SHAPE))
        return ops.reshape(self.log_likelihood_of_output(x_rep, output), (k, n))

    def binarize_batch(self, x):
        """A fresh binarization x_bin ~ Bernoulli(x) (dynamic binarization, new at every call)."""
        return ops.cast(keras.random.uniform(ops.shape(x), seed=self.binarization_seed) < x, "float32")

    def loss_terms(self, x, training=False, labels=None):
        """Per-example (reconstruction, KL) in nats, each of shape (N,):

            reconstruction = -log p(x|z), one z ~ q(z|x), summed over pixels
            KL = KL(q(z|x) || p(z)), closed form, summed over latent dimensions

        (for a conditional VAE: -log p(x|z, y) and KL(q(z|x, y) || p(z)), given ``labels``).
        In training with ``dynamic_binarization``, x is first resampled as x ~ Bernoulli(x).
        """
        x = ops.convert_to_tensor(x, "float32")
        if training and self.dynamic_binarization:
            x = self.binarize_batch(x)
        mean, log_var = self.encoder(self.with_labels(x, labels), training=training)
        z = self.sampling(mean, log_var)
        logits = self.decoder(self.with_labels(z, labels), training=training)
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

    def _split_batch(self, data):
        """(images, labels) of a batch as ``fit`` passes it: ``x``, ``(x,)`` or ``(x, y)``; labels only if conditional.

        Keras adds a third item for ``sample_weight`` or ``class_weight`` (a dataset can too): refused.
        """
        _refuse_weights(isinstance(data, (tuple, list)) and len(data) > 2)
        if not self.num_classes:
            return (data[0] if isinstance(data, (tuple, list)) else data), None
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError("A conditional VAE trains and evaluates on images with their labels: fit(x, labels), "
                             "validation_data=(x_val, labels_val), evaluate(x, labels).")
        return data[0], data[1]

    def train_step(self, data):
        """One gradient step on loss = mean_batch(reconstruction) + kl_weight * mean_batch(KL)."""
        x, labels = self._split_batch(data)
        with tf.GradientTape() as tape:
            reconstruction, kl = self.loss_terms(x, training=True, labels=labels)
            reconstruction, kl = ops.mean(reconstruction), ops.mean(kl)
            loss = reconstruction + self.kl_weight * kl
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)
        return self._update_metrics(loss, reconstruction, kl)

    def test_step(self, data):
        """The validation loss: mean_batch(reconstruction) + beta * mean_batch(KL), inference mode, no binarization."""
        x, labels = self._split_batch(data)
        reconstruction, kl = self.loss_terms(x, training=False, labels=labels)
        reconstruction, kl = ops.mean(reconstruction), ops.mean(kl)
        return self._update_metrics(reconstruction + self.beta * kl, reconstruction, kl)

    def _checked(self, x, labels, what):
        """NumPy images (and, for a conditional VAE, their labels) checked: (images, labels or None)."""
        x = check_images(x, f"{what} images")
        return x, self._checked_labels(labels, len(x), f"{what} labels")

    def _checked_labels(self, labels, n: int, name: str):
        """``n`` labels checked as digits 0 .. num_classes - 1 (int64), or None for a VAE that takes none."""
        return check_labels(labels, n, self.num_classes, name) if self._expect_labels(labels) else None

    def fit(self, x=None, y=None, *args, validation_data=None, **kwargs):
        """``keras.Model.fit``, after checking that NumPy images are 28x28 and in [0, 1] (and their labels).

        A conditional VAE takes the labels as ``y`` and ``validation_data=(x_val, labels_val)``.
        """
        _refuse_weights(kwargs.get("sample_weight") is not None or kwargs.get("class_weight") is not None)
        if isinstance(x, np.ndarray):
            x, checked = self._checked(x, y, "training")
            y = y if checked is None else checked
        if isinstance(validation_data, np.ndarray):
            validation_data = (validation_data,)
        if isinstance(validation_data, (tuple, list)) and isinstance(validation_data[0], np.ndarray):
            labels = validation_data[1] if len(validation_data) > 1 else None
            x_val, checked = self._checked(validation_data[0], labels if self.num_classes else None, "validation")
            validation_data = (x_val, *([checked] if checked is not None else validation_data[1:]))
        return super().fit(x, y, *args, validation_data=validation_data, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.evaluate``, after the checks of :meth:`fit`; a conditional VAE takes the labels as ``y``."""
        _refuse_weights(kwargs.get("sample_weight") is not None)
        if isinstance(x, np.ndarray):
            x, checked = self._checked(x, y if self.num_classes else None, "evaluation")
            y = y if checked is None else checked
        return super().evaluate(x, y, *args, **kwargs)

    # --- NumPy helpers for notebooks ------------------------------------------------------
    def encode(self, x, batch_size: int = 1000, labels=None):
        """Encoder outputs (mean, log_var) as NumPy arrays of shape (N, latent_dim) (conditional: given ``labels``)."""
        x, labels = self._checked(x, labels, "encoded")
        parts = [self.encoder(self.with_labels(x[i : i + batch_size], _part(labels, i, batch_size)), training=False)
                 for i in range(0, len(x), batch_size)]
        return tuple(np.concatenate([ops.convert_to_numpy(p[j]) for p in parts]) for j in range(2))

    def decode(self, z, batch_size: int = 1000, labels=None) -> np.ndarray:
        """Pixel probabilities sigmoid(decoder(z)), shape (N, 28, 28, 1), in one call per ``batch_size`` codes.

        A conditional VAE decodes each code under its label: ``labels`` holds one digit per code.
        """
        z = check_latent_codes(z, self.latent_dim)
        labels = self._checked_labels(labels, len(z), "labels of the codes")
        parts = [ops.sigmoid(self.decoder(self.with_labels(z[i : i + batch_size], _part(labels, i, batch_size)), training=False))
                 for i in range(0, len(z), batch_size)]
        return np.concatenate([ops.convert_to_numpy(p) for p in parts])

    def reconstruct(self, x, batch_size: int = 1000, labels=None) -> np.ndarray:
        """Reconstructions: the decoded probabilities at the encoder mean of each image (conditional: under its label)."""
        return self.decode(self.encode(x, batch_size, labels)[0], batch_size, labels)

    def load_weights(self, filepath, *args, **kwargs):
        """``keras.Model.load_weights`` with a clear error when the file was saved for another model.

        Keras warns about each layer it skips before it fails; the error says it all, so those
        warnings are dropped when it fails and passed on when it succeeds.
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = super().load_weights(filepath, *args, **kwargs)
            except (ValueError, KeyError) as err:
                raise ValueError(
                    f"The weights in {filepath} do not fit this VAE (latent_dim={self.latent_dim}). Build the "
                    f"model with the configuration the weights were saved with (the same architecture and "
                    f"latent_dim), or retrain it. Keras reported: {err}"
                ) from err
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return result

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
    num_classes: int = 0,
    **arch_kwargs,
) -> VAE:
    """Build and compile (Adam) a VAE. ``arch`` is ``conv`` (the series' main model) or ``mlp``.

    ``num_classes=10`` builds a conditional VAE: encoder and decoder also take the one-hot digit label.

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
        build_encoder(latent_dim, num_classes=num_classes, **arch_kwargs),
        build_decoder(latent_dim, num_classes=num_classes, **arch_kwargs),
        beta=beta,
        dynamic_binarization=dynamic_binarization,
        seed=seed,
        name=f"{arch}_{'cvae' if num_classes else 'vae'}",
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
