"""Latency of the latent explorer: from a slider value change to the updated images, through the real callback.

    python -m benchmarks.widget_latency        # target: p95 <= 50 ms over 200 changes
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks._common import parser, report, verdict

TARGET_MS = 50.0


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    from vaebook.data import load_mnist
    from vaebook.widgets import LatentExplorer

    data = load_mnist("bundled", verbose=False)
    if args.smoke:
        from vaebook.model import build_vae

        vae, changes, model = build_vae("conv", seed=0), 10, "untrained conv VAE"
    else:
        from vaebook import pretrained

        vae, changes, model = pretrained.load("main"), 200, "the series' main model (conv, z=2, shipped)"
    means, _ = vae.encode(data.x_test)
    explorer = LatentExplorer(vae, means, data.y_test)
    values = np.random.default_rng(0).uniform(-3, 3, size=(changes, 2)).round(2)
    latencies, changed = [], 0
    for i, (v0, v1) in enumerate(values):
        slider = explorer.sliders[i % 2]
        before = explorer.digit.value
        start = time.perf_counter()
        slider.value = float(v0 if i % 2 == 0 else v1)  # the widget's observer runs the callback
        latencies.append((time.perf_counter() - start) * 1000)
        changed += explorer.digit.value != before
    p50, p95 = np.percentile(latencies, [50, 95])
    rows = [{"changes": changes, "images_changed": changed, "p50_ms": float(p50), "p95_ms": float(p95),
             "target": f"p95 <= {TARGET_MS:g} ms",
             "result": "n/a (smoke)" if args.smoke else verdict(p95 <= TARGET_MS, f"p95 {p95:.0f} ms")}]
    return report("widget_latency", args, rows, {"model": model, "map_points": len(means)},
                  "python -m benchmarks.widget_latency")


if __name__ == "__main__":
    main()
