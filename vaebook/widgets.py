"""An ipywidgets latent explorer: move sliders through z and watch the decoder's digit change.

:class:`LatentExplorer` (the widget wiring) shows three things side by side; :class:`LatentMap` draws
the map, so another explorer (e.g. of a conditional VAE) can reuse it:

- sliders for the leading latent dimensions (``z0``, ``z1``, ...), and for a latent space with
  more than two dimensions, two dropdowns choosing which pair of dimensions the map shows;
- for a conditional VAE, a digit chooser: the digit label y the decoder is given;
- the decoded digit at the current code z: the pixel probabilities sigmoid(decoder(z)), drawn
  dark on white and upscaled;
- a latent map: the encoder means of a data set coloured by digit, with a marker at z.

The map is drawn once per pair of dimensions with matplotlib (off-screen, never through pyplot)
into an RGB array; each update copies that array, draws the marker at the pixel that the
remembered data-to-pixel transform gives for z, and encodes the copy as PNG with PIL. A slider
change therefore costs one decoder call and two small PNG encodings, not a matplotlib redraw.

Callbacks only set widget values. They never print: in a notebook anything printed from a
callback would become cell output.
"""

from __future__ import annotations

import io

import numpy as np
import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from vaebook.checks import latent_pair, whole_number
from vaebook.codes import decode, latent_dim_of, num_classes_of
from vaebook.plotting import scatter_latent

MARKER_RGB = (0, 0, 0)
"""The marker's fill: black, with a white halo, so that it stands out on every digit colour."""
MARKER_OUTLINE_RGB = (255, 255, 255)
MARKER_RADIUS = 6
DIGIT_SCALE = 6
CSS = {
    "explorer": "vaebook-latent-explorer",
    "slider": "vaebook-slider",
    "digit": "vaebook-digit",
    "latent_map": "vaebook-latent-map",
    "digit_chooser": "vaebook-digit-chooser",
}


def probabilities_to_pixels(probs) -> np.ndarray:
    """Pixel probabilities in [0, 1], shape (28, 28[, 1]), as uint8 grey levels, dark ink on white."""
    probs = np.asarray(probs, np.float32).reshape(28, 28)
    return np.round(255.0 * (1.0 - np.clip(probs, 0.0, 1.0))).astype(np.uint8)


def png_bytes(pixels: np.ndarray) -> bytes:
    """PNG encoding of a uint8 grey (H, W) or RGB (H, W, 3) array (fast, lossless compression)."""
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    """The pixels of PNG bytes as a NumPy array (the inverse of :func:`png_bytes`)."""
    return np.asarray(PILImage.open(io.BytesIO(data)))


def draw_marker(rgb: np.ndarray, col: float, row: float, radius: int = MARKER_RADIUS) -> np.ndarray:
    """A copy of ``rgb`` with a black disc in a white halo, centred at pixel (col, row); clipped at the edges."""
    out = rgb.copy()
    height, width = out.shape[:2]
    r_out = radius + 2
    c0, c1 = max(int(np.floor(col - r_out)), 0), min(int(np.ceil(col + r_out)) + 1, width)
    r0, r1 = max(int(np.floor(row - r_out)), 0), min(int(np.ceil(row + r_out)) + 1, height)
    if c0 >= c1 or r0 >= r1:
        return out
    rows, cols = np.mgrid[r0:r1, c0:c1]
    dist = np.hypot(cols - col, rows - row)
    patch = out[r0:r1, c0:c1]
    patch[dist <= r_out] = MARKER_OUTLINE_RGB
    patch[dist <= radius] = MARKER_RGB
    return out


class LatentMap:
    """The encoder means of a data set as a scatter coloured by digit, with a marker at a code z.

    Each pair of dimensions is drawn once with matplotlib (off-screen, never through pyplot)
    into an RGB array, together with its frozen data-to-pixel transform; :meth:`png` copies the
    array, draws the marker at the pixel of z and encodes the copy as PNG. The axes cover the
    data and [-reach, reach] on both axes, so a marker within ``reach`` is always on the map.
    """

    def __init__(self, means, labels, reach: float = 3.0):
        means = np.asarray(means, np.float32)
        labels = np.asarray(labels)
        if means.ndim != 2:
            raise ValueError(f"means have shape {means.shape}; expected (N, latent_dim), encoder means: means, _ = encode(vae, x).")
        if labels.ndim != 1 or len(labels) != len(means):
            raise ValueError(
                f"{len(means)} means but labels of shape {labels.shape}; pass one label per mean, "
                f"shape ({len(means)},)."
            )
        if not np.all(np.isfinite(means)):
            raise ValueError("means contain NaN or inf; encode finite images.")
        if not np.isfinite(reach) or reach <= 0:
            raise ValueError(f"slider_range must be a finite number > 0, got {reach!r}.")
        self.means, self.labels, self.reach = means, labels, float(reach)
        self._drawn = {}  # (x dim, y dim) -> (RGB array, frozen data-to-display transform, height)

    def pixel(self, dims, z) -> tuple:
        """(column, row) in the map image of dimensions ``dims`` of the point z (shape (latent_dim,))."""
        _, transform, height = self._image(dims)
        x, y = transform.transform((float(z[dims[0]]), float(z[dims[1]])))
        return float(x), float(height - y)

    def png(self, dims, z) -> bytes:
        """The map of dimensions ``dims`` with the marker at z, as PNG bytes."""
        rgb, _, _ = self._image(dims)
        return png_bytes(draw_marker(rgb, *self.pixel(dims, z)))

    def _image(self, dims):
        if dims not in self._drawn:
            self._drawn[dims] = self._render(dims)
        return self._drawn[dims]

    def _render(self, dims):
        fig = Figure(figsize=(5.0, 4.0), dpi=80, layout="constrained")
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        scatter_latent(self.means, self.labels, dims=dims, ax=ax, title="Encoder means; black dot: z", s=4)
        for setter, d in ((ax.set_xlim, dims[0]), (ax.set_ylim, dims[1])):
            lo = min(float(self.means[:, d].min()), -self.reach)
            hi = max(float(self.means[:, d].max()), self.reach)
            pad = 0.04 * (hi - lo)
            setter(lo - pad, hi + pad)
        canvas.draw()
        rgb = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        return rgb, ax.transData.frozen(), rgb.shape[0]


class LatentExplorer:
    """Sliders over a VAE's latent space, the decoded digit, and the encoded data with a marker at z.

    For a conditional VAE (``vae.num_classes`` > 0) it adds a digit chooser: the decoded image is
    p(x|z, y) for the chosen digit y, so the sliders move the style and the chooser the identity.

    Parameters
    ----------
    vae
        A trained :class:`vaebook.model.VAE` (or any model :func:`vaebook.codes.decode` takes),
        conditional or not.
    means, labels
        Encoder means of a data set, shape (N, latent_dim), and its N digit labels: the map.
    dims
        The pair of latent dimensions the map shows first (x axis, y axis).
    n_sliders
        How many leading dimensions get a slider: default ``min(latent_dim, 8)``. The other
        dimensions stay at 0, the prior mean, unless :meth:`set_point` sets them.
    slider_range
        Each slider runs over [-slider_range, slider_range]: 3 covers 99.7% of the prior.
    digit
        A conditional VAE's first digit label (default 0); not allowed for an unconditional one.

    Attributes: ``sliders``, ``dropdowns`` (the x and y pair choosers when there are more than
    two sliders, else empty), ``digit_chooser`` (conditional VAE: ``ipywidgets.ToggleButtons``;
    else None), ``digit`` and ``latent_map`` (``ipywidgets.Image``, PNG) and ``widget`` (the
    container to display), and ``map``, the :class:`LatentMap` it draws.
    Displaying the explorer displays ``widget``, with ipywidgets 8 or 7 (Colab's).
    """

    def __init__(self, vae, means, labels, dims=(0, 1), n_sliders=None, slider_range=3.0, digit=None):
        if not hasattr(getattr(vae, "decoder", None), "inputs"):
            raise ValueError(f"vae must be a vaebook VAE (a model with a Keras decoder), got {type(vae).__name__}.")
        latent_dim = latent_dim_of(vae)
        if latent_dim < 2:
            raise ValueError(
                f"The explorer maps two latent dimensions, but this VAE has latent_dim={latent_dim}. "
                "Train a VAE with latent_dim >= 2."
            )
        means = np.asarray(means, np.float32)
        if means.ndim != 2 or means.shape[1] != latent_dim:
            raise ValueError(
                f"means have shape {means.shape}; expected (N, {latent_dim}), the encoder means "
                "of N images for this VAE: means, _ = encode(vae, x)."
            )
        self.map = LatentMap(means, labels, slider_range)
        n_sliders = min(latent_dim, 8) if n_sliders is None else n_sliders
        self.n_sliders = whole_number("n_sliders", n_sliders, 2, latent_dim, why="at most latent_dim")
        self.vae = vae
        self.latent_dim = latent_dim
        self.slider_range = self.map.reach
        self.num_classes = num_classes_of(vae)
        if not self.num_classes and digit is not None:
            raise ValueError("digit chooses the label of a conditional VAE, but this VAE is not conditional; leave it out.")
        self._label = whole_number("digit", 0 if digit is None else digit, 0, max(self.num_classes - 1, 0))
        self._dims = self._check_dims(dims, self.n_sliders, latent_dim)
        self._z = np.zeros(latent_dim, np.float32)
        self._hold = False
        self._build_widgets()
        self._update()

    @property
    def means(self) -> np.ndarray:
        return self.map.means

    @property
    def labels(self) -> np.ndarray:
        return self.map.labels

    def _build_widgets(self):
        dims = self._dims
        self.sliders = []
        for j in range(self.n_sliders):
            slider = widgets.FloatSlider(
                value=0.0,
                min=-self.slider_range,
                max=self.slider_range,
                step=0.05,
                description=f"z{j}",
                readout_format=".2f",
                continuous_update=True,
                layout=widgets.Layout(width="300px"),
            )
            slider.add_class(CSS["slider"])
            slider.observe(self._on_slider, names="value")
            self.sliders.append(slider)

        self.dropdowns = ()
        if self.n_sliders > 2:
            options = [(f"z{j}", j) for j in range(self.n_sliders)]
            self.dropdowns = (
                widgets.Dropdown(options=options, value=dims[0], description="map x", layout=widgets.Layout(width="180px")),
                widgets.Dropdown(options=options, value=dims[1], description="map y", layout=widgets.Layout(width="180px")),
            )
            for axis, dropdown in enumerate(self.dropdowns):
                dropdown.observe(lambda change, axis=axis: self._on_dropdown(axis, change), names="value")

        self.digit_chooser = None
        if self.num_classes:
            self.digit_chooser = widgets.ToggleButtons(
                options=[(str(d), d) for d in range(self.num_classes)], value=self._label, description="digit y",
                style={"button_width": "30px"},
            )
            self.digit_chooser.add_class(CSS["digit_chooser"])
            self.digit_chooser.observe(self._on_digit, names="value")

        self.digit = widgets.Image(format="png")
        self.digit.add_class(CSS["digit"])
        self.latent_map = widgets.Image(format="png")
        self.latent_map.add_class(CSS["latent_map"])

        given = " given y" if self.num_classes else ""
        caption = widgets.HTML(f"<b>decoded at z{given}</b><br>pixel probabilities")
        # The controls keep their natural width (flex 0 0 auto): shrunk by the row, the digit chooser's
        # ten buttons would wrap onto two lines. Where the row is too narrow for all three parts, the
        # map moves below them instead (row wrap).
        controls = widgets.VBox([*([self.digit_chooser] if self.digit_chooser else []), *self.sliders, *self.dropdowns],
                                layout=widgets.Layout(flex="0 0 auto"))
        self.widget = widgets.HBox(
            [controls, widgets.VBox([caption, self.digit], layout=widgets.Layout(flex="0 0 auto")), self.latent_map],
            layout=widgets.Layout(align_items="flex-start", flex_flow="row wrap"),
        )
        self.widget.add_class(CSS["explorer"])

    # --- public API -----------------------------------------------------------------------------
    @property
    def dims(self) -> tuple:
        """The pair of latent dimensions the map shows, (x, y)."""
        return self._dims

    def current_code(self) -> np.ndarray:
        """The current latent code z, a copy, shape (latent_dim,)."""
        return self._z.copy()

    @property
    def label(self):
        """The digit label the decoder is given (a conditional VAE), else None."""
        return self._label if self.num_classes else None

    def set_label(self, digit) -> None:
        """Decode as digit ``digit`` (a conditional VAE) and update once."""
        if not self.num_classes:
            raise ValueError("This VAE is not conditional: there is no digit label to set.")
        self.digit_chooser.value = whole_number("digit", digit, 0, self.num_classes - 1)  # _on_digit updates

    def current_probabilities(self) -> np.ndarray:
        """The decoded pixel probabilities at the current z (and label), shape (28, 28, 1)."""
        given = {"labels": [self._label]} if self.num_classes else {}
        return decode(self.vae, self._z[None], **given)[0]

    def set_point(self, z) -> None:
        """Move to code z (shape (latent_dim,)) and update once.

        Slider dimensions are clipped to the slider range; the others are set as given.
        """
        z = np.asarray(z, np.float32)
        if z.shape != (self.latent_dim,):
            raise ValueError(f"z has shape {z.shape}; expected ({self.latent_dim},), one latent code.")
        if not np.all(np.isfinite(z)):
            raise ValueError("z contains NaN or inf.")
        z = z.copy()
        z[: self.n_sliders] = np.clip(z[: self.n_sliders], -self.slider_range, self.slider_range)
        self._hold = True
        try:
            for j, slider in enumerate(self.sliders):
                slider.value = float(z[j])
        finally:
            self._hold = False
        self._z = z
        self._update()

    def set_dims(self, dims) -> None:
        """Show another pair of slider dimensions (x, y) on the map."""
        dims = self._check_dims(dims, self.n_sliders, self.latent_dim)
        if self.dropdowns:
            self._hold = True
            try:
                for dropdown, d in zip(self.dropdowns, dims):
                    dropdown.value = d
            finally:
                self._hold = False
        self._dims = dims
        self._update_map()

    def marker_pixel(self) -> tuple:
        """(column, row) of the marker's centre in the latent map image, for the current z."""
        return self.map.pixel(self._dims, self._z)

    def __repr__(self):
        digit = f", digit y={self._label} of {self.num_classes}" if self.num_classes else ""
        return (
            f"LatentExplorer(latent_dim={self.latent_dim}, sliders={self.n_sliders}{digit}, "
            f"map=z{self._dims[0]} vs z{self._dims[1]}, {len(self.means):,} encoded points)"
        )

    def _repr_mimebundle_(self, **kwargs):
        # ipywidgets 8: the widget view, with a short text/plain that does not change between runs.
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle

    if not hasattr(widgets.Widget, "_repr_mimebundle_"):
        # ipywidgets 7 (Colab's front end renders no other) displays a widget through _ipython_display_
        # and has no _repr_mimebundle_. IPython tries _ipython_display_ first, so 8 never gets here.
        def _ipython_display_(self, **kwargs):
            self.widget._ipython_display_(**kwargs)

    # --- internals ------------------------------------------------------------------------------
    @staticmethod
    def _check_dims(dims, n_sliders, latent_dim) -> tuple:
        limit = f"the {n_sliders} slider dimensions" if n_sliders < latent_dim else None
        return latent_pair(dims, n_sliders, limit)

    def _on_slider(self, change):
        if self._hold:
            return
        self._z[self.sliders.index(change["owner"])] = change["new"]
        self._update()

    def _on_digit(self, change):
        self._label = int(change["new"])
        self._update()

    def _on_dropdown(self, axis, change):
        if self._hold:
            return
        pair = list(self._dims)
        pair[axis] = change["new"]
        if pair[0] == pair[1]:  # the same dimension on both axes: swap the pair instead
            pair[1 - axis] = change["old"]
        self.set_dims(pair)

    def _update(self):
        # The digit first: it is what the eye follows when a slider moves.
        pixels = probabilities_to_pixels(self.current_probabilities())
        self.digit.value = png_bytes(np.repeat(np.repeat(pixels, DIGIT_SCALE, axis=0), DIGIT_SCALE, axis=1))
        self._update_map()

    def _update_map(self):
        self.latent_map.value = self.map.png(self._dims, self._z)
