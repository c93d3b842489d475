"""The answer key and its grader (key/grade.py, nbgrader): the notebooks' exercise sections are nbgrader's release
of the key; graded, the committed notebooks score 0 on every auto-graded exercise, the key full marks, and a copy of
the key with one typical wrong answer loses exactly that exercise's points, with the checker's hint in nbgrader's
feedback; the package built for `pip install` holds no key."""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jupytext
import nbformat
import pytest

from key import grade as key_grade

ROOT = Path(__file__).resolve().parents[1]
STUDENT = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))
# The typical wrong answer planted in a copy of the key: notebook 01's share_within compares the squared distance.
WRONG_NOTEBOOK, WRONG_CELL, WRONG_POINTS = "01_history", "ex1_check", 2
WRONG_ANSWER = "def share_within(codes, radius):\n    return float(np.mean(np.sum(codes**2, axis=1) <= radius))\n"
WRONG_HINT = "you compared the squared distance with the radius"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One nbgrader course grading the committed notebooks, the key, and the key with one wrong answer."""
    folder = tmp_path_factory.mktemp("grading")
    nb = key_grade.key_notebook(WRONG_NOTEBOOK)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex1_answer")
    answer.source = WRONG_ANSWER
    wrong = folder / "wrong" / f"{WRONG_NOTEBOOK}.ipynb"
    wrong.parent.mkdir()
    nbformat.write(nb, wrong)
    results = key_grade.grade([*STUDENT, wrong], key=True, course=folder / "course", feedback=folder / "feedback", quiet=True,
                              feedback_for={"submission2"})
    return {"course": folder / "course", "feedback": folder / "feedback", "wrong": str(wrong),
            "results": {r["path"]: r for r in results}}


def test_the_notebooks_exercise_sections_are_nbgraders_release_of_the_key(graded):
    assert key_grade.section_differences(graded["course"] / "release" / key_grade.ASSIGNMENT) == []


def test_the_committed_notebooks_score_0_on_every_auto_graded_exercise(graded):
    for path in STUDENT:
        result = graded["results"][str(path)]
        assert result["cells"] and result["max_score"] > 0
        assert {cell: score for cell, (score, _) in result["cells"].items() if score} == {}, path.name
        assert re.fullmatch(rf"{re.escape(str(path))}: score 0 / \d+( \(.*\))?", key_grade.score_line(result))


def test_the_key_scores_full_marks(graded):
    for name in key_grade.NAMES:
        result = graded["results"][f"key/{name}.py"]
        assert result["score"] == result["max_score"] > 0, (name, result["cells"])
        assert all(score == points for score, points in result["cells"].values())
        assert key_grade.score_line(result).startswith(f"key/{name}.py: score {result['max_score']:g} / {result['max_score']:g}")


def test_one_typical_wrong_answer_loses_exactly_its_exercises_points_with_the_hint_in_the_feedback(graded):
    result = graded["results"][graded["wrong"]]
    key = graded["results"][f"key/{WRONG_NOTEBOOK}.py"]
    assert result["cells"][WRONG_CELL] == (0, WRONG_POINTS)
    assert {c: s for c, s in result["cells"].items() if c != WRONG_CELL} == {c: s for c, s in key["cells"].items() if c != WRONG_CELL}
    assert result["score"] == key["max_score"] - WRONG_POINTS
    feedback = (graded["feedback"] / f"submission2_{WRONG_NOTEBOOK}.html").read_text()
    assert WRONG_HINT in feedback


def test_the_student_notebooks_carry_no_answer_and_never_import_the_key():
    for path in STUDENT:
        text = path.with_suffix(".py").read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "require(" not in text, path.name
        assert not re.search(r"^\s*(from|import)\s+key\b", text, re.M), path.name
    for name in key_grade.NAMES:  # every answer line of the key is absent from its notebook's exercise section
        student = "\n".join(c.source for c in key_grade.exercise_cells(jupytext.read(ROOT / "notebooks" / f"{name}.py")))
        for region in re.findall(r"BEGIN SOLUTION[^\n]*\n(.*?)\n[^\n]*END SOLUTION", (key_grade.KEY / f"{name}.py").read_text(), re.S):
            for line in region.splitlines():
                line = line.strip().lstrip("#").strip()
                if len(line) > 25 and "=" in line:
                    assert line not in student, (name, line)


def test_the_grader_refuses_what_it_cannot_grade(capsys):
    with pytest.raises(SystemExit, match="give notebooks"):
        key_grade.grade([])
    with pytest.raises(SystemExit, match="not one of the series' notebooks"):
        key_grade.notebook_name("homework.ipynb")


def test_the_installed_package_holds_no_key(tmp_path):
    """Build the wheel from a copy of the repository's package files with the key beside them: the key stays out."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    for folder in ("vaebook", "key"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    home = tmp_path / "home"  # the build asks rustup about rustc, which writes its settings to HOME
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(tmp_path / "dist"),
                           str(source)], capture_output=True, text=True, env={**os.environ, "HOME": str(home)})
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "dist").glob("vaebook-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "vaebook/exercises.py" in names
    assert not [n for n in names if n.startswith("key/") or "solutions" in n or "/key/" in n], names


def test_the_key_is_in_nbgraders_format():
    """Each key notebook: a setup cell, and for each auto-graded answer a solution cell and a locked check cell whose
    hidden test requires the checker it calls; ids unique."""
    for name in key_grade.NAMES:
        cells = jupytext.read(key_grade.KEY / f"{name}.py").cells
        ids = [c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
        assert len(ids) == len(set(ids)) and ids[0] == "setup", name
        for cell in cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code":
                check = re.search(r"exercises\.check_(\w+)\(", cell.source)
                assert check and f'exercises.require("{check.group(1)}")' in cell.source, (name, meta["grade_id"])
                assert meta["locked"] and meta["points"] > 0


def test_teaching_md_counts_the_keys_points():
    """TEACHING.md's table of exercises adds up to the key's points, auto-graded and written."""
    auto = written = 0
    for name in key_grade.NAMES:
        for cell in jupytext.read(key_grade.KEY / f"{name}.py").cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                if cell.cell_type == "code":
                    auto += meta["points"]
                else:
                    written += meta["points"]
    rows = [line for line in (ROOT / "TEACHING.md").read_text().splitlines() if re.match(r"\| 0\d\.\d ", line)]
    assert len(rows) == sum(len(re.findall(r"\*\*Exercise \d", (key_grade.KEY / f"{n}.py").read_text())) for n in key_grade.NAMES)
    table = {"auto": 0, "written": 0}
    for row in rows:  # the points column: "2 auto", "3 + 2 auto", "3 written + 3 auto"
        pending = 0
        for part in row.split("|")[3].split("+"):
            number, *kind = part.split()
            pending += int(number)
            if kind:
                table[kind[0]] += pending
                pending = 0
    assert (table["auto"], table["written"]) == (auto, written)
    assert f"**{auto} auto + {written} written**" in (ROOT / "TEACHING.md").read_text()
