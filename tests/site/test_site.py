"""The rendered site (docs/build.py), opened page by page in headless Chromium, offline.

The site is served from 127.0.0.1 and every request to any other host is refused and recorded, so
a page that needs a CDN (MathJax, a widget manager, a font, a badge) fails here. On every page:
no console error, no failed or outside request, every image loaded (naturalWidth > 0), no LaTeX
left as text after MathJax ran, no widget placeholder text. Screenshots go to artifacts/site/.

Runs only when asked for by path (`pytest tests/site`, the site stage of ./dev.sh test); the site
is the one in $VAEBOOK_SITE (a folder with index.html), else built into a scratch folder.
"""

import functools
import http.server
import importlib.util
import os
import re
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "site"
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
# Text a page shows when a widget could not be rendered, or an explorer's plain-text stand-in.
PLACEHOLDERS = ["Loading widget", "Error displaying widget", "model not found", "LatentExplorer(", "HBox(children"]
# LaTeX that MathJax should have turned into mathematics, looked for outside code: display-math
# dollars, \( \) \[ \], a backslash command (\log, \mathbb, \begin), or a one-symbol $z$ / $x_i$.
# (Not every pair of dollars: the benchmarks page has regular expressions ending in $ as text.)
RAW_LATEX = re.compile(r"\$\$|\\[()\[\]]|\\[A-Za-z]{2,}|\$[A-Za-z0-9](?:[_^][A-Za-z0-9{}]+)?\$")

# The page's visible text outside code blocks and rendered mathematics.
PROSE = """() => {
    const main = (document.querySelector('article') || document.body).cloneNode(true);
    main.querySelectorAll('pre, code, .highlight, mjx-container, script, style, .cell_output').forEach(e => e.remove());
    return main.innerText;
}"""
# The page's text without the notebooks' code (where "LatentExplorer(" is the code, not a placeholder).
WITHOUT_CODE = """() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll('.cell_input').forEach(e => e.remove());
    return body.innerText;
}"""
IMAGES = """() => Array.from(document.images).map(i => ({src: i.currentSrc.slice(0, 80), ok: i.complete && i.naturalWidth > 0}))"""


def raw_latex(text: str) -> list:
    return sorted(set(m.group(0)[:40] for m in RAW_LATEX.finditer(text)))


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    given = os.environ.get("VAEBOOK_SITE")
    if given:
        folder = Path(given)
        assert (folder / "index.html").exists(), f"VAEBOOK_SITE={given} has no index.html: build it with ./dev.sh site"
        return folder
    spec = importlib.util.spec_from_file_location("vaebook_docs_build", ROOT / "docs" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build.main([str(tmp_path_factory.mktemp("site") / "site")]).parent


@pytest.fixture(scope="session")
def server(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def pages(site: Path) -> list:
    """Every HTML page of the site (not the theme's and Sphinx's own folders)."""
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if not p.relative_to(site).parts[0].startswith("_"))


def test_the_site_has_a_landing_page_and_every_notebook(site):
    found = pages(site)
    assert "index.html" in found
    assert [f"notebooks/{n}.html" for n in NOTEBOOKS] == [p for p in found if p.startswith("notebooks/")]


def check_page(browser, server, page_name):
    """Everything wrong with one page, as a list of one-line problems (empty: the page is fine)."""
    problems = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside = []

    def only_local(route):
        if route.request.url.startswith(server + "/") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text[:200]}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {str(e)[:200]}"))
    page.on("requestfailed", lambda r: r.url in outside or problems.append(f"failed request: {r.url}"))
    try:
        page.goto(f"{server}/{page_name}", wait_until="load", timeout=60_000)
        if page.evaluate("() => !!(window.MathJax && window.MathJax.startup)"):
            page.evaluate("() => window.MathJax.startup.promise")
        page.evaluate("async () => { for (const i of document.images) { i.loading = 'eager'; "
                      "if (!i.complete) await new Promise(r => { i.onload = i.onerror = r; }); } }")
        problems += [f"image not loaded: {i['src']}" for i in page.evaluate(IMAGES) if not i["ok"]]
        problems += [f"unrendered LaTeX: {t!r}" for t in raw_latex(page.evaluate(PROSE))]
        body = page.evaluate(WITHOUT_CODE)
        problems += [f"widget placeholder text: {t!r}" for t in PLACEHOLDERS if t in body]
        problems += [f"request to another host: {u}" for u in outside]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / (page_name.replace("/", "_").removesuffix(".html") + ".png")))
        for i, picture in enumerate(page.locator(".vaebook-explorer-picture").all()):
            picture.screenshot(path=str(ARTIFACTS / f"{Path(page_name).stem}-explorer{i}.png"))
        return problems, page.locator("mjx-container").count(), page.locator(".vaebook-explorer-picture").count()
    finally:
        context.close()


def test_every_page_renders_offline(site, server, browser):
    rendered = {}
    all_problems = []
    for name in pages(site):
        problems, maths, explorers = check_page(browser, server, name)
        rendered[name] = (maths, explorers)
        all_problems += [f"{name}: {p}" for p in problems]
    print({k: v for k, v in rendered.items() if v != (0, 0)})
    assert all_problems == []
    assert rendered["notebooks/02_elbo.html"][0] > 20, "MathJax rendered (almost) no mathematics in notebook 02"
    explorers = {n: rendered[f"notebooks/{n}.html"][1] for n in NOTEBOOKS}
    assert explorers == {n: int(n[:2] in ("04", "05", "06")) for n in NOTEBOOKS}, explorers


def test_the_checks_catch_each_problem(browser, server, site, tmp_path):
    """A page with a CDN script, a broken image, raw LaTeX and widget placeholder text: each is caught."""
    bad = site / "_planted.html"
    bad.write_text("<html><body><article><p>The ELBO $\\log p(x) \\ge 0$ and \\(x\\)</p>"
                   "<img src='missing.png'><p>Loading widget...</p>"
                   "<script src='https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js'></script>"
                   "<script>undefinedFunction()</script></article></body></html>")
    try:
        problems, _, _ = check_page(browser, server, "_planted.html")
    finally:
        bad.unlink()
    text = "\n".join(problems)
    for kind in ("request to another host: https://cdn.jsdelivr.net", "image not loaded", "unrendered LaTeX",
                 "widget placeholder text", "page error"):
        assert kind in text, f"not caught: {kind}\n{text}"
