"""The README's links: the Binder badge opens JupyterLab on the first notebook, and every notebook is listed."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_binder_badge_opens_the_first_notebook_in_jupyterlab():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"https://mybinder\.org/v2/gh/[^)\s]+", readme)
    assert links, "no Binder link in README.md"
    for link in links:
        path = re.search(r"\?urlpath=lab/tree/(\S+)$", link)
        assert path, f"{link} does not open JupyterLab (?urlpath=lab/tree/...)"
        assert path.group(1) == "notebooks/01_history.ipynb" and (ROOT / path.group(1)).exists()


def test_every_notebook_is_listed_and_every_link_resolves():
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\]\((notebooks/[^)]+\.ipynb)\)", readme))
    on_disk = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")}
    assert linked == on_disk
