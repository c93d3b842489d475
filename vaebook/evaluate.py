"""Bounds and estimates of log p(x) for a trained VAE, in nats per example.

Every function takes any VAE of the series (:class:`vaebook.model.VAE`, its subclasses, or a
reader's own class from a notebook page): its ``call`` gives q(z|x)'s (mean, log_var) and its
``log_likelihood(x, z)`` gives log p(x|z). For a conditional VAE pass ``labels``: the bound is
then on log p(x|y), with q(z|x, y) and p(x|z, y).

ELBO (one z per example):

    ELBO(x) = log p(x|z) - KL(q(z|x) || p(z)),  z ~ q(z|x),   E[ELBO(x)] <= log p(x)

Importance-sampled estimate (Burda et al. 2015), with z_1..z_k ~ q(z|x):

    log p_k(x) = logsumexp_i [log p(x|z_i) + log p(z_i) - log q(z_i|x)] - log k

E[log p_k(x)] never decreases with k, equals the expected ELBO at k = 1 and tends to
log p(x) as k grows. The k samples are drawn in chunks of at most ``max_decoded`` decodes,
so k = 5000 runs in bounded memory.
"""

from __future__ import annotations

import math

import numpy as np
import keras
from keras import ops

from vaebook.checks import whole_number
from vaebook.codes import decode, in_batches, latent_dim_of, model_inputs
from vaebook.data import blur, check_images, check_labels
from vaebook.latent import prior_samples
from vaebook.losses import gaussian_kl, gaussian_log_density, reparameterize


def _batches(model, x, labels, batch_size):
    """(inputs, encoder means, encoder log-variances) per batch, where inputs is what ``model`` takes:
    the images, or (images, labels) for a conditional VAE (checked: a clear error when labels are
    missing for a conditional VAE or given to a plain one)."""
    for inputs in in_batches(model_inputs(model, x, labels), batch_size):
        mean, log_var = model(inputs, training=False)
        yield inputs, mean, log_var


def log_likelihood_of_codes(model, inputs, z):
    """log p(x|z) (conditional: log p(x|z, y)) per example, for codes z of shape (N, latent_dim) or
    (k, N, latent_dim), in inference mode.

    ``inputs`` is what the model takes (N images, or N (image, label) pairs); with a leading sample
    axis each of them is paired with every z[i] and the result has shape (k, N).
    """
    n, size = len(keras.tree.flatten(inputs)[0]), latent_dim_of(model)
    z = ops.convert_to_tensor(z, "float32")
    if len(z.shape) not in (2, 3) or tuple(z.shape[-2:]) != (n, size):
        raise ValueError(f"z must hold codes of shape (N, {size}), one per image, or (k, N, {size}), "
                         f"k per image, for the N = {n} images; got shape {tuple(z.shape)}.")
    if len(z.shape) == 2:
        return model.log_likelihood(inputs, z, training=False)
    k = ops.shape(z)[0]
    repeated = keras.tree.map_structure(lambda t: _repeat(t, k), inputs)
    return ops.reshape(model.log_likelihood(repeated, ops.reshape(z, (-1, size)), training=False), (k, n))


def _repeat(t, k):
    """k copies of the batch t one after the other: shape (k * N, ...), copy i in rows i * N .. (i + 1) * N - 1."""
    t = ops.convert_to_tensor(t)
    return ops.reshape(ops.broadcast_to(t[None], (k, *ops.shape(t))), (-1, *ops.shape(t)[1:]))


def _posterior_chunks(mean, log_var, n: int, max_decoded: int, gen):
    """n codes z ~ q(z|x) = N(mean, exp(log_var)) per image, in chunks of shape (m, batch, latent_dim).

    Each chunk holds at most ``max_decoded`` codes (m * batch), so decoding it has bounded memory.
    """
    chunk = max(1, max_decoded // int(ops.shape(mean)[0]))
    for start in range(0, n, chunk):
        eps = keras.random.normal((min(chunk, n - start), *ops.shape(mean)), seed=gen)
        yield reparameterize(mean[None], log_var[None], eps)


def elbo_terms(model, x, samples: int = 1, batch_size: int = 500, seed: int = 0, max_decoded: int = 10000, labels=None):
    """The two terms of each image's ELBO, in nats, as NumPy arrays of shape (N,).

    Returns (log_lik, kl): log_lik = E_q[log p(x|z)], averaged over ``samples`` draws of
    z ~ q(z|x), summed over pixels; kl = KL(q(z|x) || p(z)) in closed form, summed over latent
    dimensions. ELBO = log_lik - kl. In rate-distortion terms, -log_lik is the distortion D and
    kl the rate R. Samples are decoded in chunks of at most ``max_decoded``, so memory stays bounded.
    With ``labels`` (a conditional VAE) both terms are given the labels: ELBO(x|y).
    """
    x = check_images(x)
    whole_number("samples", samples, 1)
    whole_number("batch_size", batch_size, 1)
    whole_number("max_decoded", max_decoded, 1)
    gen = keras.random.SeedGenerator(seed)
    log_liks, kls = [], []
    for inputs, mean, log_var in _batches(model, x, labels, batch_size):
        total = 0.0
        for z in _posterior_chunks(mean, log_var, samples, max_decoded, gen):
            total = total + ops.sum(log_likelihood_of_codes(model, inputs, z), axis=0)
        log_liks.append(ops.convert_to_numpy(total / samples))
        kls.append(ops.convert_to_numpy(gaussian_kl(mean, log_var)))
    return np.concatenate(log_liks).astype(np.float64), np.concatenate(kls).astype(np.float64)


def elbo_per_example(model, x, samples: int = 1, batch_size: int = 500, seed: int = 0, labels=None) -> np.ndarray:
    """ELBO of each image in nats, averaged over ``samples`` draws of z ~ q(z|x) (beta = 1); ELBO(x|y) given ``labels``."""
    log_lik, kl = elbo_terms(model, x, samples, batch_size, seed, labels=labels)
    return log_lik - kl


def mean_and_error(values) -> tuple:
    """(mean, standard error of the mean) of per-example values: std (ddof 1) / sqrt(N)."""
    values = np.asarray(values, np.float64)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"values have shape {values.shape}; a standard error needs at least two values, shape (N,).")
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


def rate_distortion(model, x, samples: int = 1, batch_size: int = 500, seed: int = 0) -> dict:
    """Mean rate R = E[KL(q(z|x) || p(z))] and distortion D = E[-log p(x|z)] over a dataset, nats per image.

    -ELBO = D + R. A beta-VAE minimises D + beta * R, so beta chooses a point on the R-D trade-off.
    Returns ``rate`` and ``distortion``, their standard errors over the images (``rate_se``,
    ``distortion_se``; they include the noise of the ``samples`` draws of z) and the per-image
    values (``rates``, ``distortions``), so that two models can be compared image by image.
    """
    log_lik, kl = elbo_terms(model, x, samples, batch_size, seed)
    (rate, rate_se), (distortion, distortion_se) = mean_and_error(kl), mean_and_error(-log_lik)
    return {"rate": rate, "distortion": distortion, "rate_se": rate_se, "distortion_se": distortion_se,
            "rates": kl, "distortions": -log_lik}


def dataset_elbo(model, x, samples: int = 1, batch_size: int = 500, seed: int = 0, labels=None) -> float:
    """Mean ELBO over a dataset, in nats per example (of log p(x|y) given ``labels``)."""
    return float(np.mean(elbo_per_example(model, x, samples, batch_size, seed, labels=labels)))


def dataset_elbo_with_error(model, x, batches: int = 10, samples: int = 20) -> tuple:
    """Mean ELBO over a dataset and its Monte Carlo standard error, in nats per example.

    The ELBO is estimated ``batches`` times independently (``samples`` draws of z per image,
    seeds 0 .. batches - 1); the result is the mean of the estimates and their standard
    deviation / sqrt(batches).
    """
    whole_number("samples", samples, 1)
    whole_number("batches", batches, 2, why="a standard error needs two estimates")
    estimates = [dataset_elbo(model, x, samples=samples, seed=seed) for seed in range(batches)]
    return float(np.mean(estimates)), float(np.std(estimates, ddof=1) / math.sqrt(batches))


def uncertain_pixel_fraction(images, low: float = 0.1, high: float = 0.9) -> float:
    """Share of pixels with a grey value strictly between ``low`` and ``high``: a simple measure of blur.

    MNIST digits are nearly black and white, so real images score low; a decoder's pixel
    probabilities that hedge between ink and background score high.
    """
    images = check_images(images)
    if not 0 <= low < high <= 1:
        raise ValueError(f"Need 0 <= low < high <= 1, got low={low}, high={high}.")
    return float(np.mean((images > low) & (images < high)))


def importance_log_likelihood(
    model, x, k: int = 5000, batch_size: int = 100, max_decoded: int = 10000, seed: int = 0, labels=None
) -> np.ndarray:
    """Importance-sampled log p(x) of each image, in nats, with k samples from q(z|x).

    Samples are drawn and decoded in chunks of at most ``max_decoded`` codes; a running
    logsumexp combines the chunks, so memory does not grow with k. The default of 10,000 decodes
    per chunk keeps the peak at a few hundred MB (each decode holds 784 logits and their
    log-likelihood terms). With ``labels`` (a conditional VAE) it estimates log p(x|y).
    """
    x = check_images(x)
    for name, value in (("k", k), ("batch_size", batch_size), ("max_decoded", max_decoded)):
        whole_number(name, value, 1)
    gen = keras.random.SeedGenerator(seed)
    out = []
    for inputs, mean, log_var in _batches(model, x, labels, batch_size):
        total = ops.full((ops.shape(mean)[0],), -np.inf)
        for z in _posterior_chunks(mean, log_var, k, max_decoded, gen):
            log_w = (
                log_likelihood_of_codes(model, inputs, z)
                + gaussian_log_density(z, 0.0, 0.0)
                - gaussian_log_density(z, mean[None], log_var[None])
            )
            total = ops.logaddexp(total, ops.logsumexp(log_w, axis=0))
        out.append(ops.convert_to_numpy(total).astype(np.float64) - math.log(k))
    return np.concatenate(out)


def code_knn_accuracy(train_codes, train_labels, test_codes, test_labels, k: int = 5) -> float:
    """Accuracy of a k-nearest-neighbour classifier fitted on training codes and scored on test codes.

    It measures how well the latent space keeps digits apart, although the model never saw a label.
    """
    from sklearn.neighbors import KNeighborsClassifier

    whole_number("k", k, 1)
    return float(KNeighborsClassifier(n_neighbors=k).fit(train_codes, train_labels).score(test_codes, test_labels))


def digit_reader(images, labels, k: int = 5):
    """A function that reads which digit each image shows: k-nearest neighbours on the pixels of
    ``images`` (real, labelled digits, such as the training set).

    Use it on reconstructions and decoded codes: it names the real digits they look most like.
    """
    from sklearn.neighbors import KNeighborsClassifier

    whole_number("k", k, 1)
    images = check_images(images, "reference images")
    knn = KNeighborsClassifier(n_neighbors=k).fit(images.reshape(len(images), -1), np.asarray(labels))

    def read(x) -> np.ndarray:
        x = check_images(x)
        return knn.predict(x.reshape(len(x), -1))

    return read


def _shapes(images, sigma: float) -> np.ndarray:
    """Images smoothed by a Gaussian of ``sigma`` pixels, flattened and scaled to unit length: (N, 784)."""
    flat = blur(images, sigma).reshape(len(images), -1).astype(np.float64)
    return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-12)


def shape_reader(images, labels, k: int = 5, sigma: float = 1.0):
    """A digit reader that compares shapes, not amounts of ink: k nearest neighbours among ``images``
    (real, labelled digits, such as the training set) by cosine similarity, after smoothing every
    image, reference and query alike, by a Gaussian of ``sigma`` pixels.

    The cosine makes it blind to how dark a digit is: a digit at half its ink reads exactly as the
    same digit at full ink. :func:`digit_reader` compares raw pixels, so a faint or blurred image is
    nearest to the digits with the least ink, the 1s. Smoothing both sides lets a blurred image
    overlap the references it resembles. Measure any reader on real, blurred and faint digits
    (:func:`vaebook.data.blur`, :func:`reading_errors`) before trusting what it says about a model's images.
    """
    from sklearn.neighbors import KNeighborsClassifier

    whole_number("k", k, 1)
    images = check_images(images, "reference images")
    knn = KNeighborsClassifier(n_neighbors=k).fit(_shapes(images, sigma), np.asarray(labels))

    def read(x) -> np.ndarray:
        return knn.predict(_shapes(check_images(x), sigma))

    return read


def reading_errors(shown, labels, num_classes: int = 10) -> dict:
    """How a digit reader's answers ``shown`` compare with the digits ``labels`` (true, or asked for).

    Returns ``accuracy`` (the share read right), ``errors`` (how many were read wrong) and
    ``read_as``, shape (num_classes,): how many of the errors were read as each digit.
    """
    labels = check_labels(labels, len(labels), num_classes)
    shown = check_labels(shown, len(labels), num_classes, "the digits read")
    wrong = shown != labels
    return {"accuracy": float(np.mean(~wrong)), "errors": int(wrong.sum()),
            "read_as": np.bincount(shown[wrong], minlength=num_classes)}


def sample_digit_shares(vae, read, samples: int = 2000, seed: int = 0) -> np.ndarray:
    """Share of ``samples`` prior samples, z ~ N(0, I) (``prior_samples(samples, vae.latent_dim, seed)``)
    decoded by ``vae``, that the digit reader ``read`` (:func:`digit_reader`) reads as each digit:
    shape (10,), summing to 1.
    """
    whole_number("samples", samples, 1)
    decoded = decode(vae, prior_samples(samples, latent_dim_of(vae), seed=seed))
    return np.bincount(read(decoded), minlength=10) / samples
