"""Does the training recipe work without luck? The main model, seeds 0-4, on one thread and on two.

Each run trains the series' main model (:func:`vaebook.configs.main_vae`, the recipe of
:mod:`vaebook.training`) in a fresh process restricted to ``threads`` CPUs (CPU affinity and
TensorFlow's thread pools), as Binder's one CPU and a laptop's two would run it. It reports
the epochs trained, the held-out ELBO (test set, 10 samples of z per image), the active
latent dimensions (test-code standard deviation >= 0.5) and the accuracy of a 5-nearest-
neighbour classifier fitted on the training codes and scored on the test codes.

    python -m benchmarks.recipe_robustness     # targets: every run uses both dimensions;
                                               # ELBO spread <= 3 nats; every 5-NN accuracy >= 0.45
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks._common import parser, report, verdict

ROOT = Path(__file__).resolve().parents[1]
ACTIVE_STD, MAX_SPREAD, MIN_KNN = 0.5, 3.0, 0.45


def one_run(seed: int, threads: int, smoke: bool) -> dict:
    """Train and score one run; meant for a fresh process whose CPU affinity is already set."""
    import dataclasses

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    from vaebook.configs import main_vae
    from vaebook.data import load_mnist
    from vaebook.evaluate import code_knn_accuracy, dataset_elbo
    from vaebook.training import train

    data = load_mnist("bundled", verbose=False)
    config = dataclasses.replace(main_vae(data), seed=seed)
    if smoke:
        config = dataclasses.replace(config, epochs=2, warmup_epochs=1, patience=1)
    vae, history = train(config, data, verbose=0)
    test_codes, train_codes = vae.encode(data.x_test)[0], vae.encode(data.x_train)[0]
    return {
        "seed": seed,
        "threads": threads,
        "epochs": len(history["loss"]),
        "best_epoch": history["best_epoch"],
        "heldout_elbo": round(dataset_elbo(vae, data.x_test, samples=10), 2),
        "active_dims": int((test_codes.std(axis=0) >= ACTIVE_STD).sum()),
        "code_std": [round(float(s), 2) for s in test_codes.std(axis=0)],
        "knn5_accuracy": round(code_knn_accuracy(train_codes, data.y_train, test_codes, data.y_test), 3),
        "train_seconds": round(history["seconds"], 1),
    }


def launch(seed: int, threads: int, cpus: list, smoke: bool) -> dict:
    code = (
        "import json, os, sys; os.sched_setaffinity(0, {cpus}); "
        "from benchmarks.recipe_robustness import one_run; "
        f"print('RESULT', json.dumps(one_run({seed}, {threads}, {smoke})))"
    ).format(cpus=set(cpus))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [l for l in done.stdout.splitlines() if l.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"run seed={seed} threads={threads} failed:\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    print(f"seed {seed}, {threads} thread(s): {result}", flush=True)
    return result


def main(argv=None):
    p = parser(__doc__)
    p.add_argument("--seeds", default="0,1,2,3,4")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (each <= the CPUs available)")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    thread_counts = [int(t) for t in args.threads.split(",")]
    if args.smoke:
        seeds, thread_counts = [0], [1]
    cpus = sorted(os.sched_getaffinity(0))
    if max(thread_counts) > len(cpus):
        raise SystemExit(f"--threads asks for {max(thread_counts)} CPUs but this process may use {len(cpus)}.")
    runs = []
    # One-thread runs go one per CPU at a time (each takes a free CPU); wider runs one at a time.
    free = queue.Queue()
    for cpu in cpus:
        free.put(cpu)

    def on_a_free_cpu(seed):
        cpu = free.get()
        try:
            return launch(seed, 1, [cpu], args.smoke)
        finally:
            free.put(cpu)

    single = seeds if 1 in thread_counts else []
    with ThreadPoolExecutor(max_workers=len(cpus)) as pool:
        runs += list(pool.map(on_a_free_cpu, single))
    for threads in (t for t in thread_counts if t > 1):
        runs += [launch(seed, threads, cpus[:threads], args.smoke) for seed in seeds]
    elbos = [r["heldout_elbo"] for r in runs]
    spread = max(elbos) - min(elbos)
    checks = {
        "every run uses both dimensions": all(r["active_dims"] == 2 for r in runs),
        f"held-out ELBO spread <= {MAX_SPREAD:g} nats (measured {spread:.2f})": spread <= MAX_SPREAD,
        f"every 5-NN accuracy >= {MIN_KNN} (lowest {min(r['knn5_accuracy'] for r in runs):.3f})":
            all(r["knn5_accuracy"] >= MIN_KNN for r in runs),
    }
    rows = [dict(r, result="") for r in runs] + [
        {"seed": "all runs", "check": name, "result": "n/a (smoke)" if args.smoke else verdict(ok, "see check")}
        for name, ok in checks.items()
    ]
    conditions = {
        "model": "vaebook.configs.main_vae: conv VAE, latent_dim=2, beta=1; recipe of vaebook.training",
        "data": "bundled MNIST: 3,600 images to fit, 400 to validate (early stopping), 1,000 test images",
        "heldout_elbo": "mean over the 1,000 test images, 10 samples of z each, grey levels (nats)",
        "active_dims": f"latent dimensions whose test-code std >= {ACTIVE_STD}",
        "knn5_accuracy": "5-NN classifier fitted on the 4,000 training codes, scored on the 1,000 test codes",
        "threads": "each run in a fresh process, CPU affinity and TensorFlow thread pools set to that many CPUs",
    }
    result = report("recipe_robustness", args, rows, conditions, "python -m benchmarks.recipe_robustness")
    result["runs"] = runs
    out = args.out or Path(__file__).resolve().parent / "results" / "recipe_robustness.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
