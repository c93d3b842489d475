"""Two ways to differentiate an expectation, E_{z ~ N(mu, sigma^2)}[f(z)], with respect to mu.

Score function (REINFORCE, likelihood ratio): the gradient of the density, not of f,

    d/dmu E[f(z)] = E[f(z) * d/dmu log N(z; mu, sigma^2)] = E[f(z) * (z - mu) / sigma^2]

Reparameterization: write z = mu + sigma * eps with eps ~ N(0, 1), and differentiate f itself,

    d/dmu E[f(z)] = E[f'(mu + sigma * eps)]

Both are unbiased. The reparameterized estimate uses the slope of f, so its variance is
usually far lower; it needs f to be differentiable, which a decoder is.

The test function here is f(z) = -(z - target)^2 / 2, a Gaussian log-likelihood up to a
constant, with exact gradient d/dmu E[f] = target - mu.
"""

from __future__ import annotations

import numpy as np

from vaebook.checks import whole_number


def _check(mu, sigma, samples):
    if not (np.isfinite(mu) and np.isfinite(sigma)):
        raise ValueError(f"mu and sigma must be finite numbers, got mu={mu!r}, sigma={sigma!r}.")
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0 (a standard deviation), got {sigma!r}.")
    whole_number("samples", samples, 2)


def quadratic(z, target):
    """f(z) = -(z - target)^2 / 2 and its derivative f'(z) = target - z."""
    return -0.5 * (z - target) ** 2, target - z


def exact_gradient(mu, target):
    """d/dmu E_{z ~ N(mu, sigma^2)}[-(z - target)^2 / 2] = target - mu, for every sigma."""
    return target - mu


def score_function_terms(f_values, z, mu, sigma):
    """Single-sample score-function estimates f(z) * d/dmu log N(z; mu, sigma^2) = f(z) * (z - mu) / sigma^2."""
    return f_values * (z - mu) / sigma**2


def gradient_samples(mu: float, sigma: float, target: float, samples: int = 10000, seed: int = 0) -> dict:
    """Single-sample gradient estimates of d/dmu E[f(z)] from both estimators, on the same eps.

    Returns ``{"score_function": array, "reparameterization": array}``, each of shape (samples,).
    """
    _check(mu, sigma, samples)
    eps = np.random.default_rng(seed).standard_normal(samples)
    z = mu + sigma * eps
    f, slope = quadratic(z, target)
    return {"score_function": score_function_terms(f, z, mu, sigma), "reparameterization": slope}


def compare_estimators(mu: float, sigma: float, target: float, samples: int = 10000, seed: int = 0) -> dict:
    """Mean, variance and standard error of each estimator, next to the exact gradient."""
    out = {"exact": exact_gradient(mu, target)}
    for name, g in gradient_samples(mu, sigma, target, samples, seed).items():
        out[name] = {"mean": float(g.mean()), "variance": float(g.var(ddof=1)), "stderr": float(g.std(ddof=1) / np.sqrt(len(g)))}
    return out
