"""Does the training recipe work without luck? The main model, seeds 0-4, on one thread and on two.

Each run trains the series' main model (:func:`vaebook.configs.main_vae`, the recipe of
:mod:`vaebook.training`) in a fresh process restricted to ``threads`` CPUs (CPU affinity and
TensorFlow's thread pools), as Binder's one CPU and a laptop's two would run it. It reports
the epochs trained, the held-out ELBO (test set, 10 samples of z per image), the active
latent dimensions (test-code standard deviation >= 0.5) and the accuracy of a 5-nearest-
neighbour classifier fitted on the training codes and scored on the test codes.

    python -m benchmarks.recipe_robustness     # targets: every run uses both dimensions;
                                               # ELBO spread <= 3 nats; every 5-NN accuracy >= 0.45

``--model main_no_warmup`` trains the main model without its KL warm-up, and ``--batch-size 128``
overrides the batch size (the recipe before batches of 32): notebook 03's record of posterior
collapse over seeds comes from these runs (``--record`` writes their summary into the package's
benchmark record, ``vaebook/pretrained/benchmark_record.json``, which the notebook prints).

``--model cvae`` does the same for notebook 06's conditional VAE (:func:`vaebook.configs.conditional_vae`;
ELBO and codes given the test labels). Its code should *not* tell digits apart (the label does),
so in place of the 5-NN check it checks what the notebook shows: prior samples decoded under
label d are read as a d (a 5-NN reader on the training pixels, 100 samples per digit) for at
least 80% of the samples on average and 60% for every digit.
"""

from __future__ import annotations

import json
import os
import queue
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks._common import in_fresh_process, parser, report, verdict

ACTIVE_STD, MAX_SPREAD, MIN_KNN = 0.5, 3.0, 0.45
MIN_ON_DEMAND, MIN_ON_DEMAND_EACH = 0.8, 0.6


def one_run(seed: int, threads: int, smoke: bool, model: str = "main", batch_size: int = 0) -> dict:
    """Train and score one run; meant for a fresh process whose CPU affinity is already set."""
    import dataclasses

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import numpy as np

    from vaebook.codes import decode, encode
    from vaebook.configs import SERIES
    from vaebook.data import load_mnist
    from vaebook.evaluate import code_knn_accuracy, dataset_elbo, digit_reader
    from vaebook.latent import prior_samples
    from vaebook.training import train

    data = load_mnist("bundled", verbose=False)
    config = dataclasses.replace(SERIES[model][0](data), seed=seed)
    if batch_size:
        config = dataclasses.replace(config, batch_size=batch_size)
    if smoke:
        config = dataclasses.replace(config, epochs=2, warmup_epochs=1, patience=1)
    vae, history = train(config, data, verbose=0)
    test_labels, train_labels = (data.y_test, data.y_train) if config.conditional else (None, None)
    test_codes, train_codes = encode(vae, data.x_test, labels=test_labels)[0], encode(vae, data.x_train, labels=train_labels)[0]
    result = {
        "seed": seed,
        "threads": threads,
        "batch_size": config.batch_size,
        "warmup_epochs": config.warmup_epochs,
        "epochs": len(history["loss"]),
        "best_epoch": history["best_epoch"],
        "heldout_elbo": round(dataset_elbo(vae, data.x_test, samples=10, labels=test_labels), 2),
        "active_dims": int((test_codes.std(axis=0) >= ACTIVE_STD).sum()),
        "code_std": [round(float(s), 2) for s in test_codes.std(axis=0)],
        "knn5_accuracy": round(code_knn_accuracy(train_codes, data.y_train, test_codes, data.y_test), 3),
        "train_seconds": round(history["seconds"], 1),
    }
    if config.conditional:
        read, z = digit_reader(data.x_train, data.y_train), prior_samples(100, config.latent_dim, seed=1)
        shares = [float(np.mean(read(decode(vae, z, labels=np.full(100, d))) == d)) for d in range(10)]
        result["on_demand_mean"], result["on_demand_lowest"] = round(float(np.mean(shares)), 3), round(min(shares), 3)
    return result


def launch(seed: int, threads: int, cpus: list, smoke: bool, model: str = "main", batch_size: int = 0) -> dict:
    result = in_fresh_process("benchmarks.recipe_robustness", f"one_run({seed}, {threads}, {smoke}, {model!r}, {batch_size})",
                              cpus, f"run seed={seed} threads={threads}")
    print(f"seed {seed}, {threads} thread(s): {result}", flush=True)
    return result


def main(argv=None):
    p = parser(__doc__)
    p.add_argument("--seeds", default="0,1,2,3,4")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (each <= the CPUs available)")
    p.add_argument("--model", default="main", choices=["main", "main_no_warmup", "cvae"],
                   help="the series model to train (default main)")
    p.add_argument("--batch-size", type=int, default=0, help="override the model's batch size (default: its own)")
    p.add_argument("--record", action="store_true",
                   help="also write the runs' summary into vaebook/pretrained/benchmark_record.json (notebook 03 prints it)")
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
            return launch(seed, 1, [cpu], args.smoke, args.model, args.batch_size)
        finally:
            free.put(cpu)

    single = seeds if 1 in thread_counts else []
    with ThreadPoolExecutor(max_workers=len(cpus)) as pool:
        runs += list(pool.map(on_a_free_cpu, single))
    for threads in (t for t in thread_counts if t > 1):
        runs += [launch(seed, threads, cpus[:threads], args.smoke, args.model, args.batch_size) for seed in seeds]
    elbos = [r["heldout_elbo"] for r in runs]
    spread = max(elbos) - min(elbos)
    checks = {
        "every run uses both dimensions": all(r["active_dims"] == 2 for r in runs),
        f"held-out ELBO spread <= {MAX_SPREAD:g} nats (measured {spread:.2f})": spread <= MAX_SPREAD,
    }
    if args.model == "cvae":
        checks[f"every run draws the digit asked for: mean share >= {MIN_ON_DEMAND} (lowest "
               f"{min(r['on_demand_mean'] for r in runs):.3f}), every digit >= {MIN_ON_DEMAND_EACH} (lowest "
               f"{min(r['on_demand_lowest'] for r in runs):.3f})"] = all(
            r["on_demand_mean"] >= MIN_ON_DEMAND and r["on_demand_lowest"] >= MIN_ON_DEMAND_EACH for r in runs)
    else:
        checks[f"every 5-NN accuracy >= {MIN_KNN} (lowest {min(r['knn5_accuracy'] for r in runs):.3f})"] = all(
            r["knn5_accuracy"] >= MIN_KNN for r in runs)
    rows = [dict(r, result="") for r in runs] + [
        {"seed": "all runs", "check": name, "result": "n/a (smoke)" if args.smoke else verdict(ok, "see check")}
        for name, ok in checks.items()
    ]
    conditions = {
        "model": ("vaebook.configs.conditional_vae: conditional conv VAE (label into encoder and decoder), latent_dim=2, "
                  "beta=1; recipe of vaebook.training; ELBO and codes given the test labels" if args.model == "cvae" else
                  "vaebook.configs.main_vae: conv VAE, latent_dim=2, beta=1; recipe of vaebook.training"),
        "data": "bundled MNIST: 3,600 images to fit, 400 to validate (early stopping), 1,000 test images",
        "heldout_elbo": "mean over the 1,000 test images, 10 samples of z each, grey levels (nats)",
        "active_dims": f"latent dimensions whose test-code std >= {ACTIVE_STD}",
        "knn5_accuracy": "5-NN classifier fitted on the 4,000 training codes, scored on the 1,000 test codes",
        "threads": "each run in a fresh process, CPU affinity and TensorFlow thread pools set to that many CPUs",
    }
    variant = ("" if args.model == "main" else f"_{args.model}") + (f"_batch{args.batch_size}" if args.batch_size else "")
    name = "recipe_robustness" + variant.replace("_main_no_warmup", "_no_warmup")
    command = "python -m benchmarks.recipe_robustness" + (f" --model {args.model}" if args.model != "main" else "") + (
        f" --batch-size {args.batch_size}" if args.batch_size else "")
    if args.model == "main_no_warmup":
        conditions["model"] = conditions["model"].replace("recipe of vaebook.training", "recipe of vaebook.training without the KL warm-up")
    if args.batch_size:
        conditions["model"] += f"; batches of {args.batch_size} (in place of the recipe's)"
    if args.model == "cvae":
        conditions["on_demand"] = ("share of 100 prior samples (seed 1) decoded under label d that a 5-NN pixel reader "
                                   "(fitted on the training images) reads as d: mean over d and lowest d")
    result = report(name, args, rows, conditions, command)
    result["runs"] = runs
    out = args.out or Path(__file__).resolve().parent / "results" / f"{name}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    if args.record and not args.smoke:
        record(name, command, runs)
    return result


def record(name: str, command: str, runs: list):
    """Write this variant's runs (seed, threads, batch size, warm-up, epochs, code spread, held-out ELBO) into the
    package's benchmark record, which notebook 03 prints."""
    from benchmarks._common import write_record

    kept = ("seed", "threads", "batch_size", "warmup_epochs", "epochs", "best_epoch", "code_std", "active_dims", "heldout_elbo")
    write_record(name, command, [{k: r[k] for k in kept} for r in runs])


if __name__ == "__main__":
    main()
