"""Run each exercise draft after a minimal setup that mirrors its notebook: first as committed (stubs), then with
student-style answers, printing each cell's line and time. A check for whoever appends the drafts; delete it with them.

    PYTHONPATH=. python exercise_drafts/run_drafts.py 01 02 03 04 05
"""
import contextlib
import io
import pathlib
import re
import sys
import time

SETUP = {
"01": '''
import matplotlib; matplotlib.use("Agg")
import numpy as np
from vaebook import pretrained
from vaebook.data import load_mnist
from vaebook.latent import prior_radius, prior_samples, share_in_prior_region
data = load_mnist()
autoencoder = pretrained.model_for("autoencoder", data)
vae = pretrained.model_for("mlp_beta1", data)
codes = {"autoencoder (beta = 0)": autoencoder.encode(data.x_test)[0], "VAE (beta = 1)": vae.encode(data.x_test)[0]}
''',
"02": '''
from vaebook.data import load_mnist
from vaebook.linear_gaussian import fit_ppca
from vaebook.losses import gaussian_kl
import numpy as np
data = load_mnist()
x = data.x_test[:500]
ppca = fit_ppca(data.x_train, latent_dim=2, seed=0)
''',
"03": '''
import numpy as np
from vaebook import pretrained
from vaebook.data import load_mnist
from vaebook.losses import bernoulli_log_likelihood
import tensorflow as tf
from keras import ops
data = load_mnist()
''',
"04": '''
import numpy as np
from vaebook import pretrained
from vaebook.data import load_mnist
from vaebook.evaluate import digit_reader
from vaebook.latent import prior_samples
data = load_mnist()
vae = pretrained.model_for("main", data)
read = digit_reader(data.x_train, data.y_train)
''',
"05": '''
import numpy as np
from vaebook import pretrained
from vaebook.anomaly import roc_auc
from vaebook.configs import BETAS
from vaebook.data import load_mnist
from vaebook.evaluate import rate_distortion
data = load_mnist()
is_seven = data.y_test == 7
sweep = {beta: pretrained.model_for(f"mlp_beta{beta:g}", data) for beta in BETAS}
points = [rate_distortion(sweep[beta], data.x_test, samples=10) for beta in BETAS]
''',
}
ANSWERS = {  # as a student would write them, from the notebook's variables
"share_answer": 'share_within(codes["VAE (beta = 1)"], 1.0)',
"radius_answer": "np.quantile(np.linalg.norm(prior_samples(100_000, latent_dim=2, seed=0), axis=1), 0.95)",
"kl_answer": "kl_to_prior(*ppca.encode(x)).mean()",
"dimension_kl_answer": "max(float(np.mean(ops.convert_to_numpy(gaussian_kl(m[:, [j]], lv[:, [j]])))) for m, lv in [main_model.encode(data.x_test)] for j in range(2))",
"zero_share_answer": "np.mean(read(vae.decode(prior_samples(200, latent_dim=2, seed=0))) == 0)",
"sweep_answer": "sum(points[2].values()) - sum(points[1].values())",
"ink_answer": "roc_auc(is_seven, data.x_test.reshape(len(data.x_test), -1).sum(axis=1))",
}

def cells(text):
    return [c for c in re.split(r"^# %%.*$", text, flags=re.M) if c.strip() and not all(l.startswith("#") or not l.strip() for l in c.splitlines())]

def solve(cell):
    cell = re.sub(r"def (\w+)\(([^)]*)\):\n    \.\.\.  # your code here", r"def \1(\2):\n    return solutions.\1(\2)", cell)
    for name, expr in ANSWERS.items():
        cell = re.sub(rf"^{name} = \.\.\.  # your number", lambda m: f"{name} = {expr}", cell, flags=re.M)
    return cell

for nb in sys.argv[1:]:
    ns = {}
    exec(SETUP[nb], ns)
    if nb == "03":
        ns["gaussian_kl"] = __import__("vaebook.losses", fromlist=["x"]).gaussian_kl
    text = open(pathlib.Path(__file__).with_name(f"{nb}_exercises.py")).read()
    for mode in ("stub", "solved"):
        exec("from vaebook import solutions", ns)
        for cell in cells(text):
            code = cell if mode == "stub" else solve(cell)
            buf = io.StringIO()
            t = time.perf_counter()
            with contextlib.redirect_stdout(buf):
                exec(code, ns)
            dt = time.perf_counter() - t
            print(f"[{nb} {mode} {dt:.2f}s] {buf.getvalue().strip()}")
