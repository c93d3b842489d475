"""Open each notebook that displays a latent explorer in the Binder rehearsal's JupyterLab, run it,
and drive the explorer in Chromium.

nbval cannot see widget views; this test does. It moves one slider with the keyboard and another
with the mouse, and checks that the decoded digit and the marker on the latent map change on the
page. Every wait has a bound; nothing waits for a moment of quiet:
- the run is done when every non-empty code cell shows an execution count, after the outputs and
  counts were cleared first, and the Run All command's own promise has resolved;
- an error output ends the wait at once, with its message.
"""

import hashlib
import json
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BAD_TEXT = ["Error displaying widget", "model not found"]
RUN_ALL_BOUND_S = 150  # per notebook, on one CPU; conftest's deadline keeps the whole test under 5 minutes


def explorer_notebooks() -> list:
    """Every notebook with a code cell that uses LatentExplorer: a new one is tested automatically."""
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        if any(c["cell_type"] == "code" and "LatentExplorer" in "".join(c["source"]) for c in cells):
            found.append(path.name)
    return found


# The notebooks whose explorer shows a conditional VAE: it must have a digit chooser, the others none.
CONDITIONAL = {"06_conditional_vae.ipynb"}


def test_the_scan_finds_the_series_explorers():
    assert {"04_latent_space.ipynb", "05_uses_and_limits.ipynb", *CONDITIONAL} <= set(explorer_notebooks())


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

# The notebook panel that shows `path`, once JupyterLab has restored it (null until then).
PANEL = """(path) => {
    const app = window.jupyterapp;
    if (!app || !app.shell) return null;
    const w = app.shell.currentWidget;
    return (w && w.context && w.context.path === path && w.content && w.sessionContext) ? w : null;
}"""

# Clear every output and count, then start Run All; its promise records when it has finished.
START_RUN_ALL = """async (path) => {
    const w = (%s)(path);
    await w.context.ready;
    await w.sessionContext.ready;
    const app = window.jupyterapp;
    await app.commands.execute('notebook:clear-all-cell-outputs');
    window.__vaebookRunAll = {done: false};
    app.commands.execute('notebook:run-all-cells').then(
        (ok) => { window.__vaebookRunAll = {done: true, ok: ok}; },
        (err) => { window.__vaebookRunAll = {done: true, ok: false, error: String(err)}; });
    const cells = w.content.model.cells;
    let stale = 0;
    for (let i = 0; i < cells.length; i++) if (cells.get(i).type === 'code' && cells.get(i).executionCount !== null) stale++;
    return {stale: stale, kernel: w.sessionContext.session.kernel.name};
}""" % PANEL

# Where the run is: the code cells still without a count, and the first error output.
RUN_STATE = """(path) => {
    const w = (%s)(path);
    const cells = w.content.model.cells;
    let waiting = 0, total = 0, error = null;
    for (let i = 0; i < cells.length; i++) {
        const c = cells.get(i);
        if (c.type !== 'code' || c.sharedModel.getSource().trim() === '') continue;
        total++;
        if (c.executionCount === null) waiting++;
        for (let j = 0; j < c.outputs.length; j++) {
            const o = c.outputs.get(j).toJSON();
            if (o.output_type === 'error' && !error) error = `cell ${i}: ${o.ename}: ${o.evalue}`;
        }
    }
    const run = window.__vaebookRunAll || {done: false};
    return {waiting: waiting, total: total, error: error, finished: run.done, ok: run.ok === true,
            run_error: run.error || null};
}""" % PANEL

# Ask the running kernel which interpreter it is and where vaebook comes from.
KERNEL_PROBE = """async (path) => {
    const w = (%s)(path);
    const kernel = w.sessionContext.session.kernel;
    const future = kernel.requestExecute({code: 'import sys, vaebook\\nprint(sys.executable)\\nprint(vaebook.__file__)',
                                          silent: false, store_history: false});
    let out = '';
    future.onIOPub = (msg) => { if (msg.header.msg_type === 'stream') out += msg.content.text; };
    await future.done;
    return out;
}""" % PANEL


def image_stats(page, css_class):
    img = page.locator(f"img.{css_class}").first
    img.wait_for(state="visible", timeout=20_000)
    page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle(), timeout=20_000)
    return img.evaluate(IMAGE_STATS)


def wait_for_image_change(page, css_class, key, before, what):
    try:
        page.wait_for_function(
            f"() => {{ const img = document.querySelector('img.{css_class}');"
            f" return img && img.complete && img.naturalWidth > 0 && ({IMAGE_STATS})(img).{key} !== {before}; }}",
            timeout=20_000, polling=200,
        )
    except Exception as err:
        raise AssertionError(f"{what} did not change within 20 s of moving the slider or clicking the digit") from err


READOUT_VALUE = "(el) => parseFloat(el.textContent.replace('\\u2212', '-'))"  # ipywidgets prints U+2212 minus


def readout_value(readout) -> float:
    return readout.evaluate(READOUT_VALUE)


def wait_for_readout(page, readout, condition, what):
    """Wait (bounded) until the slider's readout value v satisfies `condition`, a JS expression in v."""
    try:
        page.wait_for_function(f"(el) => {{ const v = ({READOUT_VALUE})(el); return {condition}; }}",
                               arg=readout.element_handle(), timeout=20_000, polling=200)
    except Exception as err:
        raise AssertionError(f"{what}: the readout shows {readout.inner_text()!r}, expected {condition}") from err


def run_all(page, rel_path, session_deadline):
    """Clear, Run All, and wait until every non-empty code cell has an execution count."""
    page.wait_for_function(f"(p) => ({PANEL})(p) !== null", arg=rel_path, timeout=60_000)
    started_at = time.monotonic()
    started = page.evaluate(START_RUN_ALL, rel_path)
    assert started["stale"] == 0, f"clearing left {started['stale']} execution counts: the wait could pass too early"
    deadline = min(time.monotonic() + RUN_ALL_BOUND_S, session_deadline)
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(RUN_STATE, rel_path)
        if state["error"] or state["run_error"]:
            pytest.fail(f"{rel_path} failed while running: {state['error'] or state['run_error']}")
        if state["finished"] and state["waiting"] == 0:
            assert state["ok"], f"Run All reported failure: {state}"
            print(f"{rel_path}: {state['total']} code cells ran in {time.monotonic() - started_at:.0f} s")
            return state
        if state["finished"] and not state["ok"]:
            pytest.fail(f"Run All stopped with {state['waiting']} of {state['total']} cells not run: {state}")
        time.sleep(0.5)
    pytest.fail(f"{rel_path}: Run All did not finish in time (at most {RUN_ALL_BOUND_S} s, and within the"
                f" browser tests' 5-minute budget): {state}")


def drag(page, handle, track, fraction):
    """Press the mouse on the slider's handle and drag it to `fraction` of the track's width."""
    h, t = handle.bounding_box(), track.bounding_box()
    assert h and t, "the slider is not laid out"
    page.mouse.move(h["x"] + h["width"] / 2, h["y"] + h["height"] / 2)
    page.mouse.down()
    page.mouse.move(t["x"] + fraction * t["width"], h["y"] + h["height"] / 2, steps=12)
    page.mouse.up()


@pytest.mark.parametrize("notebook", explorer_notebooks())
def test_latent_explorer_responds_in_the_browser(notebook, lab, browser, artifacts, deadline, ran_notebooks):
    path = ROOT / "notebooks" / notebook
    committed = hashlib.sha256(path.read_bytes()).hexdigest()
    rel_path = f"notebooks/{notebook}"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{lab['url']}/lab/tree/{rel_path}", timeout=60_000)
        run_all(page, rel_path, deadline)
        ran_notebooks.append(notebook)

        # The kernel is the rehearsal's interpreter, with the rehearsal's vaebook.
        executable, vaebook_file = page.evaluate(KERNEL_PROBE, rel_path).split()
        assert executable == f"{lab['venv']}/bin/python", f"the kernel runs {executable}"
        assert vaebook_file.startswith(f"{lab['venv']}/lib/"), f"the kernel's vaebook is {vaebook_file}"

        explorer = page.locator(".vaebook-latent-explorer").first
        explorer.wait_for(state="attached", timeout=30_000)
        explorer.scroll_into_view_if_needed(timeout=10_000)
        explorer.wait_for(state="visible", timeout=10_000)
        sliders = explorer.locator(".vaebook-slider")
        assert sliders.count() >= 2
        readouts = [sliders.nth(i).locator(".widget-readout") for i in range(2)]
        digit0 = image_stats(page, "vaebook-digit")
        map0 = image_stats(page, "vaebook-latent-map")
        assert digit0["width"] == 168 and digit0["dark"] > 0, digit0

        # The keyboard: z0 right by 20 steps of 0.05, each press seen by the slider before the next.
        # Round trip: value -> kernel -> new PNG -> <img>.
        handle = sliders.nth(0).locator(".noUi-handle")
        handle.focus()
        z0 = readout_value(readouts[0])
        assert z0 <= 2.0, f"z0 starts at {z0}: too near the end of the slider for 20 steps"
        for step in range(1, 21):
            handle.press("ArrowRight")
            wait_for_readout(page, readouts[0], f"Math.abs(v - ({z0} + {step} * 0.05)) < 0.001",
                             f"z0 after {step} ArrowRight presses from {z0}")
        wait_for_image_change(page, "vaebook-digit", "dark", digit0["dark"], "the decoded digit (keyboard)")
        wait_for_image_change(page, "vaebook-latent-map", "x_centroid", map0["x_centroid"], "the latent map's marker (keyboard)")
        digit1 = image_stats(page, "vaebook-digit")

        # The mouse: drag z1's handle across the track, to the far side from where it starts
        # (85% of the track is about +2.1 on [-3, 3], 15% about -2.1).
        z1 = readout_value(readouts[1])
        fraction, condition = (0.15, "v < -1.0") if z1 > 0 else (0.85, "v > 1.0")
        drag(page, sliders.nth(1).locator(".noUi-handle"), sliders.nth(1).locator(".noUi-base"), fraction)
        wait_for_readout(page, readouts[1], condition, f"z1 after dragging its handle from {z1} to {fraction:.0%} of the track")
        wait_for_image_change(page, "vaebook-digit", "dark", digit1["dark"], "the decoded digit (mouse)")

        # A conditional VAE's digit chooser: click another digit; the decoded image must change.
        chooser = explorer.locator(".vaebook-digit-chooser")
        assert chooser.count() == (1 if notebook in CONDITIONAL else 0), f"{notebook}: digit choosers {chooser.count()}"
        if notebook in CONDITIONAL:
            buttons = chooser.locator("button")
            assert buttons.count() == 10, f"the digit chooser has {buttons.count()} buttons"
            tops = [round(buttons.nth(i).bounding_box()["y"]) for i in range(10)]
            assert len(set(tops)) == 1, f"the digit chooser's ten buttons wrap onto {len(set(tops))} rows (tops {tops})"
            active = [i for i in range(10) if "mod-active" in (buttons.nth(i).get_attribute("class") or "")]
            assert len(active) == 1, f"active digit buttons: {active}"
            target = (active[0] + 5) % 10
            digit2 = image_stats(page, "vaebook-digit")
            buttons.nth(target).click()
            page.wait_for_function("(el) => el.classList.contains('mod-active')", arg=buttons.nth(target).element_handle(),
                                   timeout=20_000, polling=200)
            wait_for_image_change(page, "vaebook-digit", "dark", digit2["dark"], f"the decoded digit (clicked digit {target})")

        page.screenshot(path=str(artifacts / notebook.replace(".ipynb", ".png")))
        explorer.screenshot(path=str(artifacts / notebook.replace(".ipynb", "-explorer.png")))
        body = page.inner_text("body")
        for text in BAD_TEXT:
            assert text not in body, f"{text!r} appears on the page"
    finally:
        context.close()
        shut_down_kernel(lab["url"], rel_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == committed, f"the browser session changed {path}"


def shut_down_kernel(url: str, rel_path: str):
    """End the notebook's session, as a reader closes a notebook with its kernel, so that the next
    notebook's kernel does not share Binder's 2 GB with this one (each takes about 1 GB)."""
    with urllib.request.urlopen(f"{url}/api/sessions", timeout=10) as answer:
        sessions = json.load(answer)
    for session in sessions:
        if session.get("path") == rel_path:
            request = urllib.request.Request(f"{url}/api/sessions/{session['id']}", method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()
