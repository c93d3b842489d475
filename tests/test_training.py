"""The training recipe: KL warm-up read by the compiled step, a validation set from the training images, early stopping."""

import dataclasses

import numpy as np
import keras
import pytest

from vaebook.architectures import build_vae
from vaebook.model import KLWarmup
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
            self.seen.append(float(keras.ops.convert_to_numpy(self.model.kl_weight)))


def test_fit_with_warmup_sets_the_weight_each_epoch(mnist):
    vae = build_vae("mlp", latent_dim=2, beta=2.0, seed=0, hidden=(16,))
    record = RecordWeight()
    vae.fit(mnist.x_train[:256], epochs=3, batch_size=128, callbacks=[KLWarmup(3), record], verbose=0)
    assert record.seen == pytest.approx([2 / 3, 4 / 3, 2.0])
    assert float(keras.ops.convert_to_numpy(vae.kl_weight)) == 2.0


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
    assert float(keras.ops.convert_to_numpy(vae.kl_weight)) == 1.0


def test_dynamic_binarization_resamples_each_batch_in_a_new_order_each_epoch(mnist):
    from vaebook.training import BinarizedBatches

    x = mnist.x_train[:200]
    batches = BinarizedBatches(x, batch_size=64, seed=0)
    assert len(batches) == 4  # 64 + 64 + 64 + 8
    first = np.concatenate([batches[i] for i in range(len(batches))])
    assert first.shape == x.shape and set(np.unique(first)) == {0.0, 1.0}
    assert abs(first.mean() - x.mean()) < 0.01  # x_bin ~ Bernoulli(x): the same ink on average
    order = batches.order.copy()
    np.testing.assert_array_equal(np.sort(order), np.arange(200))  # every image once per epoch
    again = batches[0]
    assert not np.array_equal(again, first[:64]), "the same images are binarized afresh each time they are drawn"
    assert np.all(again <= (x[order[:64]] > 0)), "a pixel that is 0 in x stays 0"
    batches.on_epoch_end()
    assert not np.array_equal(batches.order, order), "a new order each epoch"
    vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(8,))
    assert vae.fit(batches, epochs=1, verbose=0).history["loss"][0] > 0


def test_the_recipe_binarizes_dynamically_only_when_the_data_asks(mnist, monkeypatch):
    import vaebook.training as training

    seen = []
    original = training.BinarizedBatches.__getitem__
    monkeypatch.setattr(training.BinarizedBatches, "__getitem__", lambda self, i: seen.append(i) or original(self, i))
    small = dataclasses.replace(mnist, x_train=mnist.x_train[:300], y_train=mnist.y_train[:300])
    config = TrainConfig(arch="mlp", hidden=(8,), epochs=1, warmup_epochs=0, batch_size=100)
    train(config, small, verbose=0)
    assert seen == []
    train(config, dataclasses.replace(small, binarization="dynamic"), verbose=0)
    assert set(seen) == {0, 1, 2}  # 270 training images in batches of 100 (Keras also peeks at the first)


def test_epoch_log_prints_one_line_per_epoch_counted_from_1(capsys):
    """Keras counts epochs from 0; the reader's log counts from 1, with the KL weight of the epoch."""
    from types import SimpleNamespace

    from vaebook.training import EpochLog

    log = EpochLog()
    log.set_model(SimpleNamespace(kl_weight=keras.Variable(0.5)))
    log.on_epoch_end(0, {"reconstruction_loss": 200.04, "kl_loss": 3.26, "val_loss": 205.57})
    assert capsys.readouterr().out == (
        "epoch   1: reconstruction  200.0 + KL  3.3 (weight 0.50); validation loss  205.6 nats\n")
