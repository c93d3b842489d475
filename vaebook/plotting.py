"""Figures the notebooks share: latent scatters coloured by digit, image grids, training curves.

Each function draws with matplotlib and returns the figure (or axes), so a notebook cell
can end with it or with ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from vaebook.checks import latent_pair

DIGIT_COLORS = plt.get_cmap("tab10")


def scatter_latent(means, labels, dims=(0, 1), ax=None, title="Encoder means of the test set", s=6):
    """Scatter encoder means in two latent dimensions, one colour per digit, with a legend."""
    means, labels = np.asarray(means), np.asarray(labels)
    if len(means) != len(labels):
        raise ValueError(f"{len(means)} codes but {len(labels)} labels; pass one label per code.")
    if means.ndim != 2:
        raise ValueError(f"means have shape {means.shape}; pass codes of shape (N, latent_dim).")
    dims = latent_pair(dims, means.shape[1])
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5.5))
    for digit in np.unique(labels):
        pts = means[labels == digit]
        ax.scatter(pts[:, dims[0]], pts[:, dims[1]], s=s, color=DIGIT_COLORS(int(digit) % 10), label=str(digit))
    ax.set_xlabel(f"z[{dims[0]}]")
    ax.set_ylabel(f"z[{dims[1]}]")
    ax.set_title(title)
    ax.legend(title="digit", markerscale=3, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return ax


def draw_prior_region(ax, mass: float = 0.95, color="black"):
    """Draw the circle that holds ``mass`` of a 2-d prior N(0, I) on latent axes, named in a legend."""
    from vaebook.latent import prior_radius

    radius = prior_radius(mass, 2)
    ax.add_patch(plt.Circle((0, 0), radius, fill=False, ls="--", lw=1.5, color=color,
                            label=f"{mass:.0%} of the prior " + r"$\mathcal{N}(0, I)$"))
    ax.set_aspect("equal", adjustable="datalim")  # a circle looks like one
    ax.legend(markerscale=3, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return ax


def show_images(images, ncols=10, titles=None, suptitle=None, row_labels=None, size=1.0):
    """Show 28x28 images (N, 28, 28[, 1]) in a grid, grey on white, without axes."""
    images = np.asarray(images).reshape(-1, 28, 28)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size + (0.4 if suptitle else 0)), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    if row_labels is not None:
        for ax, label in zip(axes[:, 0], row_labels):
            ax.set_ylabel(label, fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


class SourceCode:
    """Source code shown in a notebook: highlighted in Jupyter and on GitHub (Markdown), plain as text.

    The plain text is the source itself, so nbval compares the code a notebook shows with the
    code the package runs: the two cannot drift apart unnoticed.
    """

    def __init__(self, *objects):
        import inspect
        import textwrap

        self.text = "\n\n".join(textwrap.dedent(inspect.getsource(o)).rstrip() for o in objects)

    def _repr_markdown_(self):
        return f"```python\n{self.text}\n```"

    def __repr__(self):
        return self.text


def tile(images, nrows, ncols) -> np.ndarray:
    """Tile (nrows * ncols, 28, 28[, 1]) images row-major into one (nrows*28, ncols*28) array."""
    images = np.asarray(images).reshape(nrows, ncols, 28, 28)
    return images.transpose(0, 2, 1, 3).reshape(nrows * 28, ncols * 28)


def show_manifold(images, coords, dims=(0, 1), title="Decoded grid of latent codes", ycoords=None):
    """Show an n x n grid of decoded codes (row-major, top row first, as ``latent.quantile_grid``).

    ``coords`` are the n grid values of the horizontal axis (increasing), ``ycoords`` those of
    the vertical axis (default: the same); ticks mark each cell's centre with its latent
    coordinate, so unevenly spaced quantiles are labelled truthfully.
    """
    n = len(coords)
    ycoords = coords if ycoords is None else ycoords
    if len(ycoords) != n:
        raise ValueError(f"coords and ycoords must have the grid's n values each, got {n} and {len(ycoords)}.")
    fig, ax = plt.subplots(figsize=(7, 7))
    ax.imshow(tile(images, n, n), cmap="gray_r", vmin=0, vmax=1)
    centres = np.arange(n) * 28 + 13.5
    step = max(1, n // 7)
    ax.set_xticks(centres[::step], [f"{c:.2f}" for c in coords[::step]])
    ax.set_yticks(centres[::step], [f"{c:.2f}" for c in ycoords[::-1][::step]])
    ax.set_xlabel(f"z[{dims[0]}]")
    ax.set_ylabel(f"z[{dims[1]}]")
    ax.set_title(title)
    return fig


def plot_history(history, terms=("loss", "reconstruction_loss", "kl_loss"), from_epoch: int = 2):
    """Training and validation curves, one panel per loss term, per image in nats.

    The curves start at epoch ``from_epoch`` (default 2): the first epoch's losses, from a
    random start, are so much higher that they would squash every later change into a line.
    """
    if not 1 <= from_epoch <= len(history[terms[0]]):
        raise ValueError(f"from_epoch must be from 1 to {len(history[terms[0]])} (the epochs trained), got {from_epoch}.")
    fig, axes = plt.subplots(1, len(terms), figsize=(4.2 * len(terms), 3.4))
    for ax, term in zip(np.atleast_1d(axes), terms):
        epochs = np.arange(from_epoch, len(history[term]) + 1)
        ax.plot(epochs, history[term][from_epoch - 1 :], label="train")
        if f"val_{term}" in history:
            ax.plot(epochs, history[f"val_{term}"][from_epoch - 1 :], label="validation")
        ax.set_title(term.replace("_", " ") + (f" (from epoch {from_epoch})" if from_epoch > 1 else ""))
        ax.set_xlabel("epoch")
        ax.legend()
    np.atleast_1d(axes)[0].set_ylabel("nats per image")
    fig.tight_layout()
    return fig


def plot_latent_path(codes, ax, dims=(0, 1), label="path", color="black", start="start", end="end"):
    """Draw a path of latent codes (steps, latent_dim) on latent axes: a line, a dot per step, and
    its start (square) and end (triangle) marked and named in the legend."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or len(codes) < 2:
        raise ValueError(f"codes have shape {codes.shape}; pass at least two codes, shape (steps, latent_dim).")
    x, y = codes[:, dims[0]], codes[:, dims[1]]
    ax.plot(x, y, "-o", color=color, ms=3, lw=1, label=label)
    ax.scatter(x[0], y[0], s=90, marker="s", facecolors="none", edgecolors=color, linewidths=2, label=start)
    ax.scatter(x[-1], y[-1], s=110, marker="^", facecolors="none", edgecolors=color, linewidths=2, label=end)
    ax.legend(markerscale=1, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return ax


def plot_kl_curves(histories: dict, ax=None):
    """The validation KL term per epoch for several training runs (``label: history``), with each
    run's best epoch (the weights it kept) marked."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    for label, history in histories.items():
        kl = np.asarray(history["val_kl_loss"])
        line = ax.plot(np.arange(1, len(kl) + 1), kl, label=label)[0]
        if "best_epoch" in history:
            best = history["best_epoch"]
            ax.plot(best, kl[best - 1], "o", color=line.get_color(), ms=6)
    ax.set_xlabel("epoch")
    ax.set_ylabel("KL(q(z|x) || p(z))  [nats per image]")
    ax.set_title("The KL term on the validation images (dots: the epoch whose weights were kept)")
    ax.set_ylim(bottom=0)
    ax.legend()
    return ax


def plot_score_histograms(scores, is_anomaly, ax, title, bins=40):
    """Overlaid histograms of anomaly scores for normal images and anomalies (densities, shared bins)."""
    scores, is_anomaly = np.asarray(scores), np.asarray(is_anomaly, bool)
    edges = np.histogram_bin_edges(scores, bins=bins)
    ax.hist(scores[~is_anomaly], bins=edges, density=True, alpha=0.6, label=f"normal ({(~is_anomaly).sum()})")
    ax.hist(scores[is_anomaly], bins=edges, density=True, alpha=0.6, label=f"anomaly ({is_anomaly.sum()})")
    ax.set_xlabel("score (higher = more anomalous)")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_roc_curves(curves: dict, ax):
    """ROC curves, one per ``label: (is_anomaly, scores)``, with the AUC in the legend and chance as a diagonal."""
    from sklearn.metrics import roc_auc_score, roc_curve

    for label, (is_anomaly, scores) in curves.items():
        fpr, tpr, _ = roc_curve(is_anomaly, scores)
        ax.plot(fpr, tpr, label=f"{label} (AUC {roc_auc_score(is_anomaly, scores):.2f})")
    ax.plot([0, 1], [0, 1], ":", color="grey", label="chance (AUC 0.50)")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curves")
    ax.legend(loc="lower right")
    return ax


def plot_rate_distortion(points, betas, ax=None):
    """Rate R (KL) against distortion D (-log p(x|z)) for models trained with different beta.

    ``points`` are :func:`vaebook.evaluate.rate_distortion` results; where they hold standard errors
    (``rate_se``, ``distortion_se``) each point gets error bars of one standard error.
    Dotted lines mark constant D + R = -ELBO: points on a lower line have a better ELBO.
    """
    rates = np.array([p["rate"] for p in points])
    distortions = np.array([p["distortion"] for p in points])
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(rates, distortions, "-o")
    if all("rate_se" in p and "distortion_se" in p for p in points):
        ax.errorbar(rates, distortions, xerr=[p["rate_se"] for p in points], yerr=[p["distortion_se"] for p in points],
                    fmt="none", ecolor="C0", capsize=3, lw=1)
    for beta, r, d in zip(betas, rates, distortions):
        ax.annotate(f"$\\beta$ = {beta:g}", (r, d), textcoords="offset points", xytext=(6, 4))
    r_max = rates.max() * 1.3
    r_line = np.linspace(0, r_max, 2)
    y_low = distortions.min() - 0.1 * np.ptp(distortions) - 1
    y_high = distortions.max() + 0.1 * np.ptp(distortions) + 1
    for total in np.unique(np.round(rates + distortions, -1)):
        ax.plot(r_line, total - r_line, ":", color="grey", lw=0.8)
        # Name each line where it enters the plot: at the top edge, or on the left edge.
        r_at = min(max(total - y_high, 0.0), r_max)
        ax.annotate(f"$D + R$ = {total:g}", (r_at, total - r_at), fontsize=7, color="grey",
                    textcoords="offset points", xytext=(2, -9), clip_on=True)
    ax.set_xlim(0, r_max)
    ax.set_ylim(y_low, y_high)
    ax.set_xlabel(r"rate $R = \mathrm{KL}(q(z|x)\,\|\,p(z))$  [nats]")
    ax.set_ylabel(r"distortion $D = -\log p(x|z)$  [nats]")
    ax.set_title(r"The $\beta$ trade-off (dotted: constant $D + R = -$ELBO)")
    return ax


def draw_gaussian_ellipse(ax, covariance, center=(0.0, 0.0), radius: float = 1.0, **style):
    """Draw where a 2-d Gaussian N(center, covariance) is ``radius`` standard deviations from its
    centre: the ellipse of the points z with (z - center)^T covariance^{-1} (z - center) = radius^2.

    Its axes point along the eigenvectors of ``covariance``, with half-lengths radius * sqrt(eigenvalue).
    ``style`` goes to matplotlib's ``Ellipse`` (color, ls, lw, label, ...). Returns the patch.
    """
    from matplotlib.patches import Ellipse

    covariance = np.asarray(covariance, dtype=np.float64)
    if covariance.shape != (2, 2) or not np.all(np.isfinite(covariance)) or not np.allclose(covariance, covariance.T):
        raise ValueError(f"covariance must be a symmetric 2 x 2 matrix of finite numbers, got {covariance!r}.")
    values, vectors = np.linalg.eigh(covariance)  # ascending: the second eigenvector is the long axis
    if values[0] <= 0:
        raise ValueError(f"covariance must be positive definite (eigenvalues > 0), got eigenvalues {values}.")
    angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1]))
    patch = Ellipse(center, 2 * radius * np.sqrt(values[1]), 2 * radius * np.sqrt(values[0]), angle=angle,
                    fill=False, **style)
    ax.add_patch(patch)
    return patch


def plot_mean_field(covariance, mean_field_variances, dims=(0, 1), ax=None, title=None):
    """The picture of mean-field inference for a correlated 2-d Gaussian posterior, all centred on its mean:

    - the posterior N(m, covariance) (solid black);
    - the best diagonal Gaussian, N(m, diag(mean_field_variances)) (dashed red): the one that
      maximises the ELBO, for a Gaussian posterior one over the diagonal of its precision;
    - the diagonal Gaussian with the posterior's marginal variances, N(m, diag(diag(covariance))) (dotted blue).

    Each is drawn one standard deviation from its centre (:func:`draw_gaussian_ellipse`); ``dims``
    name the two latent dimensions on the axes. Returns the axes.
    """
    covariance = np.asarray(covariance, dtype=np.float64)
    mean_field_variances = np.asarray(mean_field_variances, dtype=np.float64)
    if mean_field_variances.shape != (2,):
        raise ValueError(f"mean_field_variances must hold the 2 variances of a diagonal q, got shape {mean_field_variances.shape}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5.2))
    draw_gaussian_ellipse(ax, covariance, color="black", lw=2, label=r"posterior $p(z \mid x)$")
    draw_gaussian_ellipse(ax, np.diag(mean_field_variances), color="tab:red", lw=2, ls="--",
                          label=r"best diagonal $q$ (mean field)")
    draw_gaussian_ellipse(ax, np.diag(np.diag(covariance)), color="tab:blue", lw=1.5, ls=":",
                          label=r"diagonal $q$ with the marginal variances")
    reach = 1.2 * np.sqrt(np.diag(covariance)).max()
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel(f"$z_{{{dims[0]}}}$ minus its posterior mean")
    ax.set_ylabel(f"$z_{{{dims[1]}}}$ minus its posterior mean")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, frameon=False)
    return ax
