"""The latent explorer: drive its sliders and dropdowns as a reader would, and check what it shows."""

import numpy as np
import pytest

from vaebook.architectures import build_vae
from vaebook.codes import decode, encode
from vaebook.widgets import (
    CSS,
    MARKER_RGB,
    LatentExplorer,
    decode_png,
    draw_marker,
    png_bytes,
    probabilities_to_pixels,
)


@pytest.fixture(scope="module")
def explorer_inputs(trained, mnist):
    vae, _ = trained
    means, _ = encode(vae, mnist.x_test[:300])
    return vae, means, mnist.y_test[:300]


@pytest.fixture
def explorer(explorer_inputs):
    return LatentExplorer(*explorer_inputs)


@pytest.fixture(scope="module")
def vae4():
    return build_vae("mlp", latent_dim=4, seed=1, hidden=(32,))


def black(png):
    return np.all(decode_png(png)[..., :3] == MARKER_RGB, axis=-1)


def marker_centre(png, reference_png):
    """Centre (col, row) of the marker in a latent map: the black pixels that ``reference_png`` lacks.

    (Text on the map is black too; it is the same in both images and drops out.)
    """
    rows, cols = np.nonzero(black(png) & ~black(reference_png))
    assert len(rows) > 50, "no marker found"
    return cols.mean(), rows.mean()


def test_png_round_trip_and_pixels():
    probs = np.linspace(0, 1, 784, dtype=np.float32).reshape(28, 28, 1)
    pixels = probabilities_to_pixels(probs)
    assert pixels.dtype == np.uint8 and pixels.shape == (28, 28)
    assert pixels[0, 0] == 255 and pixels[-1, -1] == 0  # probability 0 is white, 1 is black ink
    np.testing.assert_array_equal(decode_png(png_bytes(pixels)), pixels)


def test_draw_marker_copies_and_clips():
    rgb = np.full((50, 60, 3), 200, np.uint8)
    out = draw_marker(rgb, col=10, row=20)
    assert np.all(rgb == 200), "the input must not be modified"
    assert tuple(out[20, 10]) == MARKER_RGB
    assert tuple(out[20, 10 + 7]) == (255, 255, 255)  # the halo
    assert tuple(out[20, 40]) == (200, 200, 200)
    assert np.array_equal(draw_marker(rgb, col=-100, row=-100), rgb)  # off the map: nothing drawn


def test_explorer_shows_the_decoded_digit_at_zero(explorer, explorer_inputs):
    vae = explorer_inputs[0]
    np.testing.assert_array_equal(explorer.current_code(), [0.0, 0.0])
    expected = probabilities_to_pixels(decode(vae, np.zeros((1, 2), np.float32))[0])
    shown = decode_png(explorer.digit.value)
    assert shown.shape == (28 * 6, 28 * 6)
    np.testing.assert_array_equal(shown[::6, ::6], expected)


def test_moving_a_slider_changes_the_digit_and_moves_the_marker(explorer, explorer_inputs):
    vae = explorer_inputs[0]
    digit_before, map_before = explorer.digit.value, explorer.latent_map.value

    explorer.sliders[0].value = 2.0  # what dragging the z0 slider does
    np.testing.assert_allclose(explorer.current_code(), [2.0, 0.0])
    assert explorer.digit.value != digit_before
    expected = probabilities_to_pixels(decode(vae, np.array([[2.0, 0.0]], np.float32))[0])
    np.testing.assert_array_equal(decode_png(explorer.digit.value)[::6, ::6], expected)

    map_after = explorer.latent_map.value
    col_before, row_before = marker_centre(map_before, map_after)
    col_after, row_after = marker_centre(map_after, map_before)
    assert col_after > col_before + 20, "z0 up must move the marker right"
    assert abs(row_after - row_before) < 1.5
    assert (col_after, row_after) == pytest.approx(explorer.marker_pixel(), abs=1.0)

    explorer.sliders[1].value = -2.0
    _, row_down = marker_centre(explorer.latent_map.value, map_after)
    assert row_down > row_after + 20, "z1 down must move the marker down the image"


def test_the_map_is_rendered_once_per_pair(explorer, monkeypatch):
    calls = []
    original = explorer.map._render
    monkeypatch.setattr(explorer.map, "_render", lambda dims: calls.append(dims) or original(dims))
    for v in (0.5, 1.0, 1.5):
        explorer.sliders[0].value = v
    assert calls == []  # the scatter is cached; a slider move only redraws the marker


def test_set_point_clips_to_the_slider_range(explorer):
    explorer.set_point([5.0, -1.0])
    np.testing.assert_allclose(explorer.current_code(), [3.0, -1.0])
    assert explorer.sliders[0].value == pytest.approx(3.0)
    assert explorer.sliders[1].value == pytest.approx(-1.0)


def test_css_classes_for_the_browser_test(explorer):
    assert CSS["explorer"] in explorer.widget._dom_classes
    assert all(CSS["slider"] in s._dom_classes for s in explorer.sliders)
    assert CSS["digit"] in explorer.digit._dom_classes
    assert CSS["latent_map"] in explorer.latent_map._dom_classes


def test_text_repr_is_stable(explorer):
    text = explorer._repr_mimebundle_()["text/plain"]
    assert text == "LatentExplorer(latent_dim=2, sliders=2, map=z0 vs z1, 300 encoded points)"


def test_higher_dimensional_latent_space_gets_sliders_and_a_pair_chooser(vae4, mnist):
    means, _ = encode(vae4, mnist.x_test[:100])
    explorer = LatentExplorer(vae4, means, mnist.y_test[:100], n_sliders=3)
    assert [s.description for s in explorer.sliders] == ["z0", "z1", "z2"]
    assert len(explorer.dropdowns) == 2 and explorer.dims == (0, 1)

    map_before = explorer.latent_map.value
    explorer.sliders[2].value = 1.5  # not on the map: the digit changes, the marker stays
    assert explorer.latent_map.value == map_before
    np.testing.assert_allclose(explorer.current_code(), [0, 0, 1.5, 0])

    explorer.dropdowns[1].value = 2  # show z0 against z2
    assert explorer.dims == (0, 2)
    assert explorer.latent_map.value != map_before
    explorer.dropdowns[0].value = 2  # the same dimension on both axes swaps the pair
    assert explorer.dims == (2, 0)
    assert (explorer.dropdowns[0].value, explorer.dropdowns[1].value) == (2, 0)

    explorer.set_point([0.1, 0.2, 0.3, 0.4])  # dimension 3 has no slider but is set
    np.testing.assert_allclose(explorer.current_code(), [0.1, 0.2, 0.3, 0.4], atol=1e-6)


def test_callbacks_print_nothing(explorer, capsys):
    for v in np.linspace(-1, 1, 5):
        explorer.sliders[1].value = float(v)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(means=np.zeros((5, 3))), r"expected \(N, 2\)"),
        (dict(labels=np.zeros(4)), "one label per mean"),
        (dict(means=np.full((5, 2), np.nan)), "NaN or inf"),
        (dict(dims=(0, 0)), "two different dimensions"),
        (dict(dims=(0, 2)), "two different dimensions"),
        (dict(n_sliders=3), "n_sliders"),
        (dict(slider_range=0), "slider_range"),
    ],
)
def test_bad_explorer_inputs(explorer_inputs, kwargs, match):
    vae, means, labels = explorer_inputs
    args = dict(means=means[:5], labels=labels[:5])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        LatentExplorer(vae, **args)


def test_bad_vae_and_bad_points(explorer):
    with pytest.raises(ValueError, match="vaebook VAE"):
        LatentExplorer(object(), np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match=r"expected \(2,\)"):
        explorer.set_point([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="NaN"):
        explorer.set_point([np.nan, 0.0])


def test_one_dimensional_latent_space_is_refused(mnist):
    vae1 = build_vae("mlp", latent_dim=1, seed=0, hidden=(16,))
    with pytest.raises(ValueError, match="latent_dim >= 2"):
        LatentExplorer(vae1, np.zeros((3, 1)), np.zeros(3))


@pytest.fixture(scope="module")
def conditional_explorer(mnist):
    cvae = build_vae("conv", latent_dim=2, seed=0, num_classes=10)
    means, _ = encode(cvae, mnist.x_test[:100], labels=mnist.y_test[:100])
    return LatentExplorer(cvae, means, mnist.y_test[:100], digit=3)


def test_a_conditional_vae_gets_a_digit_chooser_that_sets_the_decoder_label(conditional_explorer):
    explorer = conditional_explorer
    assert CSS["digit_chooser"] in explorer.digit_chooser._dom_classes
    assert explorer.digit_chooser in explorer.widget.children[0].children
    assert explorer.label == 3 and explorer.digit_chooser.value == 3
    explorer.set_point([0.5, -0.5])
    for digit in (3, 7, 0):
        explorer.digit_chooser.value = digit  # as a reader's click does
        expected = decode(explorer.vae, np.array([[0.5, -0.5]]), labels=[digit])[0]
        np.testing.assert_array_equal(decode_png(explorer.digit.value)[::6, ::6], probabilities_to_pixels(expected))
    map_before = explorer.latent_map.value
    explorer.set_label(8)  # the label changes the digit, not the code: the marker stays
    assert explorer.label == 8 and explorer.latent_map.value == map_before
    text = explorer._repr_mimebundle_()["text/plain"]
    assert text == "LatentExplorer(latent_dim=2, sliders=2, digit y=8 of 10, map=z0 vs z1, 100 encoded points)"


def test_the_digit_chooser_is_only_for_conditional_vaes(explorer, explorer_inputs, conditional_explorer):
    assert explorer.digit_chooser is None and explorer.label is None
    with pytest.raises(ValueError, match="not conditional"):
        explorer.set_label(3)
    with pytest.raises(ValueError, match="not conditional; leave it out"):
        LatentExplorer(*explorer_inputs, digit=3)
    cvae = conditional_explorer.vae
    with pytest.raises(ValueError, match="digit must be a whole number from 0 to 9"):
        LatentExplorer(cvae, conditional_explorer.means, conditional_explorer.labels, digit=10)
    with pytest.raises(ValueError, match="digit must be a whole number from 0 to 9"):
        conditional_explorer.set_label(-1)


def test_displaying_the_explorer_shows_its_widget_view(vae4, mnist):
    """What a notebook does with an explorer as a cell's last line, with ipywidgets 8 (Binder, the lock)
    and 7 (Colab's 7.7.1: the colab stage of ./dev.sh test runs this test there too)."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()  # display() needs a shell; this is the one a kernel has
    means, _ = encode(vae4, mnist.x_test[:50])
    explorer = LatentExplorer(vae4, means, mnist.y_test[:50])
    with capture_output() as captured:
        display(explorer)
    views = [o.data["application/vnd.jupyter.widget-view+json"] for o in captured.outputs
             if "application/vnd.jupyter.widget-view+json" in o.data]
    assert [v["model_id"] for v in views] == [explorer.widget.model_id], captured.outputs
