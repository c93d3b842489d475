"""The code a notebook teaches is on its page, and it is the package's code, character for character.

Notebook 03 defines the VAE (``Sampling``, the conv encoder and decoder, ``VAE``, ``KLWarmup``) in
code cells, and the reader trains that class; notebook 06 defines ``ConditionalVAE`` and its
networks the same way. The package holds the same definitions (``vaebook.model``,
``vaebook.conditional``). These tests fail when a notebook's definition and the package's differ
in any way (a method added, one line of the loss changed, a docstring edited), when the notebook
imports the taught code instead of defining it, and when a notebook that uses a model whose code
is not on its page does not say where that code is.
"""

import ast
import importlib
import inspect
import textwrap
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TAUGHT = {
    "03_keras_vae.py": ("vaebook.model", ["Sampling", "build_conv_encoder", "build_conv_decoder", "VAE", "KLWarmup"]),
    "06_conditional_vae.py": ("vaebook.conditional", ["build_conditional_encoder", "build_conditional_decoder", "ConditionalVAE"]),
}


def definitions(source: str) -> dict:
    """{name: source text} of every top-level function and class in ``source``, decorators included."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if node.name in found:
                raise AssertionError(f"{node.name} is defined twice on the page")
            found[node.name] = "\n".join(lines[first - 1 : node.end_lineno])
    return found


def package_source(module: str, name: str) -> str:
    return textwrap.dedent(inspect.getsource(getattr(importlib.import_module(module), name))).rstrip("\n")


def first_difference(a: str, b: str) -> str:
    for i, (line_a, line_b) in enumerate(zip(a.splitlines(), b.splitlines()), 1):
        if line_a != line_b:
            return f"line {i}: notebook {line_a!r} vs package {line_b!r}"
    return f"one has more lines ({len(a.splitlines())} vs {len(b.splitlines())})"


def page_mismatches(page: str, module: str, names) -> list:
    """What differs between a page's taught definitions and the package's, one line each (empty: nothing)."""
    defined = definitions(page)
    problems = []
    for name in names:
        if name not in defined:
            problems.append(f"{name} is not defined on the page")
            continue
        ours, theirs = defined[name], package_source(module, name)
        if ours != theirs:
            problems.append(f"{name} differs from {module}.{name}: {first_difference(ours, theirs)}")
    for node in ast.walk(ast.parse(page)):
        if isinstance(node, ast.ImportFrom) and node.module == module:
            imported = sorted({alias.name for alias in node.names} & set(names))
            if imported:
                problems.append(f"the page imports {imported} from {module} instead of defining them")
    return problems


@pytest.mark.parametrize("notebook", sorted(TAUGHT))
def test_the_taught_code_on_the_page_is_the_package_code(notebook):
    module, names = TAUGHT[notebook]
    problems = page_mismatches((NOTEBOOKS / notebook).read_text(), module, names)
    assert not problems, "\n".join(problems) + f"\nEdit both, or copy the package's code into notebooks/{notebook} and run jupytext --sync."


PLANTS = [
    ("a method added to the page's class", "    def compute_loss(", "    def extra(self):\n        return 0\n\n    def compute_loss("),
    ("one line of the loss changed", "return reconstruction + (self.kl_weight if training else self.beta) * kl",
     "return reconstruction + self.kl_weight * kl"),
    ("a docstring edited", '"""q(z|x): the encoder\'s (mean, log_var) for the images x."""', '"""The encoder."""'),
    ("a layer changed in a builder", 'layers.Dense(16, activation="relu", name="hidden")', 'layers.Dense(32, activation="relu", name="hidden")'),
    ("the class imported instead of defined", "import numpy as np\n", "import numpy as np\nfrom vaebook.model import VAE\n"),
]


@pytest.mark.parametrize("what, old, new", PLANTS, ids=[p[0] for p in PLANTS])
def test_each_planted_drift_is_caught(what, old, new):
    page = (NOTEBOOKS / "03_keras_vae.py").read_text()
    assert old in page, f"the plant for '{what}' no longer matches the page"
    assert page_mismatches(page.replace(old, new, 1), *TAUGHT["03_keras_vae.py"]), f"{what}: not caught"


def test_a_page_that_uses_a_model_it_does_not_define_says_where_its_code_is():
    """Every notebook that loads or builds a model whose class is not on its page names the file of its source."""
    for path in sorted(NOTEBOOKS.glob("0*.py")):
        page = path.read_text()
        uses_shipped = "pretrained.load(" in page or "pretrained.model_for(" in page
        defines_its_model = path.name in TAUGHT
        if uses_shipped and not defines_its_model:
            assert "vaebook/model.py" in page, f"{path.name} uses a shipped model: say in one line that its code is vaebook/model.py (notebook 03)"
