"""The answer key's tools: release the exercise sections, and grade notebooks with nbgrader.

The key (``key/NN_name.py``, one per notebook) is the source of each notebook's "## Exercises"
section in nbgrader's format: answers between ``### BEGIN SOLUTION`` and ``### END SOLUTION``,
the grader's tests between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, model answers
to the written questions in their solution regions, and nbgrader's cell metadata (ids, points).
nbgrader's ``generate_assignment`` turns it into the student version, which is what the
committed notebooks carry from their "## Exercises" heading on.

    python -m key.grade release            # write each notebook's exercise section from the key
    python -m key.grade release --check    # fail if a notebook's section differs from the key's release
    python -m key.grade grade NOTEBOOK...  # autograde filled-in notebooks: "NOTEBOOK: score X / Y"
    python -m key.grade grade --key        # autograde the key itself (full marks)
    python -m key.grade course DIR         # an nbgrader course for a teacher: the whole notebooks

``./dev.sh grade`` runs the ``grade`` command. Grading runs each notebook's exercise section only:
the section is self-contained (its first cell loads what the exercises use), and the body of a
notebook is tested by nbval. Scores count the auto-graded points; written answers are graded by
hand (nbgrader's formgrader, with the key's model answers), and the line says how many points
they hold.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat

KEY = Path(__file__).resolve().parent
ROOT = KEY.parent
NOTEBOOKS = ROOT / "notebooks"
ASSIGNMENT = "vaebook"
HEADING = "## Exercises"
# The cell metadata nbgrader reads in a student notebook, which its .py pair must keep.
CELL_METADATA = ["nbgrader", "deletable", "editable"]
NAMES = sorted(p.stem for p in KEY.glob("[0-9][0-9]_*.py"))

NBGRADER_CONFIG = '''\
c = get_config()
c.CourseDirectory.course_id = "vaebook"
# The student's stubs: `...` is "not done yet" for vaebook's checkers, and costs nothing to run.
c.ClearSolutions.code_stub = {"python": "...  # your code here"}
c.ClearSolutions.text_stub = "*Your answer here.*"
# Cells may train a small model for a few seconds; a slow machine gets time.
c.Execute.timeout = 600
'''


def exercise_cells(nb) -> list:
    """The cells of ``nb`` from its "## Exercises" heading on."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.startswith(HEADING):
            return nb.cells[i:]
    raise ValueError(f"no '{HEADING}' heading in the notebook: the grader needs its exercise section")


def key_notebook(name: str):
    """The key's exercise section of notebook ``name`` (e.g. ``01_history``), as an nbformat notebook."""
    nb = jupytext.read(KEY / f"{name}.py")
    nb.metadata.pop("jupytext", None)
    return nb


def notebook_name(path) -> str:
    name = Path(path).stem
    if name not in NAMES:
        raise SystemExit(f"key.grade: {path} is not one of the series' notebooks ({', '.join(n + '.ipynb' for n in NAMES)})")
    return name


def _section_only(nb):
    """A copy of ``nb`` with only its exercise section (outputs kept)."""
    out = nbformat.v4.new_notebook(metadata=dict(nb.metadata))
    out.cells = exercise_cells(nb)
    out.metadata.pop("jupytext", None)
    return out


def write_course(root: Path, whole: bool = False) -> None:
    """An nbgrader course in ``root``: its config, and as source the key's exercise sections (``whole``: each
    notebook's body from ``notebooks/`` followed by the key's section)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        nb = key_notebook(name)
        if whole:
            student = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
            body = student.cells[: len(student.cells) - len(exercise_cells(student))]
            for cell in body:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            nb.cells = body + nb.cells
            nb.metadata = {**student.metadata, **nb.metadata}
            nb.metadata.pop("jupytext", None)
        nbformat.write(nb, source / f"{name}.ipynb")


def _environment(root: Path) -> dict:
    """nbgrader's and its kernels' environment: Jupyter's and IPython's own folders inside the course, so
    grading writes nothing to HOME and no user configuration changes it; TensorFlow quiet (a grade cell
    with output on stderr scores 0)."""
    env = dict(os.environ)
    for var, folder in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                        ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
        env[var] = str(root / ".jupyter" / folder)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    # nbgrader runs the `alembic` command of its environment: that environment's scripts come first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def nbgrader(root: Path, *args: str) -> None:
    """Run ``nbgrader ARGS`` in the course ``root``; on failure, raise with the end of its log."""
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=_environment(root),
                          capture_output=True, text=True)
    log = done.stdout + done.stderr
    if done.returncode != 0 or "[ERROR]" in log:
        tail = "\n".join(log.splitlines()[-25:])
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {done.returncode}):\n{tail}")


def generate(root: Path) -> Path:
    """nbgrader's generate_assignment on the course; returns the release folder."""
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    return root / "release" / ASSIGNMENT


def released_cells(release: Path, name: str) -> list:
    return nbformat.read(release / f"{name}.ipynb", as_version=4).cells


# --- the student notebooks' exercise sections -----------------------------------------------------


def _comparable(cell) -> tuple:
    meta = {k: cell.metadata.get(k) for k in ("nbgrader", "deletable", "editable")}
    return cell.cell_type, cell.source, repr(sorted((k, v) for k, v in meta.items() if v is not None))


def section_differences(release: Path) -> list:
    """The notebooks whose exercise section (sources and nbgrader metadata) differs from the key's release."""
    bad = []
    for name in NAMES:
        student = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        try:
            have = [_comparable(c) for c in exercise_cells(student)]
        except ValueError:
            have = []
        if have != [_comparable(c) for c in released_cells(release, name)]:
            bad.append(f"notebooks/{name}.ipynb")
    return bad


def write_sections(release: Path) -> list:
    """Replace each notebook's exercise section in its ``.py`` pair by the key's release; returns the changed
    ``.py`` files (then ``jupytext --sync`` and re-execute the notebooks)."""
    changed = []
    for name in NAMES:
        path = NOTEBOOKS / f"{name}.py"
        nb = jupytext.read(path)
        body = nb.cells[: len(nb.cells) - len(exercise_cells(nb))]
        cells = released_cells(release, name)
        for cell in cells:
            cell.pop("id", None)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nb.cells = body + cells
        jupytext_meta = nb.metadata.setdefault("jupytext", {})
        kept = [k for k in jupytext_meta.get("cell_metadata_filter", "-all").split(",") if k not in CELL_METADATA]
        jupytext_meta["cell_metadata_filter"] = ",".join(CELL_METADATA + kept)
        text = jupytext.writes(nb, fmt="py:percent")
        if text != path.read_text():
            path.write_text(text)
            changed.append(str(path.relative_to(ROOT)))
    return changed


# --- grading ------------------------------------------------------------------------------------------


def grade(paths=(), key: bool = False, course: Path | None = None, feedback: Path | None = None, quiet: bool = False,
          workers: int | None = None, feedback_for=None) -> list:
    """Autograde notebooks (or, with ``key``, the key) with nbgrader; print and return one result per notebook:
    a dict with ``path``, ``score``, ``max_score`` (auto-graded points), ``written`` (points graded by hand),
    ``cells`` ({grade_id: (score, max_score)}) and ``autograded`` (the graded notebook's path).

    The course is built in ``course`` (kept) or in a temporary folder. The submissions are split between
    ``workers`` copies of the course (default: one per CPU this process may use, at most 4), each graded by
    its own ``nbgrader autograde``. With ``feedback``, nbgrader's HTML feedback of each notebook (of the
    students in ``feedback_for``, when given: the ids ``key``, ``submission1``, ...) is written there as
    ``<student>_<notebook>.html``."""
    if not paths and not key:
        raise SystemExit("key.grade: give notebooks to grade, or --key")
    temporary = course is None
    root = Path(tempfile.mkdtemp(prefix="vaebook-grade-")) if temporary else Path(course).resolve()
    try:
        write_course(root)
        generate(root)
        submissions = []  # (path shown, notebook name, student id, the notebook to grade)
        if key:
            submissions += [(f"key/{name}.py", name, "key", root / "source" / ASSIGNMENT / f"{name}.ipynb") for name in NAMES]
        seen: dict = {}
        for path in paths:
            name = notebook_name(path)
            seen[name] = seen.get(name, 0) + 1
            submissions.append((str(path), name, f"submission{seen[name]}", Path(path)))
        workers = max(1, min(workers or min(len(os.sched_getaffinity(0)), 4), len(submissions)))
        copies = [root] + [root / "workers" / str(w) for w in range(1, workers)]
        for copy in copies[1:]:
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns("workers", ".jupyter"))
        placed = []
        for i, (shown, name, student, notebook) in enumerate(submissions):
            copy = copies[i % workers]
            folder = copy / "submitted" / student / ASSIGNMENT
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(_section_only(nbformat.read(notebook, as_version=4)), folder / f"{name}.ipynb")
            placed.append((shown, name, student, copy))
        wanted = [(student, copy) for _, _, student, copy in placed if feedback is not None and (feedback_for is None or student in feedback_for)]
        commands = {copy: [["autograde", ASSIGNMENT, "--force"]] for copy in copies}
        for student, copy in dict.fromkeys(wanted):
            commands[copy].append(["generate_feedback", ASSIGNMENT, "--force", f"--student={student}"])
        _in_parallel(commands)
        if feedback is not None:
            Path(feedback).mkdir(parents=True, exist_ok=True)
            for _, name, student, copy in placed:
                if (student, copy) in wanted:
                    shutil.copy(copy / "feedback" / student / ASSIGNMENT / f"{name}.html", Path(feedback) / f"{student}_{name}.html")
        results = [_result(copy, shown, name, student) for shown, name, student, copy in placed]
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
    if not quiet:
        for r in results:
            print(score_line(r), flush=True)
    return results


def _in_parallel(commands: dict) -> None:
    """Run each course's nbgrader commands ({course root: [args, ...]}) one after the other, all courses at once."""
    from concurrent.futures import ThreadPoolExecutor

    def run_all(root):
        for args in commands[root]:
            nbgrader(root, *args)

    with ThreadPoolExecutor(len(commands)) as pool:
        for future in [pool.submit(run_all, root) for root in commands]:
            future.result()


def _result(root: Path, shown: str, name: str, student: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        nb = gradebook.find_submission_notebook(name, ASSIGNMENT, student)
        cells = {g.name: (g.score, g.max_score) for g in nb.grades if g.cell.cell_type == "code"}
        return {"path": shown, "score": nb.code_score, "max_score": nb.max_code_score, "written": nb.max_written_score,
                "cells": cells, "autograded": root / "autograded" / student / ASSIGNMENT / f"{name}.ipynb"}


def score_line(result: dict) -> str:
    line = f"{result['path']}: score {result['score']:g} / {result['max_score']:g}"
    if result["written"]:
        line += f" (auto-graded; {result['written']:g} more points of written answers to grade by hand)"
    return line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m key.grade", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("grade", help="autograde filled-in notebooks (their exercise sections) with nbgrader")
    p.add_argument("notebooks", nargs="*", help="notebooks to grade, e.g. notebooks/0*.ipynb or a student's copy")
    p.add_argument("--key", action="store_true", help="grade the answer key itself")
    p.add_argument("--course", type=Path, help="build the nbgrader course here and keep it (autograded notebooks, gradebook.db)")
    p.add_argument("--feedback", type=Path, help="write nbgrader's HTML feedback of each notebook into this folder")
    p = commands.add_parser("release", help="write each notebook's exercise section from the key (nbgrader generate_assignment)")
    p.add_argument("--check", action="store_true", help="only check that every notebook's section is the key's release")
    p = commands.add_parser("course", help="write an nbgrader course for a teacher: source = the whole notebooks with the key's sections")
    p.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    if args.command == "grade":
        grade(args.notebooks, key=args.key, course=args.course, feedback=args.feedback)
        return 0
    if args.command == "course":
        write_course(args.directory.resolve(), whole=True)
        print(f"wrote the nbgrader course {args.directory}: source/{ASSIGNMENT}/ holds the {len(NAMES)} notebooks with the key; "
              f"next: cd {args.directory} && nbgrader generate_assignment {ASSIGNMENT}")
        return 0
    with tempfile.TemporaryDirectory(prefix="vaebook-release-") as tmp:
        write_course(Path(tmp))
        release = generate(Path(tmp))
        if args.check:
            bad = section_differences(release)
            for path in bad:
                print(f"{path}: its exercise section is not the key's release; run: python -m key.grade release, "
                      f"then jupytext --sync and ./dev.sh execute that notebook", file=sys.stderr)
            return 1 if bad else 0
        for path in write_sections(release):
            print(f"wrote the exercise section of {path}; now: jupytext --sync {path[:-3]}.ipynb && ./dev.sh execute {path[:-3]}.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
