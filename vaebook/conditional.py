"""The conditional VAE at work (notebook 06): decode one code under every label, score an image under every label.

A conditional VAE (:func:`vaebook.model.build_vae` with ``num_classes=10``) has an encoder
q(z|x, y) and a decoder p(x|z, y); its ELBO bounds log p(x|y):

    ELBO(x|y) = E_q(z|x,y)[log p(x|z, y)] - KL(q(z|x, y) || p(z))  <=  log p(x|y)

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
from scipy.special import logsumexp

from vaebook.data import check_images
from vaebook.evaluate import importance_log_likelihood
from vaebook.model import check_latent_codes


def _check_conditional(vae):
    if not getattr(vae, "num_classes", 0):
        raise ValueError("This needs a conditional VAE (build_vae(..., num_classes=10), or pretrained.load('cvae')); "
                         "this VAE takes no labels.")
    return int(vae.num_classes)


def decode_under_every_label(vae, z) -> np.ndarray:
    """Each code z_i decoded under every label: pixel probabilities of shape (len(z) * K, 28, 28, 1),
    row-major, so row i of a grid with K columns is z_i as the digits 0 .. K - 1."""
    k = _check_conditional(vae)
    z = check_latent_codes(z, vae.latent_dim)
    return vae.decode(np.repeat(z, k, axis=0), labels=np.tile(np.arange(k), len(z)))


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
