"""The README's links: the Binder badge opens JupyterLab on the first notebook, and every notebook is listed."""

import importlib.util
import json
import re
import subprocess
import sys
import types
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


COLAB = "https://colab.research.google.com/github/vaebook/vaebook/blob/main/notebooks/{}"
COLAB_BADGE = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({})"


def notebooks():
    return sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def test_every_notebook_has_an_open_in_colab_badge_in_the_readme_and_at_its_top():
    """The badge opens the notebook of this repository (the slug the Binder badge uses) on its main branch."""
    readme = (ROOT / "README.md").read_text()
    slug = re.search(r"https://mybinder\.org/v2/gh/([^/]+/[^/]+)/", readme).group(1)
    for path in notebooks():
        badge = COLAB_BADGE.format(COLAB.format(path.name)).replace("vaebook/vaebook", slug)
        assert badge in readme, f"README.md lacks the Colab badge of {path.name}: {badge}"
        first = json.loads(path.read_text())["cells"][0]
        assert first["cell_type"] == "markdown" and badge in "".join(first["source"]), f"{path.name}'s first cell lacks {badge}"


def test_the_first_code_cell_installs_vaebook_on_colab_only_and_prints_nothing(monkeypatch):
    """The same cell in every notebook (the colab stage runs notebook 01's), committed without output;
    on Colab without vaebook it pip-installs this repository, elsewhere (or once installed) nothing.
    Every notebook names the python3 kernel."""
    firsts = set()
    for path in notebooks():
        nb = json.loads(path.read_text())
        assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", f"{path.name} has no python3 kernelspec"
        cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
        assert cell["outputs"] == [], f"{path.name}'s first code cell has output"
        firsts.add("".join(cell["source"]))
    assert len(firsts) == 1, "the notebooks' first code cells differ"
    code = compile(firsts.pop(), "first cell", "exec")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kwargs: calls.append(args))
    exec(code, {})  # here: not Colab, vaebook installed
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(code, {})  # Colab, vaebook installed
    assert calls == []
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "vaebook" else real_find_spec(name, *a))
    exec(code, {})  # Colab, vaebook missing
    assert len(calls) == 1 and calls[0][1:] == ["-m", "pip", "install", "-q", "git+https://github.com/vaebook/vaebook"]
