"""Build the rendered site from the committed, executed notebooks, without running them.

    python docs/build.py [OUTDIR]    (what ./dev.sh site runs; default OUTDIR: build/site)

Sphinx with MyST-NB (docs/conf.py) reads a staged copy of the sources, made here:
- index: README.md, the landing page; benchmarks: benchmarks/README.md (its dollar signs are
  regular-expression anchors, not mathematics, so they are escaped);
- notebooks/*.ipynb as committed, with two changes for a site that works offline:
  badges drawn from other hosts become plain links (the links still go to Colab and Binder), and
  each latent explorer, which needs a running kernel, becomes a picture of what it showed when the
  notebook was executed (its images and slider values, from the widget state the notebook stores),
  with links to run it live.
The last line printed is the path of the site's index.html.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
REMOTE_BADGE = re.compile(r"\[!\[([^\]]*)\]\((https?://[^)\s]+)\)\]\((https?://[^)\s]+)\)")
REMOTE_IMAGE = re.compile(r"!\[([^\]]*)\]\((https?://[^)\s]+)\)")
LINKS = {"Colab": "https://colab.research.google.com/github/{slug}/blob/main/notebooks/{name}",
         "Binder": "https://mybinder.org/v2/gh/{slug}/HEAD?urlpath=lab/tree/notebooks/{name}"}


def offline_markdown(text: str) -> str:
    """Badges served by other hosts as plain links ([alt](target)); any other remote image as its alt text."""
    text = REMOTE_BADGE.sub(lambda m: f"[{m.group(1)}]({m.group(3)})", text)
    return REMOTE_IMAGE.sub(lambda m: m.group(1), text)


RELATIVE_LINK = re.compile(r"\]\((?!https?:|#|mailto:)([^)\s]+)\)")


def repository_links(text: str, slug: str, folder: str = "") -> str:
    """Relative links to files that are not pages of the site (``key/README.md``, ``TEACHING.md``, ...)
    go to the file on the code host; links to the notebooks and to the benchmarks page stay."""
    def link(m):
        target = m.group(1)
        if target == "benchmarks.md" or (target.startswith("notebooks/") and target.endswith(".ipynb")):
            return m.group(0)
        return f"](https://github.com/{slug}/blob/main/{folder}{target})"
    return RELATIVE_LINK.sub(link, text)


def repo_slug() -> str:
    """owner/name of the repository, from the README's Binder badge (the Colab badges use the same)."""
    found = re.search(r"https://mybinder\.org/v2/gh/([^/\s]+/[^/\s]+)/", (ROOT / "README.md").read_text())
    if not found:
        raise SystemExit("docs/build.py: README.md has no Binder link (https://mybinder.org/v2/gh/OWNER/NAME/...); "
                         "the site's run-it-live links are made from it")
    return found.group(1)


def widget_children(state: dict, model_id: str) -> list:
    """The model and all its descendants (children of boxes), depth first."""
    model = state[model_id]
    found = [model]
    for child in model["state"].get("children", []):
        found += widget_children(state, child.removeprefix("IPY_MODEL_"))
    return found


def explorer_picture(state: dict, model_id: str, notebook: str, slug: str) -> str:
    """HTML: the explorer's images as stored, its slider values, and links to run it live."""
    if model_id not in state:
        raise SystemExit(f"docs/build.py: {notebook} displays widget {model_id} but stores no state for it; "
                         "re-execute the notebook with ./dev.sh execute (nbconvert stores widget state)")
    parts = widget_children(state, model_id)
    images = {}
    for part in parts:
        classes = part["state"].get("_dom_classes", [])
        buffers = {tuple(b["path"]): b["data"] for b in part.get("buffers", [])}
        if part["model_name"] == "ImageModel" and ("value",) in buffers:
            images[next((c for c in classes if c.startswith("vaebook-")), "image")] = buffers[("value",)]
    if not images:
        raise SystemExit(f"docs/build.py: the widget {model_id} of {notebook} stores no image: not a latent explorer?")
    values = [f"{p['state']['description']} = {p['state']['value']:.2f}" for p in parts
              if p["model_name"] == "FloatSliderModel"]
    values += [f"digit y = {p['state']['index']}" for p in parts if p["model_name"] == "ToggleButtonsModel"]
    links = " or ".join(f'<a href="{url.format(slug=slug, name=notebook)}">on {host}</a>' for host, url in LINKS.items())
    imgs = "".join(f'<img class="{html.escape(cls)}" alt="{html.escape(cls.removeprefix("vaebook-"))}" '
                   f'src="data:image/png;base64,{data}">' for cls, data in images.items())
    return (f'<div class="vaebook-explorer-picture"><p><b>The latent explorer</b>, as the notebook left it '
            f'({html.escape(", ".join(values))}). Its controls need a running Python kernel: run this notebook '
            f'{links} to move them.</p><div>{imgs}</div></div>')


def stage_notebook(path: Path, out: Path, slug: str) -> int:
    """Copy a notebook for the site (see the module docstring); returns how many explorers became pictures."""
    nb = nbformat.read(path, as_version=4)
    state = nb.metadata.pop("widgets", {}).get(STATE, {}).get("state", {})
    pictures = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = offline_markdown(cell.source)
            continue
        for i, output in enumerate(cell.get("outputs", [])):
            view = output.get("data", {}).get(VIEW)
            if view:
                picture = explorer_picture(state, view["model_id"], path.name, slug)
                cell.outputs[i] = nbformat.v4.new_output("display_data", data={"text/html": picture})
                pictures += 1
    nbformat.write(nb, out)
    return pictures


def stage(src: Path) -> None:
    slug = repo_slug()
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    readme = offline_markdown((ROOT / "README.md").read_text()).replace("](benchmarks/README.md)", "](benchmarks.md)")
    readme = repository_links(readme, slug)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    toctree = "\n".join(["", "```{toctree}", ":hidden:", ":caption: The series", ""]
                        + [f"notebooks/{p.stem}" for p in notebooks] + ["benchmarks", "```", ""])
    (src / "index.md").write_text(readme + toctree)
    benchmarks = repository_links(offline_markdown((ROOT / "benchmarks" / "README.md").read_text()), slug, "benchmarks/")
    (src / "benchmarks.md").write_text(benchmarks.replace("$", r"\$"))
    pictures = sum(stage_notebook(p, src / "notebooks" / p.name, slug) for p in notebooks)
    print(f"== staged README.md, benchmarks/README.md and {len(notebooks)} notebooks ({pictures} explorers as pictures)")


def main(argv=None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir", nargs="?", default=str(ROOT / "build" / "site"), help="where the site goes")
    args = p.parse_args(argv)
    out = Path(args.outdir).resolve()
    src = out.parent / (out.name + "-src")
    stage(src)
    if out.exists():
        shutil.rmtree(out)
    # -W: a warning (a broken link, an unknown output type) fails the build; -E: no stale environment.
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-E",
           "-c", str(ROOT / "docs"), "-d", str(out.parent / (out.name + "-doctrees")), str(src), str(out)]
    if subprocess.run(cmd).returncode != 0:
        raise SystemExit("docs/build.py: sphinx-build failed (its messages are above)")
    index = out / "index.html"
    print(index)
    return index


if __name__ == "__main__":
    main()
