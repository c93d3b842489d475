"""vaebook: the tested companion package of a notebook series on the Variational Autoencoder.

Each notebook section maps to one module:

- :mod:`vaebook.data`: MNIST, full or the bundled 5,000-digit subset, and binarization.
- :mod:`vaebook.losses`: Gaussian KL, Bernoulli log-likelihood, per-example ELBO.
- :mod:`vaebook.model`: the Keras 3 VAE (``Sampling`` layer, encoders, decoders, ``VAE``).
- :mod:`vaebook.linear_gaussian`: a linear-Gaussian VAE whose log p(x) is exact.
- :mod:`vaebook.evaluate`: dataset ELBO and the importance-sampled log-likelihood.
- :mod:`vaebook.cache`: train a model once, load it afterwards.
- :mod:`vaebook.exercises`: one-line checkers for the notebooks' exercises (their answer key, ``key/`` in the
  repository, is not part of the package).
"""

import os

# TensorFlow writes start-up lines (CPU feature notices) to stderr, which a notebook shows as red
# text in its first cell. Keep warnings and errors from TensorFlow's C++ side out of the way
# unless the reader chose a level; this must run before TensorFlow is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
