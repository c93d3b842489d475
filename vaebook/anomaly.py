"""Anomaly detection with a VAE: score each image by how badly the model explains it.

A VAE trained on normal data gives normal images a high ELBO and unusual ones a low ELBO, so

    score(x) = -ELBO(x)                         (higher = more anomalous)

is a detector. It has a known flaw: the ELBO also depends on how *complex* an image is (a thin
1 has few ink pixels to explain and gets a high ELBO under any model). The likelihood ratio
against a reference model trained on broader data cancels most of that (Ren et al. 2019):

    score(x) = ELBO_reference(x) - ELBO_model(x)

Detectors are compared by the area under the ROC curve (AUC): the probability that a random
anomaly scores higher than a random normal image; 0.5 is chance, 1 is perfect.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from vaebook.evaluate import elbo_per_example


def elbo_scores(model, x, reference=None, samples: int = 10, seed: int = 0) -> np.ndarray:
    """Anomaly score of each image: -ELBO(x), or ELBO_reference(x) - ELBO_model(x) with a reference model.

    The ELBO is averaged over ``samples`` draws of z ~ q(z|x), with the same seed for both models.
    """
    score = -elbo_per_example(model, x, samples=samples, seed=seed)
    if reference is not None:
        score += elbo_per_example(reference, x, samples=samples, seed=seed)
    return score


def roc_auc(is_anomaly, scores) -> float:
    """Area under the ROC curve of ``scores`` for the binary labels ``is_anomaly`` (True = anomaly)."""
    is_anomaly, scores = np.asarray(is_anomaly), np.asarray(scores, np.float64)
    if is_anomaly.shape != scores.shape or is_anomaly.ndim != 1:
        raise ValueError(f"is_anomaly {is_anomaly.shape} and scores {scores.shape} must be two 1-d arrays of one length.")
    if not np.isin(is_anomaly, (0, 1)).all():  # True == 1 and False == 0: booleans pass
        raise ValueError("is_anomaly must be booleans (or 0/1): True marks an anomaly.")
    is_anomaly = is_anomaly.astype(bool)
    if is_anomaly.all() or not is_anomaly.any():
        raise ValueError("is_anomaly must contain both anomalies and normal images; an AUC needs both.")
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores contain NaN or inf; score finite images with a trained model.")
    return float(roc_auc_score(is_anomaly, scores))
