"""The conditional VAE of notebook 06, exactly as its page defines it, and the analyses it runs.

A conditional VAE has an encoder q(z|x, y) and a decoder p(x|z, y): the digit label y, one-hot,
is an input of both networks, and the prior p(z) = N(0, I) stays. Its ELBO bounds log p(x|y):

    ELBO(x|y) = E_q(z|x,y)[log p(x|z, y)] - KL(q(z|x, y) || p(z))  <=  log p(x|y)

:class:`ConditionalVAE` is notebook 03's :class:`vaebook.model.VAE` with two methods changed, the
two places where a network runs; its inputs are pairs (images, labels). The builders and the class
are the code of notebook 06's page (``tests/test_taught_code.py`` fails when the two differ).

Scored under every label, an image gets K estimates log p_k(x|y) (importance sampling with
k draws from q(z|x, y), :func:`vaebook.evaluate.importance_log_likelihood`); each p_k(x|y) is
an unbiased estimate of p(x|y). Without the label, with p(y) = 1/K, their average is an
unbiased estimate of p(x) = sum_y p(y) p(x|y), so (Jensen) in expectation

    logsumexp_y log p_k(x|y) - log K  <=  log p(x)        (label_free_bound)

and the label with the highest estimate is the model's guess of the digit (Bayes' rule with a
uniform p(y)).
"""

from __future__ import annotations

import math

import numpy as np
import keras
from keras import layers, ops
from scipy.special import logsumexp

from vaebook.codes import check_latent_codes, decode, latent_dim_of, num_classes_of
from vaebook.data import check_images
from vaebook.evaluate import importance_log_likelihood
from vaebook.model import VAE


def build_conditional_encoder(latent_dim=2, num_classes=10):
    """q(z|x, y): notebook 03's conv encoder, with the one-hot label joined to the flattened features."""
    image = keras.Input(shape=(28, 28, 1), name="image")
    label = keras.Input(shape=(num_classes,), name="label")
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv_1")(image)
    h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv_2")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Concatenate(name="with_label")([h, label])
    h = layers.Dense(16, activation="relu", name="hidden")(h)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model([image, label], [z_mean, z_log_var], name="encoder")


def build_conditional_decoder(latent_dim=2, num_classes=10):
    """p(x|z, y): notebook 03's conv decoder, with the one-hot label joined to z."""
    z = keras.Input(shape=(latent_dim,), name="z")
    label = keras.Input(shape=(num_classes,), name="label")
    h = layers.Concatenate(name="with_label")([z, label])
    h = layers.Dense(7 * 7 * 64, activation="relu", name="hidden")(h)
    h = layers.Reshape((7, 7, 64), name="reshape")(h)
    h = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu", name="deconv_1")(h)
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu", name="deconv_2")(h)
    logits = layers.Conv2DTranspose(1, 3, padding="same", name="logits")(h)
    return keras.Model([z, label], logits, name="decoder")


@keras.saving.register_keras_serializable(package="vaebook")
class ConditionalVAE(VAE):
    """A VAE whose encoder and decoder also take the digit label: its inputs are pairs (images, labels).

    It trains with ``fit((x, labels), validation_data=((x_val, labels_val),))``; the loss is the
    VAE's, and with beta = 1 it estimates -ELBO(x|y).
    """

    @property
    def num_classes(self):
        return self.encoder.inputs[1].shape[-1]

    def with_label(self, t, labels):
        """The input of a network that also takes the label: [t, one-hot labels]."""
        return [ops.convert_to_tensor(t, "float32"), ops.one_hot(ops.cast(labels, "int32"), self.num_classes)]

    def call(self, inputs, training=False):
        """q(z|x, y): the encoder's (mean, log_var) for the pairs (images, labels)."""
        images, labels = inputs
        return self.encoder(self.with_label(images, labels), training=training)

    def log_likelihood(self, inputs, z, training=False):
        """log p(x|z, y) per image: the decoder is given the label with the code."""
        images, labels = inputs
        return super().log_likelihood(images, self.with_label(z, labels), training=training)


def _check_conditional(vae):
    if not num_classes_of(vae):
        raise ValueError("This needs a conditional VAE (build_vae(..., num_classes=10), or pretrained.load('cvae')); "
                         "this VAE takes no labels.")
    return num_classes_of(vae)


def decode_under_every_label(vae, z) -> np.ndarray:
    """Each code z_i decoded under every label: pixel probabilities of shape (len(z) * K, 28, 28, 1),
    row-major, so row i of a grid with K columns is z_i as the digits 0 .. K - 1."""
    k = _check_conditional(vae)
    z = check_latent_codes(z, latent_dim_of(vae))
    return decode(vae, np.repeat(z, k, axis=0), labels=np.tile(np.arange(k), len(z)))


def log_likelihood_under_every_label(vae, x, k: int = 5, seed: int = 0) -> np.ndarray:
    """Importance-sampled log p_k(x|y) of each image under every label y, in nats: shape (N, K labels).

    Column y is :func:`vaebook.evaluate.importance_log_likelihood` with every image given label
    y (``k`` draws of z ~ q(z|x, y) per image, the same ``seed`` for every label). With k = 1
    it is a one-sample ELBO(x|y), with the KL estimated by the same draw.
    """
    labels = _check_conditional(vae)
    x = check_images(x)
    return np.stack([importance_log_likelihood(vae, x, k=k, seed=seed, labels=np.full(len(x), y)) for y in range(labels)],
                    axis=1)


def label_free_bound(log_liks) -> np.ndarray:
    """logsumexp_y log_liks[:, y] - log K for estimates log p_k(x|y) of shape (N, K): a bound on log p(x), in
    expectation, that uses no label; shape (N,)."""
    log_liks = np.asarray(log_liks, np.float64)
    if log_liks.ndim != 2:
        raise ValueError(f"log_liks have shape {log_liks.shape}; expected (N, K), one column per label "
                         f"(log_likelihood_under_every_label).")
    return logsumexp(log_liks, axis=1) - math.log(log_liks.shape[1])
