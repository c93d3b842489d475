"""Decode a 15x15 latent grid: one predict call per cell (the source notebook) vs one batched call (vaebook).

    python -m benchmarks.grid_speed            # target: batched at least 100x faster
"""

from __future__ import annotations

import numpy as np

from benchmarks._common import parser, report, timed, verdict

TARGET = 100.0


def per_cell(vae, grid):
    # The source notebook's loop: one decoder.predict per cell.
    return np.concatenate([vae.decoder.predict(z[None], verbose=0) for z in grid])


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    from vaebook.architectures import build_vae
    from vaebook.codes import decode
    from vaebook.latent import quantile_grid

    n, repeats = (4, 1) if args.smoke else (15, 5)
    vae = build_vae("conv", latent_dim=2, seed=0)  # speed does not depend on training
    grid = quantile_grid(n)
    decode(vae, grid[:2]), per_cell(vae, grid[:2])  # warm-up: build both paths once
    loop_times, batch_times = [], []
    for _ in range(repeats):  # alternate the two ways in one process
        looped, t_loop = timed(per_cell, vae, grid)
        batched, t_batch = timed(decode, vae, grid)
        loop_times.append(t_loop)
        batch_times.append(t_batch)
    same = np.allclose(1 / (1 + np.exp(-looped)), batched, atol=1e-5)
    t_loop, t_batch = float(np.median(loop_times)), float(np.median(batch_times))
    ratio = t_loop / t_batch
    rows = [
        {"way": f"{n * n} x decoder.predict (source)", "median_s": t_loop},
        {"way": "1 x vaebook.codes.decode", "median_s": t_batch},
        {"way": "ratio", "median_s": ratio, "target": f">= {TARGET:g}x",
         "result": "n/a (smoke)" if args.smoke else verdict(ratio >= TARGET, f"{ratio:.0f}x")},
    ]
    return report("grid_speed", args, rows, {"grid": f"{n}x{n}", "repeats": repeats, "same_images": bool(same),
                                            "decoder": "conv, latent_dim=2 (untrained weights)"},
                  "python -m benchmarks.grid_speed")


if __name__ == "__main__":
    main()
