"""Open each notebook with a latent explorer in JupyterLab, run it, and drive the explorer in Chromium.

nbval cannot see widget views; this test does: it moves a slider with the keyboard and checks
that the decoded digit and the marker on the latent map really change on the page.
"""

import hashlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ["04_latent_space.ipynb", "05_uses_and_limits.ipynb"]
BAD_TEXT = ["Error displaying widget", "model not found"]

# The pixels of an <img>, summarized: drawn onto a canvas, summed per channel, with the natural size.
IMAGE_STATS = """(img) => {
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0, weighted = 0;
    for (let i = 0; i < data.length; i += 4) {
        const dark = 765 - data[i] - data[i + 1] - data[i + 2];
        sum += dark; weighted += dark * ((i / 4) % canvas.width);
    }
    return {width: canvas.width, height: canvas.height, dark: sum, x_centroid: weighted / Math.max(sum, 1)};
}"""


def image_stats(page, css_class):
    img = page.locator(f"img.{css_class}").first
    img.wait_for(state="visible", timeout=30_000)
    page.wait_for_function(
        "(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle(), timeout=30_000
    )
    return img.evaluate(IMAGE_STATS)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_latent_explorer_responds_in_the_browser(notebook, lab_url, browser, artifacts):
    if not (ROOT / "notebooks" / notebook).exists():
        pytest.skip(f"notebooks/{notebook} does not exist")
    path = ROOT / "notebooks" / notebook
    committed = hashlib.sha256(path.read_bytes()).hexdigest()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{lab_url}/lab/tree/notebooks/{notebook}", timeout=60_000)
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
        page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=60_000)
        # Wait for the kernel, then run every cell, as a reader would with Run > Run All Cells.
        page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            " return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
            " && w.sessionContext.session.kernel.status === 'idle'; }",
            timeout=90_000,
        )
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        # Done when no cell waits or runs ([*]) and the kernel is idle again.
        page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            " const busy = [...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));"
            " return !busy && w.sessionContext.session.kernel.status === 'idle'; }",
            timeout=180_000,
            polling=500,
        )
        explorer = page.locator(".vaebook-latent-explorer").first
        explorer.wait_for(state="attached", timeout=30_000)
        explorer.scroll_into_view_if_needed()
        explorer.wait_for(state="visible", timeout=30_000)

        sliders = explorer.locator(".vaebook-slider")
        assert sliders.count() >= 2
        digit_before = image_stats(page, "vaebook-digit")
        map_before = image_stats(page, "vaebook-latent-map")
        assert digit_before["width"] == 168 and digit_before["dark"] > 0, digit_before

        # Move z0 to the right with the keyboard: 30 steps of 0.05.
        handle = sliders.first.locator(".noUi-handle")
        handle.focus()
        for _ in range(30):
            handle.press("ArrowRight")
        # The round trip: slider value -> kernel callback -> new PNG -> the view's <img>. Bounded.
        page.wait_for_function(
            f"() => {{ const img = document.querySelector('img.vaebook-digit');"
            f" return img && img.complete && ({IMAGE_STATS})(img).dark !== {digit_before['dark']}; }}",
            timeout=15_000,
            polling=200,
        )
        digit_after = image_stats(page, "vaebook-digit")
        map_after = image_stats(page, "vaebook-latent-map")
        readout = sliders.first.locator(".widget-readout").inner_text()

        page.screenshot(path=str(artifacts / notebook.replace(".ipynb", ".png")))
        explorer.screenshot(path=str(artifacts / notebook.replace(".ipynb", "-explorer.png")))

        assert float(readout) > 0.5 or float(readout) == pytest.approx(3.0), f"slider readout {readout!r} did not move"
        assert digit_after["dark"] != digit_before["dark"], "the decoded digit did not change"
        assert map_after["x_centroid"] != map_before["x_centroid"], "the marker on the latent map did not move"
        body = page.inner_text("body")
        for text in BAD_TEXT:
            assert text not in body, f"{text!r} appears on the page"
    finally:
        page.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == committed, f"the browser session changed {path}"
