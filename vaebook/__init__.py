"""vaebook: the tested companion package of a notebook series on the Variational Autoencoder.

Each notebook section maps to one module:

- :mod:`vaebook.data`: MNIST, full or the bundled 5,000-digit subset, and binarization.
- :mod:`vaebook.losses`: Gaussian KL, Bernoulli log-likelihood, per-example ELBO.
- :mod:`vaebook.model`: the Keras 3 VAE exactly as notebook 03 writes it (``Sampling``, the conv
  encoder and decoder, ``VAE``, ``KLWarmup``); it runs on TensorFlow, JAX and PyTorch.
- :mod:`vaebook.architectures`: the MLP networks, ``build_vae`` for every model, ``load_vae``.
- :mod:`vaebook.codes`: a trained VAE from NumPy: ``encode``, ``decode``, ``reconstruct``.
- :mod:`vaebook.conditional`: notebook 06's ``ConditionalVAE`` and what it is used for.
- :mod:`vaebook.linear_gaussian`: a linear-Gaussian VAE whose log p(x) is exact.
- :mod:`vaebook.evaluate`: dataset ELBO and the importance-sampled log-likelihood.
- :mod:`vaebook.cache`: train a model once, load it afterwards.
- :mod:`vaebook.exercises`: one-line checkers for the notebooks' exercises (their answer key, ``key/`` in the
  repository, is not part of the package).
"""

import os
import sys

# TensorFlow writes start-up lines (CPU feature notices) to stderr, which a notebook shows as red
# text in its first cell. Keep warnings and errors from TensorFlow's C++ side out of the way
# unless the reader chose a level; this must run before TensorFlow is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"


def _import_keras_quietly():
    """Import Keras, and the backend behind it, before anything else of vaebook does.

    TensorFlow 2.21 prints its C++ start-up lines (absl, oneDNN) before it reads
    TF_CPP_MIN_LOG_LEVEL, and Jupyter shows them under a notebook's first import: while Keras is
    imported, the process's stderr (file descriptor 2) goes to /dev/null, unless the reader set
    TF_CPP_MIN_LOG_LEVEL below 2. TensorFlow is an extra, not a dependency (pyproject.toml says
    why), so a missing backend gets one line that says what to install.
    """
    quiet = os.environ["TF_CPP_MIN_LOG_LEVEL"] >= "2"
    if quiet:
        sys.stderr.flush()
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401
    except ModuleNotFoundError as err:
        missing = (err.name or "").split(".")[0]
        if missing not in ("tensorflow", "jax", "torch"):
            raise
        fix = ("pip install 'vaebook[cpu]' (the small CPU-only build) or 'vaebook[tensorflow]' (the standard build, "
               "which uses a GPU when there is one), or pip install tensorflow" if missing == "tensorflow" else
               f"pip install {missing}, or choose TensorFlow (KERAS_BACKEND=tensorflow)")
        name = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}[missing]
        raise ImportError(f"vaebook needs {name} (Keras' backend here) and it is not installed; fix: {fix}") from None
    finally:
        if quiet:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


_import_keras_quietly()
