"""Mutation testing of the math and the training step with cosmic-ray (by hand, never in CI).

    python -m benchmarks.mutation --workers 2 # the whole run, two mutants at a time; writes results/mutation.json
    python -m benchmarks.mutation             # one mutant at a time: about twice as long
    python -m benchmarks.mutation --limit 20  # only the first 20 mutants: checks the set-up
    python -m benchmarks.mutation --resume    # go on with a run that was stopped (Ctrl-C, a reboot)
    python -m benchmarks.mutation --replay    # plant each survivor into today's code: do the tests added since kill it?

A mutant is the package with one small change (``+`` made ``-``, ``<`` made ``<=``, a number
changed, ...). The tests should fail for it: the mutant is *killed*. One that *survives* is either
harmless (it computes the same thing) or a gap in the tests. The kill rate and every survivor
go into ``benchmarks/README.md``.

What is mutated (``TARGETS``): all of ``losses.py``, ``evaluate.py`` and ``anomaly.py``; the taught
model of ``model.py`` and ``conditional.py``; the NumPy helpers of ``codes.py``; the data split, the
dynamic binarization and the checked fit of ``training.py``; the cache key of ``cache.py``. Each
mutant runs only the tests that cover its file (``TESTS``), with ``-x``.

How it runs:

1. The committed tree (``git archive HEAD``) is copied to ``.cache/mutation/tree``; cosmic-ray
   edits files there, never in the work tree.
2. cosmic-ray (pinned, ``COSMIC_RAY``) is installed into ``.cache/mutation/venv``.
3. ``cosmic-ray init`` lists the mutants; those outside ``TARGETS`` and those of ``SKIPPED_OPERATORS``
   are marked skipped.
4. A fork server imports TensorFlow, Keras and pytest once, without importing vaebook and without
   running a TensorFlow op (so forking is safe). cosmic-ray's test command is this script's
   ``--client``, which asks the server to fork a child that imports the mutated package and runs
   the tests; that saves the ~8 s import per mutant. Each test run's seconds go to
   ``.cache/mutation/durations.log``; the report's time is their sum, so a paused or resumed run
   reports the time its tests took.
5. A test run keeps about one CPU busy, so on two CPUs ``--workers 2`` runs two mutants at a time
   (2026-11-29: 155 mutants in 67 minutes, beside a CI run; one at a time, 21 took 23 minutes).
   The workers are cosmic-ray's own: its ``http`` distributor sends each mutant to one of N
   ``cosmic-ray http-worker`` processes, each in its own copy of the tree with its own fork
   server; cosmic-ray records every result in the run's one session database, so ``--resume``
   (``cosmic-ray exec`` again) runs only what is left.
6. The test fixture ``trained`` (a 4-epoch model) is trained once, in the baseline run, and loaded
   by every mutant's run (``VAEBOOK_TEST_TRAINED``). Mutants of the training step are caught by
   the tests that train models of their own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The server and the client run from the tree copy; they find the work folder through the environment.
# A worker of a parallel run has a work folder of its own inside the run's (MAIN).
WORK = Path(os.environ.get("VAEBOOK_MUTATION_WORK") or ROOT / ".cache" / "mutation")
MAIN = Path(os.environ.get("VAEBOOK_MUTATION_MAIN") or WORK)
TREE, VENV, SOCKET = WORK / "tree", MAIN / "venv", WORK / "server.sock"
COSMIC_RAY = "cosmic-ray==8.7.0"

# file -> the functions (cosmic-ray's enclosing definition name; "<module>": module level) to mutate;
# None: the whole file. losses.gaussian_kl_monte_carlo, a check used by tests, is left out.
TARGETS = {
    "vaebook/losses.py": {"<module>", "_sum_all_but_batch", "gaussian_kl", "bernoulli_log_likelihood", "reparameterize",
                          "gaussian_log_density", "elbo"},
    "vaebook/evaluate.py": {"_batches", "log_likelihood_of_codes", "_repeat", "_posterior_chunks", "elbo_terms",
                            "elbo_per_example", "rate_distortion", "dataset_elbo", "dataset_elbo_with_error",
                            "importance_log_likelihood"},
    "vaebook/anomaly.py": None,
    # The taught model: the sampling, the encoder call, log p(x|z), the loss and its metrics, the warm-up.
    "vaebook/model.py": {"call", "log_likelihood", "compute_loss", "weight", "on_epoch_begin", "on_train_end"},
    "vaebook/conditional.py": {"num_classes", "with_label", "call", "log_likelihood", "decode_under_every_label",
                               "label_free_bound"},
    "vaebook/codes.py": {"checked_labels", "model_inputs", "check_latent_codes", "in_batches", "encode", "decoder_logits",
                         "decode", "reconstruct"},
    "vaebook/training.py": {"training_split", "__len__", "__getitem__", "on_epoch_end", "fit", "_refuse_weights",
                            "_check_dataset"},
    "vaebook/cache.py": {"files_fingerprint", "training_code_fingerprint", "cache_key"},
}
# file -> the tests that cover it, fastest first (-x stops at the first failure).
MODEL_TESTS = [f"tests/test_model.py::test_{name}" for name in (
    "compute_loss_is_the_batch_mean_of_reconstruction_plus_weighted_kl", "the_training_step_descends_reconstruction_plus_kl_weight_times_kl",
    "the_training_step_uses_the_kl_weight_and_validation_uses_beta", "metrics_track_the_two_terms_weighted_by_batch_size",
    "the_reconstruction_term_decodes_z_drawn_from_q", "reported_validation_loss_is_reconstruction_plus_beta_kl",
    "sampling_draws_from_q", "sampling_seed_is_reproducible_advances_and_is_serializable",
    "call_is_the_encoder_and_decode_gives_probabilities", "log_likelihood_decodes_z_and_sums_the_bernoulli_terms_over_pixels",
    "calls_and_estimators_run_encoder_and_decoder_in_inference_mode", "a_plain_vae_reads_the_images_of_an_x_y_batch_and_ignores_the_rest",
    "sample_and_class_weights_get_a_clear_error_instead_of_being_ignored", "keras_file_round_trip_gives_identical_outputs")]
TESTS = {
    "vaebook/losses.py": ["tests/test_losses.py", *MODEL_TESTS[:5], "tests/test_evaluate.py", "tests/test_anomaly.py"],
    "vaebook/evaluate.py": ["tests/test_evaluate.py", "tests/test_anomaly.py", "tests/test_digit_reading.py",
                            "tests/test_conditional.py",
                            "tests/test_model.py::test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode"],
    "vaebook/anomaly.py": ["tests/test_anomaly.py"],
    # The loss-path tests first; test_model.py's two run-against-run comparisons (same seed,
    # steps_per_execution) are left out: a mutant changes both runs alike, and they train most.
    "vaebook/model.py": MODEL_TESTS + ["tests/test_training.py", "tests/test_conditional.py",
                                       "tests/test_evaluate.py"],  # its k-sweep takes 80 s: last
    "vaebook/conditional.py": ["tests/test_conditional.py"],
    "vaebook/codes.py": ["tests/test_architectures.py", "tests/test_conditional.py", *MODEL_TESTS],
    "vaebook/training.py": ["tests/test_cache.py", "tests/test_training.py", "tests/test_architectures.py",
                            "tests/test_conditional.py",
                            "tests/test_model.py::test_sample_and_class_weights_get_a_clear_error_instead_of_being_ignored"],
    "vaebook/cache.py": ["tests/test_cache.py"],
}
# Operators left out, to keep the run to the mutants a real slip would make (176 on commit 11606f6, 188 after the checks added since; about an hour with --workers 2):
# each arithmetic operator gets one replacement (+ <-> -, * <-> /), no bitwise, shift, power or
# modulo ones; no `is` for a comparison of numbers; a minus sign is dropped (-x -> +x), not made
# `~x` or `not x`; no exception, decorator or variable rewrites. Two more rules in FILTER: each
# number is mutated once (n -> n + 1), and not inside a signature (a default such as
# batch_size=500 is a choice, not math).
SKIPPED_OPERATORS = [
    r"core/ReplaceBinaryOperator_(Add_(Mul|Div)|Sub_(Mul|Div)|Mul_(Add|Sub)|Div_(Add|Sub))$",
    r"core/ReplaceBinaryOperator_.*_(BitAnd|BitOr|BitXor|LShift|RShift|MatMult|FloorDiv|Mod|Pow)$",
    r"core/ReplaceBinaryOperator_(BitAnd|BitOr|BitXor|LShift|RShift|MatMult|FloorDiv|Mod|Pow)_.*",
    r"core/ReplaceComparisonOperator_.*_(Is|IsNot)$",
    r"core/ExceptionReplacer", r"core/RemoveDecorator", r"core/VariableReplacer", r"core/VariableInserter",
    r"core/ReplaceUnaryOperator_.*_(Invert|Not)$", r"core/ReplaceUnaryOperator_Delete_USub$",
]
TIMEOUT = 1200  # a survivor runs every test of its file; a timeout would count as a kill


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the fork server and its client ---------------------------------------------------------
def serve():
    """Import the heavy libraries once, then fork one pytest run per request (never two at once)."""
    sys.dont_write_bytecode = True  # a mutant and the original can have one size and mtime
    import keras  # noqa: F401  (no TensorFlow op runs in this process)
    import matplotlib
    import numpy  # noqa: F401
    import pytest
    import scipy.stats  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import tensorflow  # noqa: F401

    matplotlib.use("Agg")
    SOCKET.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(SOCKET))
    server.listen(1)
    try:
        _serve(server, pytest)
    finally:
        SOCKET.unlink(missing_ok=True)


def _serve(server, pytest):
    while True:
        conn, _ = server.accept()
        with conn:
            request = json.loads(conn.makefile().readline())
            if request == "stop":
                return
            log = open(WORK / "last-run.log", "w")
            pid = os.fork()
            if pid == 0:
                server.close()
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
                sys.path.insert(0, str(TREE))
                os.chdir(TREE)
                code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", *request])
                sys.stdout.flush()
                os._exit(int(code))
            status = _wait_within_memory(pid)
            log.close()
            try:
                conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
            except OSError:  # the client is gone (cosmic-ray's timeout); serve the next one
                pass


MAX_RSS_KB = 6_000_000  # a mutant that makes the tests take more than 6 GB is stopped (and so killed)


def _wait_within_memory(pid: int) -> int:
    """Wait for the forked test run; SIGKILL it if its resident memory passes MAX_RSS_KB. Returns its wait status."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        try:
            rss = int(next(line.split()[1] for line in open(f"/proc/{pid}/status") if line.startswith("VmRSS")))
        except (OSError, StopIteration, ValueError):
            rss = 0
        if rss > MAX_RSS_KB:
            os.kill(pid, 9)
        time.sleep(0.5)


def ask(request) -> int:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(str(SOCKET))
    with client:
        client.sendall((json.dumps(request) + "\n").encode())
        answer = client.makefile().readline().strip()
    return int(answer) if answer else 0


def client() -> int:
    """cosmic-ray's test command: run the tests of the one mutated file (or all, unmutated)."""
    pristine = json.loads((WORK / "pristine.json").read_text())
    changed = [f for f, digest in pristine.items() if sha(TREE / f) != digest]
    files = changed or list(TESTS)
    tests = list(dict.fromkeys(t for f in files for t in TESTS[f]))
    start = time.perf_counter()
    try:
        code = ask(tests)
    except OSError:  # no server: run the tests here, slower, rather than report a false kill
        code = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests], cwd=TREE).returncode
    with open(WORK / "durations.log", "a") as log:  # one line per test run: its seconds, exit code, mutated files
        log.write(f"{time.perf_counter() - start:.1f} {code} {' '.join(changed) or '(baseline)'}\n")
    return code


# --- the run -----------------------------------------------------------------------------------
def sh(*cmd, **kwargs):
    return subprocess.run(cmd, check=True, **kwargs)


def prepare():
    WORK.mkdir(parents=True, exist_ok=True)
    if not (VENV / "bin" / "cosmic-ray").exists():
        sh(sys.executable, "-m", "venv", str(VENV))
        sh(str(VENV / "bin" / "pip"), "install", "-q", COSMIC_RAY, stderr=subprocess.DEVNULL)
    subprocess.run(["rm", "-rf", str(TREE)], check=True)
    TREE.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(TREE)], input=archive, check=True)
    (WORK / "pristine.json").write_text(json.dumps({f: sha(TREE / f) for f in TARGETS}))
    for f in TARGETS:  # kept, so that --resume can undo a mutant left in place by a stopped run
        (WORK / "pristine" / f).parent.mkdir(parents=True, exist_ok=True)
        (WORK / "pristine" / f).write_bytes((TREE / f).read_bytes())
    (WORK / "durations.log").unlink(missing_ok=True)
    config = {
        "module-path": list(TARGETS),
        "timeout": TIMEOUT,
        "excluded-modules": [],
        "test-command": f"{sys.executable} -m benchmarks.mutation --client",
        "distributor": {"name": "local"},
    }
    lines = ["[cosmic-ray]"] + [f"{k} = {json.dumps(v)}" for k, v in config.items() if k != "distributor"]
    lines += ["", "[cosmic-ray.distributor]", 'name = "local"', ""]
    (WORK / "config.toml").write_text("\n".join(lines))


FILTER = r'''
import json, re, sys
import parso
from cosmic_ray.work_db import use_db, WorkDB
from cosmic_ray.work_item import WorkResult, WorkerOutcome
targets, skipped_ops, limit = json.loads(sys.argv[2]), [re.compile(p) for p in json.loads(sys.argv[3])], int(sys.argv[4])
trees = {f: parso.parse(open(f).read()) for f in targets}

def in_signature(m):
    node = trees[str(m.module_path)].get_leaf_for_position(tuple(m.start_pos))
    while node is not None:
        if node.type == "param":
            return True
        node = node.parent
    return False

kept = 0
with use_db(sys.argv[1], WorkDB.Mode.open) as db:
    for item in list(db.pending_work_items):
        m = item.mutations[0]
        funcs = targets[str(m.module_path)]
        reason = None
        if any(p.match(m.operator_name) for p in skipped_ops):
            reason = "operator not used"
        elif funcs is not None and (m.definition_name or "<module>") not in funcs:
            reason = "outside the mutated functions"
        elif m.operator_name == "core/NumberReplacer" and in_signature(m):
            reason = "a default argument"
        elif m.operator_name == "core/NumberReplacer" and m.occurrence % 2:
            reason = "one offset per number"
        elif limit and kept >= limit:
            reason = "over --limit"
        if reason:
            db.set_result(item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))
        else:
            kept += 1
print(kept)
'''

COUNT = r'''
import sys
from cosmic_ray.work_db import use_db, WorkDB
from cosmic_ray.work_item import WorkerOutcome
with use_db(sys.argv[1], WorkDB.Mode.open) as db:
    done = sum(r.worker_outcome != WorkerOutcome.SKIPPED for _, r in db.completed_work_items)
    print(done + sum(1 for _ in db.pending_work_items), sum(1 for _ in db.pending_work_items))
'''

REPORT = r'''
import json, sys
from cosmic_ray.work_db import use_db, WorkDB
out = []
with use_db(sys.argv[1], WorkDB.Mode.open) as db:
    for item, result in db.completed_work_items:
        if result.worker_outcome == "skipped":
            continue
        m = item.mutations[0]
        out.append({"file": str(m.module_path), "line": m.start_pos[0], "function": m.definition_name,
                    "operator": m.operator_name, "outcome": str(result.test_outcome.value if result.test_outcome else result.worker_outcome.value),
                    "patch": result.diff or "",
                    "diff": "\n".join(l for l in (result.diff or "").splitlines() if l[:1] in "+-" and l[:3] not in ("+++", "---"))})
print(json.dumps(out))
'''


def restore_pristine():
    """Undo a mutant that a stopped run left in the tree copy, from the copies kept by prepare()."""
    digests = json.loads((WORK / "pristine.json").read_text())
    for f, digest in digests.items():
        kept = WORK / "pristine" / f
        if not kept.exists() or sha(kept) != digest:
            sys.exit(f"{kept} is missing or changed: the stopped run cannot be resumed; start a new one")
        (TREE / f).write_bytes(kept.read_bytes())


def tree_env(tree: Path) -> dict:
    """The environment of the tests of a tree copy: its package, the run's trained fixture, no HOME writes."""
    return dict(os.environ, PYTHONPATH=str(tree), VAEBOOK_MUTATION_WORK=str(WORK), VAEBOOK_TEST_TRAINED=str(MAIN / "trained"),
                PYTHONDONTWRITEBYTECODE="1", KERAS_HOME=str(WORK / "keras"), MPLCONFIGDIR=str(WORK / "matplotlib"),
                VAEBOOK_DATA="bundled")


def cr_python(snippet: str, *args, cwd=None) -> str:
    """Run one of the snippets above with cosmic-ray's Python; its standard output."""
    return subprocess.run([str(VENV / "bin" / "python"), "-c", snippet, *map(str, args)], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, process, what: str):
    while not check():
        if process.poll() is not None:
            sys.exit(f"{what} stopped before it was ready; its error is above")
        time.sleep(0.5)


def start_workers(count: int) -> tuple:
    """``count`` cosmic-ray http-workers, each in its own tree copy (of the restored tree) with its own fork
    server. Returns (the http config's path, the processes)."""
    processes, urls = [], []
    for i in range(count):
        folder = WORK / f"worker{i}"
        subprocess.run(["rm", "-rf", str(folder)], check=True)
        folder.mkdir()
        subprocess.run(["cp", "-a", str(TREE), str(WORK / "pristine"), str(WORK / "pristine.json"), str(folder)], check=True)
        env = dict(tree_env(folder / "tree"), VAEBOOK_MUTATION_WORK=str(folder), VAEBOOK_MUTATION_MAIN=str(WORK))
        server = subprocess.Popen([sys.executable, "-m", "benchmarks.mutation", "--serve"], cwd=folder / "tree", env=env)
        processes.append(server)
        wait_for((folder / "server.sock").exists, server, f"worker {i}'s fork server")
        port = free_port()
        worker = subprocess.Popen([str(VENV / "bin" / "cosmic-ray"), "http-worker", "--port", str(port)], cwd=folder / "tree",
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(worker)

        def listening(port=port):
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        wait_for(listening, worker, f"worker {i}'s cosmic-ray http-worker")
        urls.append(f"http://127.0.0.1:{port}")
    config = WORK / "config-http.toml"
    text = (WORK / "config.toml").read_text().replace('name = "local"', 'name = "http"')
    config.write_text(text + "\n[cosmic-ray.distributor.http]\nworker-urls = " + json.dumps(urls) + "\n")
    print(f"{count} cosmic-ray http-workers: {', '.join(urls)}", flush=True)
    return config, processes


def stop_workers(processes):
    """Stop the workers and their fork servers; their test seconds join the run's; their folders go."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)
    with open(WORK / "durations.log", "a") as log:
        for folder in sorted(WORK.glob("worker*")):
            if (folder / "durations.log").exists():
                log.write((folder / "durations.log").read_text())
            subprocess.run(["rm", "-rf", str(folder)], check=True)


def run(limit: int, out: Path, resume: bool = False, workers: int = 1):
    if SOCKET.exists():
        try:
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect(str(SOCKET))
            sys.exit(f"{SOCKET} answers: another mutation run is under way")
        except ConnectionRefusedError:  # left by a run that was stopped
            SOCKET.unlink()
    if resume:
        restore_pristine()
        stop_workers([])  # the test seconds of a stopped parallel run's workers
    else:
        prepare()
    env = tree_env(TREE)
    cr = str(VENV / "bin" / "cosmic-ray")
    db = str(WORK / "session.sqlite")
    if resume:
        kept = cr_python(COUNT, db)
        print(f"resuming: {kept.split()[1]} of {kept.split()[0]} mutants still to run", flush=True)
        kept = kept.split()[0]
    else:
        subprocess.run(["rm", "-rf", str(WORK / "trained")], check=True)
        Path(db).unlink(missing_ok=True)
        sh(cr, "init", str(WORK / "config.toml"), db, cwd=TREE, env=env)
        kept = cr_python(FILTER, db, json.dumps(TARGETS, default=sorted), json.dumps(SKIPPED_OPERATORS), max(limit, 0),
                         cwd=TREE).strip()
        print(f"{kept} mutants to run", flush=True)
    if limit < 0:
        return
    # The baseline runs the unmutated tests once (and trains the shared ``trained`` fixture); a resumed run
    # relies on its first baseline. One worker uses this fork server; more get their own (start_workers).
    if not resume or workers == 1:
        server = subprocess.Popen([sys.executable, "-m", "benchmarks.mutation", "--serve"], cwd=TREE, env=env)
        start = time.perf_counter()
        try:
            wait_for(SOCKET.exists, server, "the fork server")
            if not resume:
                code = subprocess.run([sys.executable, "-m", "benchmarks.mutation", "--client"], cwd=TREE, env=env).returncode
                if code != 0:
                    sys.exit(f"the unmutated tests fail (see {WORK / 'last-run.log'}); fix them first")
                print(f"baseline passed in {time.perf_counter() - start:.0f} s", flush=True)
            if workers == 1:
                sh(cr, "exec", str(WORK / "config.toml"), db, cwd=TREE, env=env)
        finally:
            try:
                ask("stop")
            except OSError:
                pass
            server.wait(timeout=60)
    if workers > 1:
        config, processes = start_workers(workers)
        try:
            sh(cr, "exec", str(config), db, cwd=TREE, env=env)
        finally:
            stop_workers(processes)
    mutants = json.loads(cr_python(REPORT, db))
    summarize(mutants, test_seconds(), limit, out, planned=int(kept))


def test_seconds() -> float:
    """The seconds the test runs took (baselines included), from durations.log."""
    log = WORK / "durations.log"
    return sum(float(line.split()[0]) for line in log.read_text().splitlines()) if log.exists() else 0.0


def summarize(mutants, seconds, limit, out, planned=None):
    sys.path.insert(0, str(ROOT))
    from benchmarks._common import RESULTS, machine, table_lines

    rows = []
    for f in TARGETS:
        mine = [m for m in mutants if m["file"] == f]
        killed = sum(m["outcome"] == "killed" for m in mine)
        rows.append({"file": f, "mutants": len(mine), "killed": killed, "survived": len(mine) - killed,
                     "kill_rate": round(killed / len(mine), 3) if mine else ""})
    total = len(mutants)
    killed = sum(m["outcome"] == "killed" for m in mutants)
    rows.append({"file": "all", "mutants": total, "killed": killed, "survived": total - killed,
                 "kill_rate": round(killed / total, 3) if total else ""})
    survivors = [{k: v for k, v in m.items() if k != "patch"} for m in mutants if m["outcome"] != "killed"]
    print("\n".join(table_lines(rows)))
    for m in survivors:
        print(f"SURVIVED {m['file']}:{m['line']} ({m['function']}) {m['operator']}\n{m['diff']}")
    result = {"benchmark": "mutation", "smoke": bool(limit), "command": "python -m benchmarks.mutation",
              "machine": machine(), "conditions": {
                  "tool": COSMIC_RAY, "mutated": "; ".join(f"{f}: {'all' if v is None else ', '.join(sorted(v))}" for f, v in TARGETS.items()),
                  "operators": "cosmic-ray core without " + ", ".join(SKIPPED_OPERATORS),
                  "test_time_s": round(seconds),
                  "mutants_run": f"{total} of {planned if planned is not None else total} selected"},
              "rows": rows, "survivors": survivors}
    out = out or RESULTS / "mutation.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


def replay(out):
    """Plant each survivor of the run into the committed tree of today and run its file's tests (today's lists).

    A run tests the code of the day it started; the tests written since for its survivors are
    checked here, one survivor at a time, like the run itself. The outcome of each is added to the
    run's JSON (``replay``), and each file's row gets ``killed_by_later_tests``.
    """
    sys.path.insert(0, str(ROOT))
    from benchmarks._common import RESULTS

    out = out or RESULTS / "mutation.json"
    result = json.loads(out.read_text())
    db = str(WORK / "session.sqlite")
    mutants = json.loads(cr_python(REPORT, db))
    survivors = [m for m in mutants if m["outcome"] != "killed"]
    tree = WORK / "replay"
    subprocess.run(["rm", "-rf", str(tree)], check=True)
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    replayed = []
    for m in survivors:
        original = (tree / m["file"]).read_bytes()
        patch = m["patch"].split("\n", 1)[1] + "\n"  # without cosmic-ray's "--- mutation diff ---" line
        applied = subprocess.run(["patch", "-p1", "--forward", "--silent"], cwd=tree, input=patch, text=True)
        if applied.returncode:
            outcome = "not applied: the code has moved"
        else:
            code = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TESTS[m["file"]]],
                                  cwd=tree, env=tree_env(tree), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            outcome = {0: "survived", 1: "killed"}.get(code, f"error: pytest exit code {code}")
        (tree / m["file"]).write_bytes(original)
        print(f"{outcome:>9}  {m['file']}:{m['line']} ({m['function']}) {m['operator']}", flush=True)
        replayed.append({**{k: v for k, v in m.items() if k != "patch"}, "replay": outcome})
    for row in result["rows"]:
        mine = [r for r in replayed if row["file"] in (r["file"], "all")]
        row["killed_by_later_tests"] = sum(r["replay"] == "killed" for r in mine)
        row["kill_rate_with_them"] = round((row["killed"] + row["killed_by_later_tests"]) / row["mutants"], 3) if row["mutants"] else ""
    result["replay"] = {"commit": commit, "command": "python -m benchmarks.mutation --replay", "survivors": replayed}
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=0, help="run only the first N mutants (0: all; -1: only count them)")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--resume", action="store_true", help="go on with a stopped run: only the mutants not yet run")
    p.add_argument("--summarize", action="store_true",
                   help="only summarize the session database as it is (e.g. of a run stopped early)")
    p.add_argument("--replay", action="store_true",
                   help="after a run: plant each survivor into today's committed code and run its tests again")
    p.add_argument("--workers", type=int, default=1, help="how many mutants to run at a time (default 1)")
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        return serve()
    if args.client:
        return client()
    if args.replay:
        return replay(args.out)
    if args.summarize:
        db = str(WORK / "session.sqlite")
        mutants = json.loads(cr_python(REPORT, db))
        planned = cr_python(COUNT, db).split()[0]
        return summarize(mutants, test_seconds(), 0, args.out, planned=int(planned))
    if args.workers < 1:
        p.error(f"--workers must be a whole number >= 1, got {args.workers}")
    run(args.limit, args.out, args.resume, args.workers)


if __name__ == "__main__":
    sys.exit(main())
