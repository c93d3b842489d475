"""Latent-space helpers and the figures built on them."""

from statistics import NormalDist

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from vaebook.latent import interpolate, prior_samples, quantile_grid, quantile_values
from vaebook.plotting import plot_latent_path, scatter_latent, tile


def test_quantile_values_are_gaussian_quantiles_symmetric_about_zero():
    values = quantile_values(15, eps=0.05)
    expected = [NormalDist().inv_cdf(p) for p in np.linspace(0.05, 0.95, 15)]
    np.testing.assert_allclose(values, expected, atol=1e-6)
    np.testing.assert_array_equal(values, -values[::-1])
    assert values[7] == 0.0 and not np.signbit(values[7])  # prints as 0., never -0.
    assert np.all(np.diff(values) > 0)


def test_quantile_grid_layout_matches_the_manifold_plot():
    grid = quantile_grid(3, latent_dim=4, dims=(1, 3))
    values = quantile_values(3)
    assert grid.shape == (9, 4)
    np.testing.assert_array_equal(grid[:, [0, 2]], 0)
    # Row-major: x (dims[0]) varies along a row, y (dims[1]) is highest in the top row.
    np.testing.assert_array_equal(grid[:3, 1], values)
    np.testing.assert_array_equal(grid[::3, 3], values[::-1])


def test_quantile_grid_bad_inputs():
    with pytest.raises(ValueError, match="n must be"):
        quantile_grid(0)
    with pytest.raises(ValueError, match="eps"):
        quantile_grid(5, eps=0.5)
    with pytest.raises(ValueError, match="two different dimensions"):
        quantile_grid(5, latent_dim=2, dims=(0, 2))


def test_prior_samples_are_seeded_standard_normal():
    z = prior_samples(20000, latent_dim=3, seed=1)
    assert z.dtype == np.float32 and z.shape == (20000, 3)
    np.testing.assert_array_equal(z, prior_samples(20000, latent_dim=3, seed=1))
    assert not np.array_equal(z, prior_samples(20000, latent_dim=3, seed=2))
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=0.03)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=0.03)


def test_interpolate_includes_both_ends_evenly():
    path = interpolate([0.0, 0.0], [1.0, -2.0], steps=5)
    np.testing.assert_allclose(path, [[0, 0], [0.25, -0.5], [0.5, -1], [0.75, -1.5], [1, -2]])
    for steps, match in ((1, "steps"), (2.5, "steps"), (True, "steps")):
        with pytest.raises(ValueError, match=match):
            interpolate([0.0], [1.0], steps=steps)
    with pytest.raises(ValueError, match="one shape"):
        interpolate([0.0, 1.0], [1.0], steps=3)


def test_tile_puts_images_row_major():
    images = np.arange(6)[:, None, None] * np.ones((6, 28, 28))
    tiled = tile(images, 2, 3)
    assert tiled.shape == (56, 84)
    assert tiled[0, 28] == 1 and tiled[28, 0] == 3 and tiled[55, 83] == 5


def test_scatter_latent_one_colour_and_legend_entry_per_digit():
    means = np.random.default_rng(0).normal(size=(50, 3))
    labels = np.arange(50) % 5
    ax = scatter_latent(means, labels, dims=(2, 0))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2", "3", "4"]
    colours = {tuple(c.get_facecolor()[0]) for c in ax.collections}
    assert len(colours) == 5
    np.testing.assert_allclose(ax.collections[0].get_offsets(), means[labels == 0][:, [2, 0]])
    plt.close("all")
    with pytest.raises(ValueError, match="one label per code"):
        scatter_latent(means, labels[:10])
    with pytest.raises(ValueError, match="two different dimensions"):
        scatter_latent(means, labels, dims=(0, 3))


def test_plot_latent_path_draws_every_step():
    _, ax = plt.subplots()
    path = interpolate([0.0, 0.0], [1.0, 1.0], steps=4)
    plot_latent_path(path, ax)
    np.testing.assert_allclose(ax.lines[0].get_xydata(), path)
    plt.close("all")
    with pytest.raises(ValueError, match="at least two codes"):
        plot_latent_path(path[:1], ax)


def test_nearest_codes_orders_by_distance():
    from vaebook.latent import nearest_codes

    means = np.array([[0, 0], [3, 0], [1, 1], [-0.5, 0]], np.float32)
    assert nearest_codes(means, [0.9, 0.9], n=3).tolist() == [2, 0, 3]
    assert nearest_codes(means, np.array([3.0, 0.0]), n=1).tolist() == [1]
    with pytest.raises(ValueError, match="n must be"):
        nearest_codes(means, [0, 0], n=5)
    with pytest.raises(ValueError, match=r"expects \(N, 2\)"):
        nearest_codes(means, [0, 0, 0])


def test_distance_to_nearest():
    from vaebook.latent import distance_to_nearest

    means = np.array([[0, 0], [3, 0]], np.float32)
    np.testing.assert_allclose(distance_to_nearest(means, [[0, 1], [3, -2], [1.5, 0]]), [1, 2, 1.5])
    with pytest.raises(ValueError, match=r"expects \(N, 2\)"):
        distance_to_nearest(means, [[0, 1, 2]])
