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

from vaebook.architectures import check_latent_dim
from vaebook.codes import encode, latent_dim_of
from vaebook.data import IMAGE_SHAPE, check_images
from vaebook.losses import LOG_2PI
from vaebook.model import PACKAGE, VAE

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
    """A VAE with a linear Gaussian decoder p(x|z) = N(W z + b, sigma^2 I) and a learned sigma^2.

    It overrides only the decoder's distribution, :meth:`log_likelihood`; the loss is the VAE's.
    """

    def __init__(self, encoder, decoder, log_noise_var: float = 0.0, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        self.log_noise_var = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(log_noise_var), name="log_noise_var"
        )

    def log_likelihood(self, x, z, training=False):
        """log p(x|z) = log N(x; W z + b, sigma^2 I), summed over pixels."""
        x = ops.reshape(ops.convert_to_tensor(x, "float32"), (ops.shape(x)[0], -1))
        output = self.decoder(z, training=training)
        mu = ops.reshape(output, (ops.shape(output)[0], -1))
        return -0.5 * ops.sum(
            LOG_2PI + self.log_noise_var + ops.square(x - mu) * ops.exp(-self.log_noise_var), axis=-1
        )

    def generative_parameters(self):
        """(W of shape (d, D), b of shape (D,), sigma^2) as float64 NumPy values."""
        kernel, bias = self.decoder.get_layer("W_b").get_weights()
        return kernel.astype(np.float64), bias.astype(np.float64), math.exp(float(ops.convert_to_numpy(self.log_noise_var)))

    def exact_log_marginal(self, x) -> np.ndarray:
        """log p(x) per image in nats, exactly: log N(x; b, W W^T + sigma^2 I), via the d x d Woodbury form."""
        x = check_images(x, "images").reshape(len(x), -1).astype(np.float64)
        kernel, bias, noise_var = self.generative_parameters()
        w = kernel.T  # (D, d)
        d = w.shape[1]
        m = w.T @ w + noise_var * np.eye(d)
        _, logdet_m = np.linalg.slogdet(m)
        logdet_c = (PIXELS - d) * math.log(noise_var) + logdet_m
        r = x - bias
        proj = np.linalg.solve(m, w.T @ r.T).T  # M^{-1} W^T r
        quad = (np.sum(r * r, axis=1) - np.sum((r @ w) * proj, axis=1)) / noise_var
        return -0.5 * (PIXELS * LOG_2PI + logdet_c + quad)

    def exact_posterior(self, x):
        """The true posterior p(z|x) = N(M^{-1} W^T (x - b), sigma^2 M^{-1}), M = W^T W + sigma^2 I.

        Returns (mean of shape (N, d), covariance of shape (d, d)); the covariance is the same
        for every image.
        """
        x = check_images(x, "images").reshape(len(x), -1).astype(np.float64)
        kernel, bias, noise_var = self.generative_parameters()
        m = kernel @ kernel.T + noise_var * np.eye(kernel.shape[0])
        return np.linalg.solve(m, kernel @ (x - bias).T).T, self.posterior_covariance()

    def posterior_covariance(self) -> np.ndarray:
        """sigma^2 M^{-1}, the covariance of p(z|x) (the same for every x), shape (d, d)."""
        kernel, _, noise_var = self.generative_parameters()
        return noise_var * np.linalg.inv(kernel @ kernel.T + noise_var * np.eye(kernel.shape[0]))

    def posterior_kl(self, x) -> np.ndarray:
        """KL(q(z|x) || p(z|x)) per image in nats, in closed form: exactly log p(x) - ELBO(x).

        For Gaussians q = N(m_q, S_q) and p = N(m_p, S_p) in d dimensions,
        KL = 1/2 [tr(S_p^{-1} S_q) + (m_p - m_q)^T S_p^{-1} (m_p - m_q) - d + log det S_p - log det S_q].
        """
        mean_q, log_var_q = (np.asarray(t, np.float64) for t in encode(self, x))
        mean_p, cov_p = self.exact_posterior(x)
        precision = np.linalg.inv(cov_p)
        diff = mean_p - mean_q
        trace = np.exp(log_var_q) @ np.diag(precision)
        quad = np.einsum("ni,ij,nj->n", diff, precision, diff)
        logdet_p = np.linalg.slogdet(cov_p)[1]
        return 0.5 * (trace + quad - latent_dim_of(self) + logdet_p - log_var_q.sum(axis=1))

    def get_config(self):
        return {**super().get_config(), "log_noise_var": float(ops.convert_to_numpy(self.log_noise_var))}


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
    is not diagonal (without R, M is diagonal and a diagonal q(z|x) could be exact).

    The encoder is the best Gaussian with a diagonal covariance, the one that maximises the
    ELBO: the exact posterior mean M^{-1} W^T (x - b), and the mean-field variances
    sigma^2 / diag(M), the inverses of the diagonal of the posterior precision M / sigma^2
    (see :func:`mean_field_variances`). When M is not diagonal they are smaller than the true
    posterior's marginal variances diag(sigma^2 M^{-1}), and the ELBO stays below log p(x) by
    KL(q(z|x) || p(z|x)) = 1/2 [sum_j log M_jj - log det M] > 0 (:meth:`posterior_kl`).
    """
    latent_dim = check_latent_dim(latent_dim)
    x = check_images(x).reshape(len(x), -1).astype(np.float64)
    bias = x.mean(axis=0)
    eigval, eigvec = np.linalg.eigh(np.cov(x - bias, rowvar=False))
    eigval, eigvec = eigval[::-1], eigvec[:, ::-1]
    noise_var = float(np.mean(eigval[latent_dim:]))
    rotation, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((latent_dim, latent_dim)))
    w = eigvec[:, :latent_dim] * np.sqrt(np.maximum(eigval[:latent_dim] - noise_var, 0.0)) @ rotation
    return linear_gaussian_vae(w, bias, noise_var, seed=seed)


def linear_gaussian_vae(w, bias, noise_var: float, seed=None) -> LinearGaussianVAE:
    """The LinearGaussianVAE with decoder p(x|z) = N(w z + bias, noise_var I) and the best diagonal encoder.

    ``w`` has shape (784, d), ``bias`` (784,). The encoder is q(z|x) = N(M^{-1} w^T (x - bias),
    diag(noise_var / diag(M))), M = w^T w + noise_var I: the exact posterior mean and the
    ELBO-optimal diagonal variances (:func:`mean_field_variances`).
    """
    w = np.asarray(w, dtype=np.float64)
    bias = np.asarray(bias, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != PIXELS or bias.shape != (PIXELS,):
        raise ValueError(f"w must have shape ({PIXELS}, latent_dim) and bias ({PIXELS},), got {w.shape} and {bias.shape}.")
    if not (np.isfinite(noise_var) and noise_var > 0):
        raise ValueError(f"noise_var must be a finite number > 0 (a variance), got {noise_var!r}.")
    latent_dim = w.shape[1]
    m = w.T @ w + noise_var * np.eye(latent_dim)
    a = np.linalg.solve(m, w.T)  # (d, D): the posterior mean is a (x - bias)

    vae = build_linear_vae(latent_dim, seed=seed)
    vae.decoder.get_layer("W_b").set_weights([w.T.astype(np.float32), bias.astype(np.float32)])
    vae.encoder.get_layer("z_mean").set_weights([a.T.astype(np.float32), (-a @ bias).astype(np.float32)])
    vae.log_noise_var.assign(math.log(noise_var))
    _set_encoder_variances(vae, mean_field_variances(vae))
    return vae


def mean_field_variances(vae: LinearGaussianVAE) -> np.ndarray:
    """The ELBO-optimal variances of a diagonal q(z|x): sigma^2 / diag(M), shape (latent_dim,).

    For this model log p(x, z) is quadratic in z with Hessian -M / sigma^2, minus the posterior
    precision M / sigma^2, so for q = N(m, diag(s^2)) the ELBO is, up to terms free of s^2,
    sum_j [-M_jj s_j^2 / (2 sigma^2) + log(s_j)], maximised at s_j^2 = sigma^2 / M_jj. That is the
    posterior's variance of z_j with the other coordinates held fixed, never more than its
    marginal variance (sigma^2 M^{-1})_jj, and equal to it for every j only when M is diagonal.
    """
    return 1.0 / np.diag(np.linalg.inv(vae.posterior_covariance()))


def _set_encoder_variances(vae, variances):
    layer = vae.encoder.get_layer("z_log_var")
    kernel, _ = layer.get_weights()
    layer.set_weights([np.zeros_like(kernel), np.log(variances).astype(np.float32)])


def copy_linear_vae(vae: LinearGaussianVAE) -> LinearGaussianVAE:
    """A new, compiled LinearGaussianVAE with the same weights; changing it leaves ``vae`` alone."""
    copy = LinearGaussianVAE(
        build_linear_encoder(latent_dim_of(vae)),
        build_linear_decoder(latent_dim_of(vae)),
        log_noise_var=float(ops.convert_to_numpy(vae.log_noise_var)),
        seed=vae.seed,
        name=vae.name,
    )
    copy.encoder.set_weights(vae.encoder.get_weights())
    copy.decoder.set_weights(vae.decoder.get_weights())
    copy.compile(optimizer=keras.optimizers.Adam())
    return copy


def with_encoder_variances(vae: LinearGaussianVAE, variances) -> LinearGaussianVAE:
    """A copy of ``vae`` whose q(z|x) has the same mean and the fixed ``variances`` (one per latent dimension)."""
    variances = np.asarray(variances, dtype=np.float64)
    if variances.shape != (latent_dim_of(vae),) or not np.all(np.isfinite(variances)) or np.any(variances <= 0):
        raise ValueError(
            f"variances must be {latent_dim_of(vae)} finite numbers > 0 (one per latent dimension), got {variances!r}."
        )
    copy = copy_linear_vae(vae)
    _set_encoder_variances(copy, variances)
    return copy


def widen_encoder(vae: LinearGaussianVAE, factor: float) -> LinearGaussianVAE:
    """A copy of ``vae`` with every variance of q(z|x) multiplied by ``factor`` (log_var + log factor).

    A deliberately worse encoder: the ELBO drops below log p(x) by more, which shows the gap.
    ``vae`` itself is not changed, so calling this twice gives the same model twice.
    """
    if not np.isfinite(factor) or factor <= 0:
        raise ValueError(f"factor must be a finite number > 0 (it multiplies variances), got {factor!r}.")
    copy = copy_linear_vae(vae)
    layer = copy.encoder.get_layer("z_log_var")
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel, bias + np.float32(math.log(factor))])
    return copy
