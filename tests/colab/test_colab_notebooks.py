"""Run inside the Colab rehearsal's environment (tests/colab/rehearse.sh): every notebook, run in a
kernel of that environment (Colab's TensorFlow, Keras, NumPy, ipywidgets 7.7.1, ipykernel 6.17.1),
must finish without an error (nbval-lax's rule: any error output fails; printed outputs are not
compared, the versions differ), and every latent explorer must respond to its controls.

An explorer is driven in its notebook's own kernel, after the notebook's last cell, as the front
end drives it: a control's new value is set on the widget (what a slider's comm message does), and
the images it shows must change: the decoded digit and the marker on the latent map for z0, the
digit for z1, and the digit for another label on a digit chooser.

    COLAB_NOTEBOOKS="04_latent_space.ipynb ..." python -m pytest tests/colab   # default: every notebook
"""

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(os.environ.get("COLAB_NOTEBOOK_DIR", Path(__file__).resolve().parents[2] / "notebooks"))
VIEW = "application/vnd.jupyter.widget-view+json"
DRIVE = r'''
import json
from vaebook.widgets import LatentExplorer

def _vaebook_drive(explorer):
    def images():
        return explorer.digit.value, explorer.latent_map.value
    seen = {}
    digit, latent_map = images()
    z0 = explorer.sliders[0]
    z0.value = z0.value - 1.0 if z0.value > 0 else z0.value + 1.0
    seen["z0 moves the digit"] = images()[0] != digit
    seen["z0 moves the map's marker"] = images()[1] != latent_map
    digit = images()[0]
    z1 = explorer.sliders[1]
    z1.value = z1.value - 1.5 if z1.value > 0 else z1.value + 1.5
    seen["z1 moves the digit"] = images()[0] != digit
    if explorer.digit_chooser is not None:
        digit = images()[0]
        explorer.digit_chooser.value = (explorer.digit_chooser.value + 5) % 10
        seen["another digit label changes the digit"] = images()[0] != digit
    return seen

# Each explorer once (IPython's output history, _ and Out[n], holds displayed ones again).
_vaebook_explorers = {id(v): v for v in list(globals().values()) if isinstance(v, LatentExplorer)}
print(json.dumps([_vaebook_drive(v) for v in _vaebook_explorers.values()]))
'''


def notebooks() -> list:
    chosen = os.environ.get("COLAB_NOTEBOOKS", "").split()
    found = sorted(p.name for p in NOTEBOOKS.glob("[0-9]*.ipynb"))
    unknown = set(chosen) - set(found)
    if unknown:
        raise ValueError(f"COLAB_NOTEBOOKS names {sorted(unknown)}, not in {NOTEBOOKS}; use names such as {found[0]}")
    return chosen or found


def explorer_count(nb) -> int:
    return sum("LatentExplorer(" in c.source for c in nb.cells if c.cell_type == "code")


def explorer_problems(nb, driven: list) -> list:
    """Every way the explorers failed: not displayed as widgets, not found, or not responding."""
    expected = explorer_count(nb)
    views = sum(VIEW in o.get("data", {}) for c in nb.cells[:-1] if c.cell_type == "code" for o in c.get("outputs", []))
    problems = []
    if views != expected:
        problems.append(f"{expected} explorers created but {views} widget views displayed")
    if len(driven) != expected:
        problems.append(f"{expected} explorers created but {len(driven)} found in the kernel")
    problems += [f"explorer {i}: no: {what}" for i, seen in enumerate(driven) for what, ok in seen.items() if not ok]
    return problems


@pytest.mark.parametrize("name", notebooks())
def test_the_notebook_runs_and_its_explorers_respond(name, tmp_path):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells.append(nbformat.v4.new_code_cell(DRIVE))
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    try:
        client.execute()
    except CellExecutionError as err:
        pytest.fail(f"{name} failed on Colab's stack:\n{str(err)[-3000:]}")
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    driven = json.loads(printed.strip().splitlines()[-1])
    print(f"{name}: {len(driven)} explorers driven: {driven}")
    assert explorer_problems(nb, driven) == []


def test_the_explorer_check_catches_each_failure():
    def nb_with(outputs, sources=("explorer = LatentExplorer(vae, m, y)\nexplorer",)):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(s, outputs=outputs) for s in sources] + [nbformat.v4.new_code_cell("")]
        return nb

    shown = [nbformat.v4.new_output("display_data", data={VIEW: {"model_id": "x"}, "text/plain": "HBox"})]
    ok = {"z0 moves the digit": True, "z1 moves the digit": True}
    assert explorer_problems(nb_with(shown), [ok]) == []
    assert explorer_problems(nb_with([]), [ok])  # not displayed (ipywidgets 7 without _ipython_display_)
    assert explorer_problems(nb_with(shown), [])  # not found in the kernel
    assert explorer_problems(nb_with(shown), [{**ok, "z1 moves the digit": False}])  # a slider that does nothing
