"""The training recipe: KL warm-up read by the compiled step, a validation set from the training images, early stopping."""

import dataclasses

import numpy as np
import keras
import pytest

from vaebook.model import KLWarmup, build_vae
from vaebook.training import TrainConfig, train, training_split


def test_warmup_ramps_linearly_to_beta_and_ends_at_beta():
    warmup = KLWarmup(4)
    assert [warmup.weight(e, 2.0) for e in range(6)] == [0.5, 1.0, 1.5, 2.0, 2.0, 2.0]
    assert KLWarmup(0).weight(0, 2.0) == 2.0
    with pytest.raises(ValueError, match="KL warm-up epochs must be a whole number >= 0"):
        KLWarmup(-1)


class RecordWeight(keras.callbacks.Callback):
    """The KL weight the training step sees at the first batch of each epoch."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.seen.append(float(self.model.kl_weight.numpy()))


def test_fit_with_warmup_sets_the_weight_each_epoch(mnist):
    vae = build_vae("mlp", latent_dim=2, beta=2.0, seed=0, hidden=(16,))
    record = RecordWeight()
    vae.fit(mnist.x_train[:256], epochs=3, batch_size=128, callbacks=[KLWarmup(3), record], verbose=0)
    assert record.seen == pytest.approx([2 / 3, 4 / 3, 2.0])
    assert float(vae.kl_weight.numpy()) == 2.0


def test_compiled_step_reads_the_weight_and_validation_uses_beta(mnist):
    """Changing kl_weight between fits changes the training loss (no stale trace); validation ignores it."""
    vae = build_vae("mlp", latent_dim=2, beta=1.0, seed=0, hidden=(16,))
    x, x_val = mnist.x_train[:256], mnist.x_test[:128]
    for weight in (0.0, 1.0, 0.5):
        vae.kl_weight.assign(weight)
        h = vae.fit(x, epochs=1, batch_size=128, validation_data=x_val, verbose=0).history
        assert h["loss"][0] == pytest.approx(h["reconstruction_loss"][0] + weight * h["kl_loss"][0], rel=1e-4)
        assert h["val_loss"][0] == pytest.approx(h["val_reconstruction_loss"][0] + h["val_kl_loss"][0], rel=1e-4)


def test_validation_comes_from_the_training_images(mnist):
    config = TrainConfig(arch="mlp", warmup_epochs=0)
    (x_fit, y_fit), (x_val, y_val) = training_split(config, mnist)
    assert len(x_val) == 400 and len(x_fit) == 3600
    np.testing.assert_array_equal(np.concatenate([x_fit, x_val]), mnist.x_train)
    np.testing.assert_array_equal(np.concatenate([y_fit, y_val]), mnist.y_train)  # each image keeps its label
    no_threes = dataclasses.replace(config, exclude_digit=3)
    (x_fit3, y_fit3), (x_val3, y_val3) = training_split(no_threes, mnist)
    assert len(x_fit3) + len(x_val3) == int((mnist.y_train != 3).sum())
    np.testing.assert_array_equal(np.concatenate([y_fit3, y_val3]), mnist.y_train[mnist.y_train != 3])
    binary = dataclasses.replace(mnist, binarization="dynamic")
    assert set(np.unique(training_split(config, binary)[1][0])) == {0.0, 1.0}
    noisy = training_split(dataclasses.replace(config, perturb=0.2), mnist)[0][0]
    assert 0.15 < np.mean(noisy != x_fit) < 0.25


class KeepWeights(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.per_epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.per_epoch.append(self.model.get_weights())


def test_recipe_stops_early_and_keeps_the_best_epoch(mnist):
    small = dataclasses.replace(mnist, x_train=mnist.x_train[:600], y_train=mnist.y_train[:600])
    config = TrainConfig(arch="mlp", hidden=(16,), epochs=40, warmup_epochs=2, patience=2, learning_rate=0.05)
    kept = KeepWeights()
    vae, history = train(config, small, verbose=0, callbacks=[kept])
    epochs = len(history["loss"])
    assert epochs < 40, "a large learning rate on 540 images should stop improving well before 40 epochs"
    after_warmup = np.array(history["val_loss"][config.warmup_epochs:])
    assert history["best_epoch"] == config.warmup_epochs + int(np.argmin(after_warmup)) + 1
    assert epochs - history["best_epoch"] == config.patience
    for final, best in zip(vae.get_weights(), kept.per_epoch[history["best_epoch"] - 1]):
        np.testing.assert_array_equal(final, best)  # the best epoch's weights, not the last epoch's
    assert history["kl_weight"][:3] == pytest.approx([0.5, 1.0, 1.0])
    assert float(vae.kl_weight.numpy()) == 1.0
