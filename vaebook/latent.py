"""Walking the latent space: prior samples, quantile grids, interpolations, encoded test sets.

Decoding is always batched: a whole grid or path goes through the decoder in one call
(``VAE.decode``), never one ``predict`` per point.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from vaebook.model import check_latent_codes


def prior_samples(n: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """n codes z ~ p(z) = N(0, I), shape (n, latent_dim)."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def quantile_values(n: int = 15, eps: float = 0.05) -> np.ndarray:
    """n increasing values Phi^{-1}(p), p evenly spaced in [eps, 1 - eps]: the grid's axis coordinates."""
    values = np.array([NormalDist().inv_cdf(p) for p in np.linspace(eps, 1 - eps, n)])
    # Exactly symmetric about 0 (and exactly +0.0 in the middle for odd n), whatever the rounding of p.
    return ((values - values[::-1]) / 2).astype(np.float32)


def quantile_grid(n: int = 15, latent_dim: int = 2, dims=(0, 1), eps: float = 0.05) -> np.ndarray:
    """An n x n grid of codes at Gaussian quantiles, row-major with z[dims[1]] decreasing down the rows.

    Coordinates are Phi^{-1}(p) for p evenly spaced in [eps, 1 - eps], so each cell covers an
    equal share of prior mass; the other latent dimensions are 0 (the prior mean).
    Returns shape (n * n, latent_dim).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}.")
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5): the grid covers prior mass [eps, 1 - eps], got {eps}.")
    if len(set(dims)) != 2 or not all(0 <= d < latent_dim for d in dims):
        raise ValueError(f"dims must be two different dimensions below latent_dim={latent_dim}, got {dims}.")
    values = quantile_values(n, eps)
    ys, xs = np.meshgrid(values[::-1], values, indexing="ij")
    z = np.zeros((n * n, latent_dim), np.float32)
    z[:, dims[0]] = xs.ravel()
    z[:, dims[1]] = ys.ravel()
    return z


def interpolate(z_start, z_end, steps: int = 10) -> np.ndarray:
    """Codes on the straight line from z_start to z_end, both ends included: shape (steps, latent_dim)."""
    z_start, z_end = np.asarray(z_start, np.float32), np.asarray(z_end, np.float32)
    if z_start.shape != z_end.shape or z_start.ndim != 1:
        raise ValueError(f"z_start and z_end must be two codes of one shape, got {z_start.shape} and {z_end.shape}.")
    check_latent_codes(np.stack([z_start, z_end]), len(z_start))
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"steps must be a whole number >= 2 (both ends are included), got {steps!r}.")
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * z_start + t * z_end


def _distances(means, codes) -> np.ndarray:
    """Euclidean distances (M, N) from each code (M, latent_dim) to each encoder mean (N, latent_dim)."""
    means = np.asarray(means, np.float32)
    if means.ndim != 2:
        raise ValueError(f"means have shape {means.shape}; pass encoder means of shape (N, latent_dim).")
    codes = check_latent_codes(codes, means.shape[1])
    return np.stack([np.linalg.norm(means - z, axis=1) for z in codes])


def nearest_codes(means, z, n: int = 10) -> np.ndarray:
    """Indices of the n encoder means closest to code z (Euclidean), nearest first."""
    distances = _distances(means, z)[0]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(distances):
        raise ValueError(f"n must be a whole number from 1 to {len(distances)} (the number of means), got {n!r}.")
    return np.argsort(distances, kind="stable")[:n]


def distance_to_nearest(means, codes) -> np.ndarray:
    """For each code (M, latent_dim), the Euclidean distance to the nearest encoder mean (N, latent_dim)."""
    return _distances(means, codes).min(axis=1)
