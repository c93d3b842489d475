"""The argument checks the package shares: each is written here once.

Every check returns the value in its plain Python form or raises ``ValueError`` with a message
that names the argument, what it must be, and what it got.
"""

from __future__ import annotations

import numpy as np


def whole_number(name: str, value, minimum: int, maximum: int | None = None, why: str = "") -> int:
    """``value`` as an int if it is a whole number with minimum <= value (<= maximum), else ``ValueError``.

    ``True``/``False`` and floats such as 2.0 are refused: they are usually a mistake.
    ``why`` is appended to the message in parentheses, e.g. "both ends are included".
    """
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    ok = ok and value >= minimum and (maximum is None or value <= maximum)
    if not ok:
        bound = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name} must be a whole number {bound}{reason}, got {value!r}.")
    return int(value)


def latent_pair(dims, latent_dim: int, limit: str | None = None) -> tuple:
    """``dims`` as a pair (i, j) of two different latent dimensions, 0 <= i, j < latent_dim.

    ``limit`` names the bound in the message (default ``latent_dim=<latent_dim>``).
    """
    limit = limit or f"latent_dim={latent_dim}"
    try:
        pair = tuple(int(d) for d in dims)
    except (TypeError, ValueError):
        raise ValueError(f"dims must be a pair of latent dimensions like (0, 1), got {dims!r}.") from None
    if len(pair) != 2 or pair[0] == pair[1] or not all(0 <= d < latent_dim for d in pair):
        raise ValueError(f"dims must be two different dimensions below {limit}, got {dims!r}.")
    return pair
