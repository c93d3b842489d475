"""The VAE of notebook 03, exactly as its page defines it: ``Sampling``, the conv encoder and
decoder, the ``VAE`` model and the ``KLWarmup`` callback.

A test (``tests/test_taught_code.py``) fails when these definitions and the notebook's differ,
so the code a reader edits and trains on the page is the code the package runs.

The model is written with ``keras.ops`` and ``keras.random`` only, and its loss lives in
``compute_loss``, which Keras' own training step calls on every backend: it trains on
TensorFlow (the default and the reference for the notebooks' outputs), JAX and PyTorch. There is
no symbolic ``add_loss`` and no ``Lambda`` layer. Everything around the model (building and
compiling any architecture, NumPy helpers with input checks, evaluation) lives in other modules:
:mod:`vaebook.architectures`, :mod:`vaebook.codes`, :mod:`vaebook.training`, :mod:`vaebook.evaluate`.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from vaebook.checks import whole_number
from vaebook.losses import bernoulli_log_likelihood, gaussian_kl, reparameterize

PACKAGE = "vaebook"
SUPPORTED_BACKENDS = ("tensorflow", "jax", "torch")

if keras.backend.backend() not in SUPPORTED_BACKENDS:
    raise ImportError(
        f"vaebook runs on the Keras backends {', '.join(SUPPORTED_BACKENDS)}, but Keras is using "
        f"{keras.backend.backend()!r}: set KERAS_BACKEND=tensorflow (or jax, or torch) before the first `import keras`."
    )


@keras.saving.register_keras_serializable(package="vaebook")
class Sampling(layers.Layer):
    """The reparameterization trick: z = mean + exp(log_var / 2) * eps, eps ~ N(0, I).

    eps comes from a seeded ``SeedGenerator``, a state that advances at every call, so a seed
    makes training repeatable while every step draws new noise.
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


def build_conv_encoder(latent_dim=2):
    """q(z|x): 28x28x1 -> Conv(32, stride 2) -> Conv(64, stride 2) -> Dense(16) -> (z_mean, z_log_var)."""
    image = keras.Input(shape=(28, 28, 1), name="image")
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv_1")(image)
    h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv_2")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dense(16, activation="relu", name="hidden")(h)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model(image, [z_mean, z_log_var], name="encoder")


def build_conv_decoder(latent_dim=2):
    """p(x|z): z -> Dense(7*7*64) -> ConvTranspose(64, stride 2) -> ConvTranspose(32, stride 2) -> 28x28x1 logits."""
    z = keras.Input(shape=(latent_dim,), name="z")
    h = layers.Dense(7 * 7 * 64, activation="relu", name="hidden")(z)
    h = layers.Reshape((7, 7, 64), name="reshape")(h)
    h = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu", name="deconv_1")(h)
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu", name="deconv_2")(h)
    logits = layers.Conv2DTranspose(1, 3, padding="same", name="logits")(h)
    return keras.Model(z, logits, name="decoder")


@keras.saving.register_keras_serializable(package="vaebook")
class VAE(keras.Model):
    """A VAE: Gaussian encoder q(z|x), prior p(z) = N(0, I), Bernoulli decoder p(x|z).

    ``call(x)`` is the encoder: it returns (mean, log_var) of q(z|x). Keras' training step
    calls it, then ``compute_loss``, which samples z ~ q(z|x) and returns

        loss = mean over the batch of [-log p(x|z) + w * KL(q(z|x) || p(z))]

    with -log p(x|z) summed over pixels and KL summed over latent dimensions. w is
    ``kl_weight`` in training (beta, or less during a KL warm-up) and beta in evaluation; with
    beta = 1 the loss is a one-sample estimate of the negative ELBO. The metrics
    ``reconstruction_loss`` and ``kl_loss`` track the two batch means.
    """

    def __init__(self, encoder, decoder, beta=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = keras.Variable(beta, trainable=False, dtype="float32", name="kl_weight")
        self.encoder = encoder
        self.decoder = decoder
        self.beta = beta
        self.seed = seed
        self.sampling = Sampling(seed=seed, name="sampling")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    def build(self, input_shape=None):
        """Nothing to build: the encoder and decoder arrive built, and sampling has no weights."""

    def call(self, x, training=False):
        """q(z|x): the encoder's (mean, log_var) for the images x."""
        return self.encoder(x, training=training)

    def log_likelihood(self, x, z, training=False):
        """log p(x|z) per image: x under the Bernoulli pixels whose logits the decoder gives for z, summed over pixels."""
        return bernoulli_log_likelihood(x, self.decoder(z, training=training))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The loss of one batch; ``y_pred`` is what ``call(x)`` returned: (mean, log_var)."""
        if sample_weight is not None:
            raise ValueError("The VAE's loss weighs every image alike: leave out sample_weight and class_weight.")
        mean, log_var = y_pred
        z = self.sampling(mean, log_var)
        reconstruction = ops.mean(-self.log_likelihood(x, z, training=training))
        kl = ops.mean(gaussian_kl(mean, log_var))
        batch_size = ops.shape(mean)[0]
        self.reconstruction_tracker.update_state(reconstruction, sample_weight=batch_size)
        self.kl_tracker.update_state(kl, sample_weight=batch_size)
        return reconstruction + (self.kl_weight if training else self.beta) * kl

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("encoder", "decoder"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)


class KLWarmup(keras.callbacks.Callback):
    """KL warm-up: in epoch e (counted from 0) the KL weight is beta * min(1, (e + 1) / epochs).

    The decoder learns to use the code while the code is still cheap; afterwards the weight is beta.
    """

    def __init__(self, epochs):
        super().__init__()
        self.epochs = whole_number("KL warm-up epochs", epochs, 0, why="0: no warm-up")

    def weight(self, epoch, beta):
        """The KL weight of epoch ``epoch``."""
        return beta if self.epochs == 0 else beta * min(1.0, (epoch + 1) / self.epochs)

    def on_epoch_begin(self, epoch, logs=None):
        self.model.kl_weight.assign(self.weight(epoch, self.model.beta))

    def on_train_end(self, logs=None):
        self.model.kl_weight.assign(self.model.beta)
