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
    plot_latent_path(path, ax, start="a 7", end="a 6")
    np.testing.assert_allclose(ax.lines[0].get_xydata(), path)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["path", "a 7", "a 6"]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), path[:1])
    np.testing.assert_allclose(ax.collections[1].get_offsets(), path[-1:])
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


def test_history_plot_starts_after_the_first_epoch():
    from vaebook.plotting import plot_history

    history = {"loss": [400.0, 200.0, 190.0], "val_loss": [300.0, 195.0, 185.0]}
    fig = plot_history(history, terms=("loss",))
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_xydata(), [[2, 200], [3, 190]])
    np.testing.assert_allclose(ax.lines[1].get_xydata(), [[2, 195], [3, 185]])
    assert len(plot_history(history, terms=("loss",), from_epoch=1).axes[0].lines[0].get_xdata()) == 3
    with pytest.raises(ValueError, match="from_epoch must be from 1 to 3"):
        plot_history(history, terms=("loss",), from_epoch=4)
    plt.close("all")


def test_manifold_ticks_keep_two_decimals():
    from vaebook.latent import quantile_values
    from vaebook.plotting import show_manifold

    coords = quantile_values(15)
    fig = show_manifold(np.zeros((225, 28, 28, 1)), coords)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == f"{coords[0]:.2f}" and all(len(l.split(".")[1]) == 2 for l in labels)
    plt.close("all")


def test_source_code_shows_the_package_code():
    from vaebook.model import Sampling
    from vaebook.plotting import SourceCode

    shown = SourceCode(Sampling.call)
    assert repr(shown).startswith("def call(self, mean, log_var):")
    assert shown._repr_markdown_().startswith("```python\ndef call(")


def test_prior_region_holds_its_mass():
    from vaebook.latent import prior_radius, share_in_prior_region

    assert prior_radius(0.95, 2) == pytest.approx(np.sqrt(-2 * np.log(0.05)))
    z = prior_samples(20000, latent_dim=3, seed=0)
    assert share_in_prior_region(z, 0.95) == pytest.approx(0.95, abs=0.01)
    assert share_in_prior_region(6 * z, 0.95) < 0.2  # a cloud six times wider: the prior reaches little of it
    with pytest.raises(ValueError, match="mass must be strictly between 0 and 1"):
        prior_radius(1.0)


def test_prior_region_circle_is_drawn_and_named():
    from vaebook.plotting import draw_prior_region

    _, ax = plt.subplots()
    draw_prior_region(ax, 0.95)
    circle = ax.patches[0]
    assert circle.get_radius() == pytest.approx(np.sqrt(-2 * np.log(0.05)))
    assert ax.get_legend().get_texts()[0].get_text() == r"95% of the prior $\mathcal{N}(0, I)$"
    plt.close("all")


def test_grid_over_the_codes_spans_their_quantiles_and_is_labelled_per_axis():
    from vaebook.latent import grid_axes
    from vaebook.plotting import show_manifold

    rng = np.random.default_rng(0)
    codes = np.c_[rng.normal(-1.0, 0.5, 5000), rng.normal(2.0, 3.0, 5000)].astype(np.float32)
    xs, ys = grid_axes(5, 0.05, codes)
    np.testing.assert_allclose(xs, np.quantile(codes[:, 0], np.linspace(0.05, 0.95, 5)), rtol=1e-5)
    np.testing.assert_allclose(ys, np.quantile(codes[:, 1], np.linspace(0.05, 0.95, 5)), rtol=1e-5)
    grid = quantile_grid(5, codes=codes)
    np.testing.assert_allclose(grid[:5, 0], xs)  # first row: x increases
    np.testing.assert_allclose(grid[::5, 1], ys[::-1])  # first column: y decreases down the rows
    fig = show_manifold(np.zeros((25, 28, 28, 1)), xs, ycoords=ys)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [f"{c:.2f}" for c in ys[::-1]]
    plt.close("all")
