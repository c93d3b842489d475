"""Notebook 03's model on each Keras backend: training speed and the held-out ELBO, side by side in one run.

Every run is a fresh process with ``KERAS_BACKEND`` set before Keras is imported, pinned to one
CPU or to two (CPU affinity, and the backend's thread pools set to that many threads). It builds
the conv VAE with ``build_vae("conv", seed=0)`` (the fastest ``steps_per_execution`` the backend
allows: 8 on TensorFlow, 1 on JAX and PyTorch), trains it with the recipe's batches of 32 and a
2-epoch KL warm-up for one epoch that is not timed (tracing and compilation), then for
``--epochs`` timed epochs, and scores the held-out ELBO after that same number of steps (the
1,000 test images, 10 samples of z each, grey levels). Rounds alternate the backends, so that a
drift in the machine's load hits all of them; the table gives each backend's median.

    python -m benchmarks.backends            # needs jax and torch: ./dev.sh backends-env makes .cache/backends
    python -m benchmarks.backends --record   # also writes the table into vaebook/pretrained/benchmark_record.json
    python -m benchmarks.backends --seeds 0 1 2 3   # the ELBO's spread: each backend with each seed, one CPU, one run each

No target: the table says what each backend costs on a CPU (notebook 03 prints it), and what
ELBO each reaches after the same steps. Each backend draws its own random numbers, so the same
seed gives different initial weights and noise on each; ``--seeds`` measures how far the ELBO
after these few steps moves between seeds (table ``backends_seeds``), the yardstick for the
differences between backends.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks._common import parser, report, write_record

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax", "torch")


def one_run(epochs: int, threads: int, smoke: bool, seed: int = 0) -> dict:
    """Train and score once on the backend of this process (its affinity already set)."""
    import time

    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    elif backend == "torch":
        import torch

        torch.set_num_threads(threads)
    from vaebook.architectures import build_vae
    from vaebook.data import load_mnist
    from vaebook.evaluate import dataset_elbo
    from vaebook.model import KLWarmup

    data = load_mnist("bundled", verbose=False)
    x = data.x_train[:256] if smoke else data.x_train[:-400]  # the recipe's 3,600 images to fit
    vae = build_vae("conv", seed=seed)
    warmup = KLWarmup(2)
    vae.fit(x, epochs=1, batch_size=32, callbacks=[warmup], verbose=0)  # tracing and compilation: not timed
    start = time.perf_counter()
    vae.fit(x, initial_epoch=1, epochs=1 + epochs, batch_size=32, callbacks=[warmup], verbose=0)
    seconds = time.perf_counter() - start
    test = data.x_test[:100] if smoke else data.x_test
    return {"backend": backend, "seed": seed, "cpus": threads, "images_per_s": epochs * len(x) / seconds,
            "steps_per_execution": int(vae.steps_per_execution),
            "heldout_elbo": dataset_elbo(vae, test, samples=2 if smoke else 10, batch_size=100)}


def launch(backend: str, cpus: list, epochs: int, smoke: bool, seed: int = 0) -> dict:
    code = (f"import json, os; os.sched_setaffinity(0, {set(cpus)}); from benchmarks.backends import one_run; "
            f"print('RESULT', json.dumps(one_run({epochs}, {len(cpus)}, {smoke}, {seed})))")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the {backend} run on CPUs {cpus} failed:\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    print(f"{backend}, seed {seed}, {len(cpus)} CPU(s): {result['images_per_s']:.0f} images/s, ELBO {result['heldout_elbo']:.2f}",
          flush=True)
    return result


def installed(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


def conditions_of(epochs: int, seed: str) -> dict:
    return {"model": f'build_vae("conv", {seed}): notebook 03\'s conv VAE, latent_dim=2, Adam(1e-3)',
            "training": f"batches of 32 on 3,600 bundled MNIST images, KL warm-up of 2 epochs; 1 untimed epoch, then {epochs} timed",
            "heldout_elbo": "after the same steps on every backend: 1,000 test images, 10 samples of z each, grey levels (nats)"}


def seed_spread(backends: list, args) -> dict:
    """One run per backend and seed on the first CPU: the held-out ELBO's spread between seeds on each backend."""
    epochs = 1 if args.smoke else args.epochs
    cpu = sorted(os.sched_getaffinity(0))[:1]
    rows = [launch(backend, cpu, epochs, args.smoke, seed) for backend in backends for seed in args.seeds]
    rows = [{k: r[k] for k in ("backend", "seed", "heldout_elbo")} for r in rows]
    for backend in backends:
        elbos = [r["heldout_elbo"] for r in rows if r["backend"] == backend]
        rows.append({"backend": f"{backend}: seeds {min(args.seeds)}-{max(args.seeds)}", "seed": "",
                     "heldout_elbo": f"{min(elbos):.1f} to {max(elbos):.1f} (spread {max(elbos) - min(elbos):.1f})"})
    conditions = {**conditions_of(epochs, seed="seed=SEED"), "cpus": 1, "backends": backends, "seeds": args.seeds}
    return report("backends_seeds", args, rows, conditions, "python -m benchmarks.backends --seeds " + " ".join(map(str, args.seeds)))


def main(argv=None):
    p = parser(__doc__)
    p.add_argument("--epochs", type=int, default=2, help="timed epochs after the untimed first one (default 2)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--record", action="store_true", help="write the table into vaebook/pretrained/benchmark_record.json")
    p.add_argument("--seeds", type=int, nargs="+", help="instead: one run per backend and seed on one CPU (the ELBO's spread)")
    args = p.parse_args(argv)
    missing = [b for b in BACKENDS if not installed(b)]
    if missing and not args.smoke:
        raise SystemExit(f"benchmarks.backends needs {', '.join(missing)} installed: run it with .cache/backends/bin/python "
                         f"(made by ./dev.sh backends-env), or pip install jax torch==2.13.0.")
    backends = [b for b in BACKENDS if installed(b)]
    if args.seeds:
        return seed_spread(backends, args)
    epochs, rounds = (1, 1) if args.smoke else (args.epochs, args.rounds)
    all_cpus = sorted(os.sched_getaffinity(0))
    cpu_sets = [all_cpus[:1]] + ([all_cpus[:2]] if len(all_cpus) >= 2 and not args.smoke else [])
    runs = {(b, len(c)): [] for b in backends for c in cpu_sets}
    for _ in range(rounds):
        for cpus in cpu_sets:
            for backend in backends:
                runs[(backend, len(cpus))].append(launch(backend, cpus, epochs, args.smoke))
    rows = []
    for (backend, n_cpus), results in runs.items():
        rows.append({"backend": backend, "cpus": n_cpus, "steps_per_execution": results[0]["steps_per_execution"],
                     "images_per_s": float(np.median([r["images_per_s"] for r in results])),
                     "heldout_elbo": float(np.mean([r["heldout_elbo"] for r in results])),
                     "elbo_runs": [round(r["heldout_elbo"], 2) for r in results]})
    conditions = {**conditions_of(epochs, seed="seed=0"), "rounds": rounds, "backends": backends}
    command = "python -m benchmarks.backends"
    result = report("backends", args, rows, conditions, command)
    if args.record and not args.smoke:
        write_record("backends", command, [{k: r[k] for k in ("backend", "cpus", "images_per_s", "heldout_elbo")} for r in rows])
    return result


if __name__ == "__main__":
    main()
