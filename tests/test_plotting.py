"""Figures of notebook 02: the ellipse of a 2-d Gaussian and the mean-field picture."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from vaebook.plotting import draw_gaussian_ellipse, plot_mean_field

TILTED = np.array([[2.0, -1.2], [-1.2, 1.0]])  # correlation about -0.85


def _outline(patch):
    """Points on the drawn outline (its Bezier curves evaluated, not their control points), in data coordinates."""
    t = np.linspace(0.0, 1.0, 25)
    points = np.concatenate([curve(t) if curve.degree > 0 else curve.control_points
                             for curve, _ in patch.get_path().iter_bezier()])
    return patch.get_patch_transform().transform(points)


def _mahalanobis_squared(points, covariance, center=(0.0, 0.0)):
    d = points - np.asarray(center)
    return np.einsum("ni,ij,nj->n", d, np.linalg.inv(covariance), d)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("covariance", [TILTED, np.array([[1.0, 0.5], [0.5, 3.0]]), np.diag([0.3, 2.0])])
def test_ellipse_lies_radius_standard_deviations_from_the_centre(covariance):
    _, ax = plt.subplots()
    patch = draw_gaussian_ellipse(ax, covariance, center=(0.5, -1.0), radius=2.0, color="red", label="p")
    outline = _outline(patch)
    np.testing.assert_allclose(_mahalanobis_squared(outline, covariance, (0.5, -1.0)), 4.0, rtol=1e-3)
    # Along each axis it reaches radius * sqrt(variance) on both sides of the centre.
    np.testing.assert_allclose(np.abs(outline - [0.5, -1.0]).max(axis=0), 2.0 * np.sqrt(np.diag(covariance)), rtol=1e-2)
    assert patch in ax.patches and patch.get_label() == "p" and not patch.get_fill()


def test_ellipse_refuses_what_is_no_covariance():
    _, ax = plt.subplots()
    for bad in (np.eye(3), np.array([[1.0, 0.5], [0.0, 1.0]]), np.array([[1.0, 2.0], [2.0, 1.0]]),
                np.array([[np.nan, 0.0], [0.0, 1.0]])):
        with pytest.raises(ValueError, match="covariance must be"):
            draw_gaussian_ellipse(ax, bad)


def test_mean_field_picture_draws_the_posterior_and_both_diagonal_gaussians():
    mean_field = 1.0 / np.diag(np.linalg.inv(TILTED))  # one over the precision's diagonal
    ax = plot_mean_field(TILTED, mean_field, dims=(6, 7), title="t")
    posterior, best, marginal = ax.patches
    np.testing.assert_allclose(_mahalanobis_squared(_outline(posterior), TILTED), 1.0, rtol=1e-3)
    np.testing.assert_allclose(_mahalanobis_squared(_outline(best), np.diag(mean_field)), 1.0, rtol=1e-3)
    np.testing.assert_allclose(_mahalanobis_squared(_outline(marginal), np.diag(np.diag(TILTED))), 1.0, rtol=1e-3)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [r"posterior $p(z \mid x)$", r"best diagonal $q$ (mean field)",
                      r"diagonal $q$ with the marginal variances"]
    assert ax.get_xlabel().startswith("$z_{6}$") and ax.get_ylabel().startswith("$z_{7}$")
    # Every outline fits in the axes.
    for patch in ax.patches:
        outline = _outline(patch)
        assert outline[:, 0].min() > ax.get_xlim()[0] and outline[:, 0].max() < ax.get_xlim()[1]
        assert outline[:, 1].min() > ax.get_ylim()[0] and outline[:, 1].max() < ax.get_ylim()[1]
    with pytest.raises(ValueError, match="mean_field_variances must hold the 2 variances"):
        plot_mean_field(TILTED, [1.0, 2.0, 3.0])
