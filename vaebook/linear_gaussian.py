"""A linear-Gaussian VAE (probabilistic PCA), the one VAE whose log p(x) is known exactly.

Generative model, with x flattened to D = 784 pixels and z in R^d:

    p(z) = N(0, I),   p(x|z) = N(W z + b, sigma^2 I)   =>   p(x) = N(b, C),  C = W W^T + sigma^2 I

    log p(x) = -1/2 [D log(2 pi) + log det C + (x - b)^T C^{-1} (x - b)]

The exact posterior is p(z|x) = N(M^{-1} W^T (x - b), sigma^2 M^{-1}) with M = W^T W + sigma^2 I.
The encoder q(z|x) = N(A x + c, diag(exp(log_var))) is linear with a diagonal covariance, so
when M is not diagonal the ELBO stays strictly below log p(x), and importance sampling closes
the gap. That makes this model the exact check of :mod:`vaebook.evaluate`.
"""

from __future__ import annotations

import math

import numpy as np
import keras
from keras import layers, ops

from vaebook.data import IMAGE_SHAPE, check_images
from vaebook.losses import LOG_2PI
from vaebook.model import PACKAGE, VAE, check_latent_dim

PIXELS = int(np.prod(IMAGE_SHAPE))


def build_linear_encoder(latent_dim: int) -> keras.Model:
    """q(z|x) = N(A x + c, diag(exp(log_var))): linear mean, log-variance linear in x too."""
    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
    h = layers.Flatten(name="flatten")(inputs)
    mean = layers.Dense(latent_dim, name="z_mean")(h)
    log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model(inputs, [mean, log_var], name="encoder")


def build_linear_decoder(latent_dim: int) -> keras.Model:
    """The mean of p(x|z): W z + b, reshaped to 28x28x1."""
    z = keras.Input(shape=(latent_dim,), name="z")
    h = layers.Dense(PIXELS, name="W_b")(z)
    return keras.Model(z, layers.Reshape(IMAGE_SHAPE, name="image")(h), name="decoder")


@keras.saving.register_keras_serializable(package=PACKAGE)
class LinearGaussianVAE(VAE):
    """A VAE with a linear Gaussian decoder p(x|z) = N(W z + b, sigma^2 I) and a learned sigma^2."""

    def __init__(self, encoder, decoder, log_noise_var: float = 0.0, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        self.log_noise_var = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(log_noise_var), name="log_noise_var"
        )

    def decoder_log_likelihood(self, x, decoded):
        """log N(x; W z + b, sigma^2 I), summed over pixels."""
        x = ops.reshape(ops.convert_to_tensor(x, "float32"), (ops.shape(x)[0], -1))
        mu = ops.reshape(decoded, (ops.shape(decoded)[0], -1))
        return -0.5 * ops.sum(
            LOG_2PI + self.log_noise_var + ops.square(x - mu) * ops.exp(-self.log_noise_var), axis=-1
        )

    def parameters(self):
        """(W of shape (d, D), b of shape (D,), sigma^2) as float64 NumPy values."""
        kernel, bias = self.decoder.get_layer("W_b").get_weights()
        return kernel.astype(np.float64), bias.astype(np.float64), math.exp(float(self.log_noise_var.numpy()))

    def exact_log_marginal(self, x) -> np.ndarray:
        """log p(x) per image in nats, exactly: log N(x; b, W W^T + sigma^2 I), via the d x d Woodbury form."""
        x = check_images(x, "images").reshape(len(x), -1).astype(np.float64)
        kernel, bias, noise_var = self.parameters()
        w = kernel.T  # (D, d)
        d = w.shape[1]
        m = w.T @ w + noise_var * np.eye(d)
        _, logdet_m = np.linalg.slogdet(m)
        logdet_c = (PIXELS - d) * math.log(noise_var) + logdet_m
        r = x - bias
        proj = np.linalg.solve(m, w.T @ r.T).T  # M^{-1} W^T r
        quad = (np.sum(r * r, axis=1) - np.sum((r @ w) * proj, axis=1)) / noise_var
        return -0.5 * (PIXELS * LOG_2PI + logdet_c + quad)

    def get_config(self):
        return {**super().get_config(), "log_noise_var": float(self.log_noise_var.numpy())}


def build_linear_vae(latent_dim: int = 5, seed=None, learning_rate: float = 1e-3) -> LinearGaussianVAE:
    """Build and compile a linear-Gaussian VAE to be trained with ``fit`` like any VAE."""
    latent_dim = check_latent_dim(latent_dim)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    vae = LinearGaussianVAE(
        build_linear_encoder(latent_dim), build_linear_decoder(latent_dim), seed=seed, name="linear_vae"
    )
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate))
    return vae


def fit_ppca(x, latent_dim: int = 5, seed: int = 0) -> LinearGaussianVAE:
    """Probabilistic PCA by maximum likelihood (Tipping & Bishop 1999), as a LinearGaussianVAE.

    b = mean(x); sigma^2 = mean of the discarded covariance eigenvalues;
    W = U_d (Lambda_d - sigma^2 I)^{1/2} R, with a random rotation R so that M = W^T W + sigma^2 I
    is not diagonal. The encoder is set to the exact posterior mean M^{-1} W^T (x - b) and the
    exact posterior marginal variances diag(sigma^2 M^{-1}): the best linear encoder with a
    diagonal covariance, which still leaves a gap between the ELBO and log p(x).
    """
    latent_dim = check_latent_dim(latent_dim)
    x = check_images(x).reshape(len(x), -1).astype(np.float64)
    bias = x.mean(axis=0)
    eigval, eigvec = np.linalg.eigh(np.cov(x - bias, rowvar=False))
    eigval, eigvec = eigval[::-1], eigvec[:, ::-1]
    noise_var = float(np.mean(eigval[latent_dim:]))
    rotation, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((latent_dim, latent_dim)))
    w = eigvec[:, :latent_dim] * np.sqrt(np.maximum(eigval[:latent_dim] - noise_var, 0.0)) @ rotation
    m = w.T @ w + noise_var * np.eye(latent_dim)
    a = np.linalg.solve(m, w.T)  # (d, D)
    post_log_var = np.log(np.diag(noise_var * np.linalg.inv(m)))

    vae = build_linear_vae(latent_dim, seed=seed)
    vae.decoder.get_layer("W_b").set_weights([w.T.astype(np.float32), bias.astype(np.float32)])
    vae.encoder.get_layer("z_mean").set_weights([a.T.astype(np.float32), (-a @ bias).astype(np.float32)])
    vae.encoder.get_layer("z_log_var").set_weights(
        [np.zeros((PIXELS, latent_dim), np.float32), post_log_var.astype(np.float32)]
    )
    vae.log_noise_var.assign(math.log(noise_var))
    return vae


def widen_encoder(vae: LinearGaussianVAE, factor: float) -> LinearGaussianVAE:
    """Multiply every variance of q(z|x) by ``factor`` in place (log_var += log factor); returns the model.

    A deliberately worse encoder: the ELBO drops below log p(x) by more, which shows the gap.
    """
    if not np.isfinite(factor) or factor <= 0:
        raise ValueError(f"factor must be a finite number > 0 (it multiplies variances), got {factor!r}.")
    layer = vae.encoder.get_layer("z_log_var")
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel, bias + np.float32(math.log(factor))])
    return vae
