"""vaebook: the tested companion package of a notebook series on the Variational Autoencoder.

Each notebook section maps to one module:

- :mod:`vaebook.data`: MNIST, full or the bundled 5,000-digit subset, and binarization.
- :mod:`vaebook.losses`: Gaussian KL, Bernoulli log-likelihood, per-example ELBO.
- :mod:`vaebook.model`: the Keras 3 VAE (``Sampling`` layer, encoders, decoders, ``VAE``).
- :mod:`vaebook.linear_gaussian`: a linear-Gaussian VAE whose log p(x) is exact.
- :mod:`vaebook.evaluate`: dataset ELBO and the importance-sampled log-likelihood.
- :mod:`vaebook.cache`: train a model once, load it afterwards.
- :mod:`vaebook.exercises`: one-line checkers for the notebooks' exercises; :mod:`vaebook.solutions`, their answers.
"""

import importlib.util
import os

# TensorFlow writes start-up lines (CPU feature notices) to stderr, which a notebook shows as red
# text in its first cell. Keep warnings and errors from TensorFlow's C++ side out of the way
# unless the reader chose a level; this must run before TensorFlow is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

# TensorFlow is an extra, not a dependency (pyproject.toml says why): without one, say which to install.
if importlib.util.find_spec("tensorflow") is None:
    raise ImportError(
        "vaebook needs TensorFlow (the series' Keras backend) and none is installed; fix: "
        "pip install 'vaebook[cpu]' (the small CPU-only build) or 'vaebook[tensorflow]' (the standard "
        "build, which uses a GPU when there is one), or pip install tensorflow"
    )
