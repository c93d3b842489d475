"""Is notebook 05's rate-distortion sweep a trade-off for every seed, not only for the shipped one?

Each seed trains the four models of the sweep (:func:`vaebook.configs.beta_sweep`, beta in
:data:`vaebook.configs.BETAS`, the recipe of :mod:`vaebook.training` with patience 30) in a fresh
process on one CPU, and measures, as the notebook does, the rate R = KL(q(z|x) || p(z)) and the
distortion D = -log p(x|z) per image (10 draws of z each, grey levels), with their standard errors
over the images, on the 1,000 test images and on the 3,600 training images the models were fitted to.

    python -m benchmarks.beta_sweep                 # seeds 0-2; target: for every seed, R falls and
                                                    # the test distortion D rises as beta grows
    python -m benchmarks.beta_sweep --patience 10   # the recipe's default patience, for comparison
"""

from __future__ import annotations

import os
import queue
from concurrent.futures import ThreadPoolExecutor

from benchmarks._common import in_fresh_process, parser, report, verdict


def one_seed(seed: int, smoke: bool, patience: int = 0) -> list:
    """Train and measure the sweep for one seed; meant for a fresh process pinned to one CPU."""
    import dataclasses

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    from vaebook.configs import BETAS, beta_sweep
    from vaebook.data import load_mnist
    from vaebook.evaluate import rate_distortion
    from vaebook.training import train, training_split

    data = load_mnist("bundled", verbose=False)
    rows = []
    for beta in BETAS:
        config = dataclasses.replace(beta_sweep(data, beta), seed=seed)
        if patience:
            config = dataclasses.replace(config, patience=patience)
        if smoke:
            config = dataclasses.replace(config, epochs=2, warmup_epochs=1, patience=1)
        vae, history = train(config, data, verbose=0)
        (x_fit, _), _ = training_split(config, data)
        n = 100 if smoke else None
        test = rate_distortion(vae, data.x_test[:n], samples=10)
        fit = rate_distortion(vae, x_fit[:n], samples=10)
        rows.append({
            "seed": seed, "beta": beta, "patience": config.patience, "epochs": len(history["loss"]),
            "best_epoch": history["best_epoch"],
            "test_rate": round(test["rate"], 2), "test_rate_se": round(test["rate_se"], 2),
            "test_distortion": round(test["distortion"], 2), "test_distortion_se": round(test["distortion_se"], 2),
            "test_negative_elbo": round(test["rate"] + test["distortion"], 2),
            "fit_rate": round(fit["rate"], 2), "fit_distortion": round(fit["distortion"], 2),
            "train_seconds": round(history["seconds"], 1),
        })
    return rows


def launch(seed: int, cpu: int, smoke: bool, patience: int) -> list:
    rows = in_fresh_process("benchmarks.beta_sweep", f"one_seed({seed}, {smoke}, {patience})", [cpu], f"seed {seed}")
    for r in rows:
        print(f"seed {seed}, beta {r['beta']:g}: {r}", flush=True)
    return rows


def ordered(rows: list, key: str, rising: bool) -> bool:
    values = [r[key] for r in sorted(rows, key=lambda r: r["beta"])]
    return all((b > a) if rising else (b < a) for a, b in zip(values, values[1:]))


def main(argv=None):
    p = parser(__doc__)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--patience", type=int, default=0, help="override the sweep's patience (default: its own, 30)")
    args = p.parse_args(argv)
    seeds = [0] if args.smoke else [int(s) for s in args.seeds.split(",")]
    free = queue.Queue()
    for cpu in sorted(os.sched_getaffinity(0)):
        free.put(cpu)

    def on_a_free_cpu(seed):
        cpu = free.get()
        try:
            return launch(seed, cpu, args.smoke, args.patience)
        finally:
            free.put(cpu)

    with ThreadPoolExecutor(max_workers=free.qsize()) as pool:
        runs = [r for rows in pool.map(on_a_free_cpu, seeds) for r in rows]
    by_seed = {s: [r for r in runs if r["seed"] == s] for s in seeds}
    checks = {
        "for every seed, the rate R falls as beta grows (test images)":
            all(ordered(rows, "test_rate", rising=False) for rows in by_seed.values()),
        "for every seed, the distortion D rises as beta grows (test images)":
            all(ordered(rows, "test_distortion", rising=True) for rows in by_seed.values()),
    }
    rows = [dict(r, result="") for r in runs] + [
        {"seed": "all seeds", "check": name, "result": "n/a (smoke)" if args.smoke else verdict(ok, "see the rows")}
        for name, ok in checks.items()
    ]
    conditions = {
        "models": "vaebook.configs.beta_sweep: MLP VAE (one hidden layer of 256 ReLU units), latent_dim=2, "
                  "recipe of vaebook.training" + (f" with patience {args.patience}" if args.patience else " with patience 30"),
        "data": "bundled MNIST: 3,600 images to fit (fit_*), 400 to validate (early stopping), 1,000 test images (test_*)",
        "rate, distortion": "R = KL(q(z|x) || p(z)) and D = -log p(x|z) per image, 10 draws of z each, grey levels (nats); "
                            "_se: standard error over the images",
        "runs": "each seed in a fresh process on one CPU (affinity and TensorFlow thread pools)",
    }
    name = "beta_sweep" + (f"_patience{args.patience}" if args.patience else "")
    command = "python -m benchmarks.beta_sweep" + (f" --patience {args.patience}" if args.patience else "")
    return report(name, args, rows, conditions, command)


if __name__ == "__main__":
    main()
