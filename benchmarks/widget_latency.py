"""Latency of the latent explorers: from a control's value change to the updated images, through the real callback.

    python -m benchmarks.widget_latency        # target: p95 <= 50 ms over 200 changes, for each control

Measured for notebook 04's explorer (the main model; its two sliders) and notebook 06's (the
conditional VAE; its sliders and its digit chooser), one after the other in one run.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks._common import parser, report, verdict

TARGET_MS = 50.0


def measure(explorer, set_value, values) -> dict:
    """Set each value through ``set_value(i, value)``; the latency of each change and how many changed the image."""
    latencies, changed = [], 0
    for i, value in enumerate(values):
        before = explorer.digit.value
        start = time.perf_counter()
        set_value(i, value)  # the widget's observer runs the callback
        latencies.append((time.perf_counter() - start) * 1000)
        changed += explorer.digit.value != before
    p50, p95 = np.percentile(latencies, [50, 95])
    return {"changes": len(values), "images_changed": changed, "p50_ms": float(p50), "p95_ms": float(p95)}


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    from vaebook.codes import encode, num_classes_of
    from vaebook.data import load_mnist
    from vaebook.widgets import LatentExplorer

    data = load_mnist("bundled", verbose=False)
    if args.smoke:
        from vaebook.architectures import build_vae

        models = {"untrained conv VAE": build_vae("conv", seed=0),
                  "untrained conditional conv VAE": build_vae("conv", seed=0, num_classes=10)}
        changes = 10
    else:
        from vaebook import pretrained

        models = {"main (conv, z=2, shipped)": pretrained.load("main"),
                  "cvae (conditional conv, z=2, shipped)": pretrained.load("cvae")}
        changes = 200
    rng = np.random.default_rng(0)
    rows = []
    for model, vae in models.items():
        given = {"labels": data.y_test} if num_classes_of(vae) else {}
        means, _ = encode(vae, data.x_test, **given)
        explorer = LatentExplorer(vae, means, data.y_test)

        def slide(i, value):
            explorer.sliders[i % 2].value = value

        controls = {"sliders": (slide, [float(v) for v in rng.uniform(-3, 3, size=changes).round(2)])}
        if num_classes_of(vae):  # each digit differs from the one before, so each change is a real one
            digits = np.cumsum(rng.integers(1, num_classes_of(vae), size=changes)) % num_classes_of(vae)
            controls["digit chooser"] = (lambda i, d: explorer.set_label(d), [int(d) for d in digits])
        for control, (set_value, values) in controls.items():
            row = {"model": model, "control": control, **measure(explorer, set_value, values),
                   "target": f"p95 <= {TARGET_MS:g} ms"}
            row["result"] = "n/a (smoke)" if args.smoke else verdict(row["p95_ms"] <= TARGET_MS, f"p95 {row['p95_ms']:.0f} ms")
            rows.append(row)
    return report("widget_latency", args, rows, {"map_points": len(data.x_test)}, "python -m benchmarks.widget_latency")


if __name__ == "__main__":
    main()
