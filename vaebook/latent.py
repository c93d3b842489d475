"""Walking the latent space: prior samples, quantile grids, interpolations, encoded test sets.

Decoding is always batched: a whole grid or path goes through the decoder in one call
(``VAE.decode``), never one ``predict`` per point.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from vaebook.checks import latent_pair, whole_number
from vaebook.codes import check_latent_codes


def prior_samples(n: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """n codes z ~ p(z) = N(0, I), shape (n, latent_dim)."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def quantile_values(n: int = 15, eps: float = 0.05) -> np.ndarray:
    """n increasing values Phi^{-1}(p), p evenly spaced in [eps, 1 - eps]: the grid's axis coordinates."""
    values = np.array([NormalDist().inv_cdf(p) for p in np.linspace(eps, 1 - eps, n)])
    # Exactly symmetric about 0 (and exactly +0.0 in the middle for odd n), whatever the rounding of p.
    return ((values - values[::-1]) / 2).astype(np.float32)


def quantile_grid(n: int = 15, latent_dim: int = 2, dims=(0, 1), eps: float = 0.05, codes=None) -> np.ndarray:
    """An n x n grid of codes at quantiles, row-major with z[dims[1]] decreasing down the rows.

    Without ``codes`` the coordinates are the prior's quantiles Phi^{-1}(p) for p evenly spaced
    in [eps, 1 - eps], so each cell covers an equal share of prior mass. With ``codes`` (encoder
    means, shape (N, latent_dim)) they are the same quantiles of the codes along each of the two
    dimensions, so the grid covers where the data's codes are. The other latent dimensions
    are 0 (the prior mean). Returns shape (n * n, latent_dim).
    """
    whole_number("n", n, 1)
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5): the grid covers probability [eps, 1 - eps], got {eps}.")
    dims = latent_pair(dims, latent_dim)
    xs, ys = grid_axes(n, eps, codes, dims)
    y, x = np.meshgrid(ys[::-1], xs, indexing="ij")
    z = np.zeros((n * n, latent_dim), np.float32)
    z[:, dims[0]] = x.ravel()
    z[:, dims[1]] = y.ravel()
    return z


def grid_axes(n: int = 15, eps: float = 0.05, codes=None, dims=(0, 1)):
    """The two increasing axes of :func:`quantile_grid`: the prior's quantiles, or the codes' along ``dims``."""
    if codes is None:
        values = quantile_values(n, eps)
        return values, values
    codes = np.asarray(codes, np.float32)
    if codes.ndim != 2 or max(dims) >= codes.shape[1]:
        raise ValueError(f"codes have shape {codes.shape}; pass encoder means (N, latent_dim) with the dims {dims}.")
    p = np.linspace(eps, 1 - eps, n)
    return tuple(np.quantile(codes[:, d], p).astype(np.float32) for d in dims)


def interpolate(z_start, z_end, steps: int = 10) -> np.ndarray:
    """Codes on the straight line from z_start to z_end, both ends included: shape (steps, latent_dim)."""
    z_start, z_end = np.asarray(z_start, np.float32), np.asarray(z_end, np.float32)
    if z_start.shape != z_end.shape or z_start.ndim != 1:
        raise ValueError(f"z_start and z_end must be two codes of one shape, got {z_start.shape} and {z_end.shape}.")
    check_latent_codes(np.stack([z_start, z_end]), len(z_start))
    whole_number("steps", steps, 2, why="both ends are included")
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * z_start + t * z_end


def nearest_codes(means, z, n: int = 10) -> np.ndarray:
    """Indices of the n encoder means (N, latent_dim) closest to code z (Euclidean), nearest first."""
    means = np.asarray(means, np.float32)
    if means.ndim != 2:
        raise ValueError(f"means have shape {means.shape}; pass encoder means of shape (N, latent_dim).")
    z = check_latent_codes(z, means.shape[1])[0]
    distances = np.linalg.norm(means - z, axis=1)
    whole_number("n", n, 1, len(distances), why="the number of means")
    return np.argsort(distances, kind="stable")[:n]


def prior_radius(mass: float = 0.95, latent_dim: int = 2) -> float:
    """Radius of the ball around 0 that holds ``mass`` of the prior N(0, I): sqrt(chi2_d quantile)."""
    from scipy.stats import chi2

    if not 0 < mass < 1:
        raise ValueError(f"mass must be strictly between 0 and 1, got {mass!r}.")
    return float(np.sqrt(chi2.ppf(mass, df=latent_dim)))


def _code_cloud(codes) -> np.ndarray:
    """``codes`` as a float32 array (N, latent_dim) of finite codes, or ``ValueError``."""
    codes = np.asarray(codes, np.float32)
    if codes.ndim != 2:
        raise ValueError(f"codes have shape {codes.shape}; pass codes of shape (N, latent_dim).")
    return check_latent_codes(codes, codes.shape[1])


def share_within(codes, radius: float) -> float:
    """Share of codes (N, latent_dim) whose distance from the origin, ||z||_2, is at most ``radius``."""
    return float(np.mean(np.linalg.norm(_code_cloud(codes), axis=1) <= radius))


def share_in_prior_region(codes, mass: float = 0.95) -> float:
    """Share of codes (N, latent_dim) inside the ball that holds ``mass`` of the prior N(0, I).

    For codes distributed like the prior this is about ``mass``; for codes on another scale it
    says how much of the code cloud a sample from the prior can reach.
    """
    codes = _code_cloud(codes)
    return share_within(codes, prior_radius(mass, codes.shape[1]))
