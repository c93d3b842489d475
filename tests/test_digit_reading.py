"""Reading digits: k-NN on latent codes and on pixels."""

import numpy as np
import pytest


def test_code_knn_accuracy_and_digit_reader(mnist):
    from vaebook.evaluate import code_knn_accuracy, digit_reader

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 50)
    separated = np.c_[labels * 10.0, np.zeros(200)] + rng.normal(size=(200, 2))
    mixed = rng.normal(size=(200, 2))
    assert code_knn_accuracy(separated, labels, separated, labels) == 1.0
    assert code_knn_accuracy(mixed[:100], labels[:100], mixed[100:], labels[100:]) < 0.5
    read = digit_reader(mnist.x_train, mnist.y_train)
    assert np.mean(read(mnist.x_test[:200]) == mnist.y_test[:200]) > 0.85  # real digits are read right
    with pytest.raises(ValueError, match="k must be a whole number >= 1"):
        digit_reader(mnist.x_train, mnist.y_train, k=0)
