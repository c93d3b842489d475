"""The terms of the ELBO, per example, written with ``keras.ops``.

Every function returns one value per example: it sums over pixels or latent
dimensions and never averages over the batch. Take the batch mean at the very end.

For q(z|x) = N(mu, diag(sigma^2)) and p(z) = N(0, I), with log_var = log sigma^2:

    KL(q(z|x) || p(z)) = -1/2 * sum_j (1 + log_var_j - mu_j^2 - exp(log_var_j))  >= 0

For a Bernoulli decoder with logits l = log(p / (1 - p)):

    log p(x|z) = sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)]
               = sum_i [x_i l_i - softplus(l_i)]
               = - sum_i BCE(x_i, p_i)

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z))  <=  log p(x)
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

LOG_2PI = math.log(2.0 * math.pi)


def _sum_all_but_batch(t):
    return ops.sum(ops.reshape(t, (ops.shape(t)[0], -1)), axis=-1)


def gaussian_kl(mean, log_var):
    """KL(N(mean, diag(exp(log_var))) || N(0, I)) per example, summed over latent dimensions.

    KL = -1/2 * sum_j (1 + log_var_j - mean_j^2 - exp(log_var_j))
       = 1/2 * sum_j (mean_j^2 + [exp(log_var_j) - 1 - log_var_j]).

    The bracket is computed as ``expm1(log_var) - log_var``, which is >= 0 and exact near 0,
    so the result is never negative and is exactly 0 at mean = 0, log_var = 0.
    """
    mean = ops.convert_to_tensor(mean, "float32")
    log_var = ops.convert_to_tensor(log_var, "float32")
    variance_term = ops.maximum(ops.expm1(log_var) - log_var, 0.0)
    return 0.5 * ops.sum(ops.square(mean) + variance_term, axis=-1)


def bernoulli_log_likelihood(x, logits):
    """log p(x|z) per example for a Bernoulli decoder, summed over all pixels.

    log p(x|z) = sum_i [x_i * l_i - softplus(l_i)], with l the decoder's logits.
    This is minus the binary cross-entropy summed over pixels, computed from logits
    so that it never takes log(0).
    """
    x = ops.convert_to_tensor(x, "float32")
    logits = ops.convert_to_tensor(logits, "float32")
    x = ops.reshape(x, ops.shape(logits))
    return _sum_all_but_batch(x * logits - ops.softplus(logits))


def reparameterize(mean, log_var, eps):
    """The reparameterization trick: z = mean + exp(0.5 * log_var) * eps.

    With eps ~ N(0, I), z ~ N(mean, diag(exp(log_var))), and z is a differentiable function of
    mean and log_var. The caller draws eps, so the caller decides how the noise is seeded.
    """
    mean, log_var, eps = (ops.convert_to_tensor(t, "float32") for t in (mean, log_var, eps))
    return mean + ops.exp(0.5 * log_var) * eps


def gaussian_log_density(z, mean, log_var):
    """log N(z; mean, diag(exp(log_var))) summed over the last axis.

    log N = -1/2 * sum_j (log(2 pi) + log_var_j + (z_j - mean_j)^2 / exp(log_var_j)).
    With mean = 0 and log_var = 0 this is the standard normal prior log p(z).
    """
    z = ops.convert_to_tensor(z, "float32")
    mean = ops.convert_to_tensor(mean, "float32")
    log_var = ops.convert_to_tensor(log_var, "float32")
    return -0.5 * ops.sum(LOG_2PI + log_var + ops.square(z - mean) * ops.exp(-log_var), axis=-1)


def elbo(x, logits, mean, log_var):
    """Single-sample ELBO per example: log p(x|z) - KL(q(z|x) || p(z)), with z ~ q(z|x) behind ``logits``."""
    return bernoulli_log_likelihood(x, logits) - gaussian_kl(mean, log_var)


def gaussian_kl_monte_carlo(mean, log_var, samples: int = 100_000, seed: int = 0):
    """Monte Carlo estimate of KL(q || N(0, I)) per example: the mean of log q(z) - log p(z) over z ~ q.

    A check on :func:`gaussian_kl`; returns (estimate, standard error), each of shape (N,).
    """
    mean, log_var = np.asarray(mean, np.float32), np.asarray(log_var, np.float32)
    if mean.shape != log_var.shape or mean.ndim != 2:
        raise ValueError(f"mean {mean.shape} and log_var {log_var.shape} must both have shape (N, latent_dim).")
    eps = np.random.default_rng(seed).standard_normal((samples, *mean.shape)).astype(np.float32)
    z = reparameterize(mean, log_var, eps)
    log_ratio = ops.convert_to_numpy(gaussian_log_density(z, mean, log_var) - gaussian_log_density(z, 0.0, 0.0))
    log_ratio = log_ratio.astype(np.float64)
    return log_ratio.mean(axis=0), log_ratio.std(axis=0, ddof=1) / np.sqrt(samples)
