"""Reference solutions to the exercises at the end of notebooks 01-06.

Try the exercises before reading this. Each function here is the answer that
:mod:`vaebook.exercises` checks yours against; where ``vaebook`` already implements the
formula, the solution calls that code, so the maths is written once.

Code exercises (the reader writes the function):

- 01 ``share_within(codes, radius)``: share of codes with ||z|| <= radius.
- 02 ``kl_to_prior(mean, log_var)``: KL(N(mean, diag(exp(log_var))) || N(0, I)) per example.
- 02 ``reparameterize(mean, log_var, eps)``: z = mean + exp(log_var / 2) * eps.
- 02 ``score_function_gradient(f, mu, sigma, eps)``: mean of f(z) (z - mu) / sigma^2.
- 03 ``log_likelihood_from_logits(x, logits)``: sum_i [x_i l_i - softplus(l_i)] per image.
- 03 ``warmup_weight(epoch, beta, warmup_epochs)``: beta * min(1, (epoch + 1) / warmup_epochs).
- 04 ``line_between(z_start, z_end, steps)``: (1 - t) z_start + t z_end, t = 0 .. 1.
- 04 ``prior_quantiles(n, eps)``: Phi^{-1}(p) for n probabilities p evenly spaced in [eps, 1 - eps].
- 05 ``importance_weighted_bound(log_w)``: logsumexp_i log_w[i] - log k, per image.
- 06 ``one_hot(labels, num_classes)``: row n is 1 at column labels[n], 0 elsewhere.
- 06 ``label_free_bound(log_liks)``: logsumexp_y log p(x|y) - log K, per image, for shape (N, K).

Number exercises (the reader computes a number from the notebook's models and data): the
functions below that take a model or data compute it.
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops
from scipy.special import logsumexp

from vaebook.anomaly import roc_auc
from vaebook.codes import encode
from vaebook.conditional import label_free_bound as _label_free_bound
from vaebook.estimators import score_function_terms
from vaebook.evaluate import sample_digit_shares
from vaebook.latent import interpolate, prior_radius, prior_samples, quantile_values
from vaebook.latent import share_within as _share_within
from vaebook.losses import bernoulli_log_likelihood, gaussian_kl
from vaebook.model import KLWarmup
from vaebook.losses import reparameterize as _reparameterize

# --- notebook 01 ------------------------------------------------------------------------------


def share_within(codes, radius: float) -> float:
    """Share of the codes (N, latent_dim) at distance ||z|| = sqrt(sum_j z_j^2) <= radius from 0."""
    return _share_within(codes, radius)


def vae_share_within(vae, x, radius: float = 1.0) -> float:
    """Share of the encoder means of images ``x`` within ``radius`` of the origin.

    Under the 2-d prior N(0, I) the share within radius 1 is 1 - exp(-1/2), about 0.39.
    """
    return share_within(encode(vae, x)[0], radius)


def prior_radius_by_sampling(mass: float = 0.95, samples: int = 100_000, seed: int = 0) -> float:
    """The radius that holds ``mass`` of the 2-d prior, estimated from samples: the ``mass``
    quantile of the distances ||z|| of z ~ N(0, I). Exactly, it is :func:`vaebook.latent.prior_radius`.
    """
    z = prior_samples(samples, latent_dim=2, seed=seed)
    return float(np.quantile(np.linalg.norm(z, axis=1), mass))


# --- notebook 02 ------------------------------------------------------------------------------


def kl_to_prior(mean, log_var) -> np.ndarray:
    """KL(N(mean, diag(exp(log_var))) || N(0, I)) = -1/2 sum_j (1 + log_var_j - mean_j^2 - exp(log_var_j)), shape (N,)."""
    return ops.convert_to_numpy(gaussian_kl(mean, log_var))


def reparameterize(mean, log_var, eps) -> np.ndarray:
    """z = mean + exp(log_var / 2) * eps: the standard deviation sigma = exp(log_var / 2) scales eps."""
    return ops.convert_to_numpy(_reparameterize(*(ops.convert_to_tensor(t, "float32") for t in (mean, log_var, eps))))


def score_function_gradient(f, mu: float, sigma: float, eps) -> float:
    """The score-function estimate of d/dmu E_{z ~ N(mu, sigma^2)}[f(z)] from the draws z = mu + sigma * eps:

        mean over the draws of f(z) * (z - mu) / sigma^2,

    with (z - mu) / sigma^2 = d/dmu log N(z; mu, sigma^2), the score.
    """
    z = mu + sigma * np.asarray(eps, np.float64)
    return float(np.mean(score_function_terms(f(z), z, mu, sigma)))


def mean_kl_to_prior(model, x) -> float:
    """The encoder's KL(q(z|x) || p(z)), averaged over the images ``x``, in nats per image."""
    return float(np.mean(kl_to_prior(*encode(model, x))))


# --- notebook 03 ------------------------------------------------------------------------------


def log_likelihood_from_logits(x, logits) -> np.ndarray:
    """Bernoulli log p(x|z) = sum_i [x_i l_i - softplus(l_i)] over all the pixels of each image, shape (N,)."""
    return ops.convert_to_numpy(bernoulli_log_likelihood(x, logits))


def warmup_weight(epoch: int, beta: float, warmup_epochs: int) -> float:
    """The KL weight of epoch ``epoch`` (counted from 0): beta * min(1, (epoch + 1) / warmup_epochs),
    and beta throughout when warmup_epochs = 0 (no warm-up)."""
    return float(KLWarmup(warmup_epochs).weight(epoch, beta))


def kl_per_dimension(model, x) -> np.ndarray:
    """The average KL(q(z_j|x) || N(0, 1)) of each latent dimension j over the images ``x``, shape (latent_dim,).

    The KL of a diagonal Gaussian is a sum over dimensions, so these add up to the total KL.
    """
    return kl_terms(*encode(model, x)).mean(axis=0)


def kl_terms(mean, log_var) -> np.ndarray:
    """The KL of each latent dimension on its own, KL(N(mean_j, exp(log_var_j)) || N(0, 1)), shape (N, d):
    the terms that :func:`kl_to_prior` sums."""
    return np.stack([kl_to_prior(mean[:, [j]], log_var[:, [j]]) for j in range(mean.shape[1])], axis=1)


def largest_dimension_kl(model, x) -> float:
    """The average KL, in nats per image, of the latent dimension that carries the most."""
    return float(kl_per_dimension(model, x).max())


# --- notebook 04 ------------------------------------------------------------------------------


def line_between(z_start, z_end, steps: int) -> np.ndarray:
    """``steps`` codes (1 - t) z_start + t z_end, t evenly spaced from 0 to 1: shape (steps, latent_dim)."""
    return interpolate(z_start, z_end, steps)


def prior_quantiles(n: int, eps: float) -> np.ndarray:
    """Phi^{-1}(p) for n probabilities p evenly spaced from eps to 1 - eps (Phi: the standard normal CDF)."""
    return quantile_values(n, eps)


def share_read_as(vae, read, digit: int = 0, samples: int = 200, seed: int = 0) -> float:
    """Share of ``samples`` prior samples, ``prior_samples(samples, latent_dim, seed)`` decoded by
    ``vae``, that the digit reader ``read`` reads as ``digit``."""
    return float(sample_digit_shares(vae, read, samples, seed)[digit])


# --- notebook 05 ------------------------------------------------------------------------------


def importance_weighted_bound(log_w) -> np.ndarray:
    """log (1/k) sum_i exp(log_w[i]) = logsumexp_i log_w[i] - log k, for log weights of shape (k, N).

    log_w[i, n] = log p(x_n|z_i) + log p(z_i) - log q(z_i|x_n) with z_i ~ q(z|x_n); the result,
    shape (N,), is the bound of Burda et al. (2015) that :func:`vaebook.evaluate.importance_log_likelihood`
    computes in chunks. logsumexp subtracts the largest log weight before exponentiating, so
    log weights of -1000 do not underflow.
    """
    log_w = np.asarray(log_w, np.float64)
    return logsumexp(log_w, axis=0) - math.log(log_w.shape[0])


def negative_elbo_increase(points, betas, beta: float = 4.0, baseline: float = 1.0) -> float:
    """How many nats per image -ELBO = D + R is higher at ``beta`` than at ``baseline``, from the
    rate-distortion ``points`` (dicts with "rate" and "distortion", one per value of ``betas``)."""
    totals = {b: p["rate"] + p["distortion"] for b, p in zip(betas, points)}
    return float(totals[beta] - totals[baseline])


def ink(x) -> np.ndarray:
    """The total ink of each image: the sum of its pixel values, shape (N,)."""
    x = np.asarray(x, np.float64)
    return x.reshape(len(x), -1).sum(axis=1)


def ink_auc(x, labels, digit: int = 7) -> float:
    """ROC AUC of the ink score (more ink, higher score) for "is a ``digit``"."""
    return roc_auc(np.asarray(labels) == digit, ink(x))


# --- notebook 06 ------------------------------------------------------------------------------


def one_hot(labels, num_classes: int = 10) -> np.ndarray:
    """The one-hot codes a conditional VAE's networks receive: shape (N, num_classes), row n is 1 at labels[n]."""
    labels = np.asarray(labels, np.int64)
    return np.eye(num_classes)[labels]


def label_free_bound(log_liks) -> np.ndarray:
    """A bound on log p(x) from a conditional VAE without the label: for estimates log p_k(x|y) of
    shape (N, K), one column per label y, each p_k(x|y) unbiased for p(x|y), and p(y) = 1/K,

        E[logsumexp_y log p_k(x|y) - log K] = E[log (1/K) sum_y p_k(x|y)] <= log sum_y p(y) p(x|y) = log p(x)

    (the average over the labels is unbiased for p(x); Jensen). The same log-mean-exp as
    :func:`importance_weighted_bound`, over labels instead of samples; returns shape (N,).
    """
    return _label_free_bound(log_liks)


def label_gain_limit(num_classes: int = 10) -> float:
    """The most nats a label can add to log-likelihood when p(y) = 1/num_classes:
    log p(x|y) - log p(x) = log p(y|x) - log p(y) <= 0 - log(1/num_classes) = log num_classes."""
    return math.log(num_classes)
