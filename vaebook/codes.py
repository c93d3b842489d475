"""A trained VAE from NumPy: encode images to codes, decode codes to images, reconstruct, with clear errors.

These functions work with every VAE of the series, the package's and the classes a reader
defines on notebook 03's and 06's pages: anything whose ``call`` returns the (mean, log_var) of
q(z|x) and whose ``decoder`` turns codes into Bernoulli logits. A conditional VAE (one with a
``num_classes`` attribute and a ``with_label`` method, :class:`vaebook.conditional.ConditionalVAE`)
takes one digit label per image or code.

    means, log_vars = encode(vae, x)          # q(z|x) of each image, shape (N, latent_dim) each
    images = decode(vae, z)                   # pixel probabilities sigmoid(decoder(z)), (N, 28, 28, 1)
    images = reconstruct(vae, x)              # decode(encode(x) means)
    images = decode(cvae, z, labels=digits)   # a conditional VAE decodes each code under its label

Each call runs the networks in inference mode on batches of ``batch_size``.
"""

from __future__ import annotations

import numpy as np
import keras
from keras import ops

from vaebook.data import check_images, check_labels


def latent_dim_of(vae) -> int:
    """The size of the VAE's latent space: the width of its decoder's code input."""
    return int(vae.decoder.inputs[0].shape[-1])


def num_classes_of(vae) -> int:
    """How many label classes a conditional VAE takes; 0 for a VAE that takes no labels."""
    return int(getattr(vae, "num_classes", 0) or 0)


def checked_labels(vae, labels, n: int, name: str = "labels"):
    """``n`` labels checked as digits 0 .. num_classes - 1 (int64) for a conditional VAE; None for a plain one.

    Labels for a VAE that takes none, or none for a conditional VAE, get a clear error.
    """
    classes = num_classes_of(vae)
    if not classes and labels is not None:
        raise ValueError("This VAE is not conditional, so it takes no labels. Build a conditional one with "
                         "build_vae(..., num_classes=10), or leave out labels.")
    if classes and labels is None:
        raise ValueError(f"This is a conditional VAE: pass the digit labels too, integers 0-{classes - 1}, one per "
                         f"image or code: encode(vae, x, labels=...), decode(vae, z, labels=...); it trains on "
                         f"pairs: fit((x, labels), validation_data=((x_val, labels_val),)).")
    return None if labels is None else check_labels(labels, n, classes, name)


def model_inputs(vae, x, labels=None, what: str = "the"):
    """What the VAE's ``call`` takes, checked: the images (N, 28, 28, 1), or (images, labels) for a conditional VAE."""
    x = check_images(x, f"{what} images".strip())
    labels = checked_labels(vae, labels, len(x), f"{what} labels".strip())
    return x if labels is None else (x, labels)


def check_latent_codes(z, latent_dim: int) -> np.ndarray:
    """Latent codes as a finite float32 array of shape (N, latent_dim) (one code (latent_dim,) becomes (1, latent_dim))."""
    arr = np.asarray(z, dtype=np.float32)
    if arr.ndim == 1 and arr.shape[0] == latent_dim:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != latent_dim:
        raise ValueError(f"Latent codes have shape {arr.shape}; this model expects (N, {latent_dim}).")
    if not np.all(np.isfinite(arr)):
        raise ValueError("Latent codes contain NaN or inf.")
    return arr


def in_batches(inputs, batch_size: int):
    """``inputs`` (an array, or a tuple of arrays of one length) in slices of ``batch_size``."""
    n = len(keras.tree.flatten(inputs)[0])
    for start in range(0, n, batch_size):
        yield keras.tree.map_structure(lambda t: t[start : start + batch_size], inputs)


def encode(vae, x, labels=None, batch_size: int = 1000):
    """q(z|x) of each image: (mean, log_var) as NumPy arrays of shape (N, latent_dim); given ``labels``, q(z|x, y)."""
    parts = [vae(batch, training=False) for batch in in_batches(model_inputs(vae, x, labels, "encoded"), batch_size)]
    return tuple(np.concatenate([ops.convert_to_numpy(part[j]) for part in parts]) for j in range(2))


def decoder_logits(vae, z, labels=None):
    """The decoder's logits for codes ``z`` (a tensor or array of shape (N, latent_dim)), in inference mode.

    A conditional VAE's decoder is given each code's label (no checks here: see :func:`decode`).
    """
    z = ops.convert_to_tensor(z, "float32")
    return vae.decoder(z if labels is None else vae.with_label(z, labels), training=False)


def decode(vae, z, labels=None, batch_size: int = 1000) -> np.ndarray:
    """Pixel probabilities sigmoid(decoder(z)), shape (N, 28, 28, 1); a conditional VAE decodes each code under its label."""
    z = check_latent_codes(z, latent_dim_of(vae))
    labels = checked_labels(vae, labels, len(z), "labels of the codes")
    inputs = z if labels is None else (z, labels)
    parts = [ops.sigmoid(decoder_logits(vae, *keras.tree.flatten(batch))) for batch in in_batches(inputs, batch_size)]
    return np.concatenate([ops.convert_to_numpy(part) for part in parts])


def reconstruct(vae, x, labels=None, batch_size: int = 1000) -> np.ndarray:
    """Reconstructions: the decoded probabilities at the encoder mean of each image (conditional: under its label)."""
    return decode(vae, encode(vae, x, labels, batch_size)[0], labels, batch_size)
