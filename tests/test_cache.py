import dataclasses

import numpy as np
import pytest

from vaebook.cache import CacheError, cache_key, train_or_load
from vaebook.codes import reconstruct
from vaebook.training import TrainConfig


@pytest.fixture(scope="module")
def small(mnist):
    return dataclasses.replace(mnist, x_train=mnist.x_train[:600], y_train=mnist.y_train[:600])


CONFIG = TrainConfig(arch="mlp", latent_dim=2, epochs=1, warmup_epochs=0, hidden=(32,))


def test_trains_once_then_loads(small, tmp_path, capsys):
    first = train_or_load(CONFIG, small, tmp_path, verbose=0)
    second = train_or_load(CONFIG, small, tmp_path, verbose=1)
    assert first.trained_now and not second.trained_now
    assert "from the cache" in capsys.readouterr().out
    assert second.history["val_loss"] == first.history["val_loss"]
    x = small.x_test[:5]
    np.testing.assert_array_equal(reconstruct(first.vae, x), reconstruct(second.vae, x))
    assert len(list(tmp_path.glob("*.keras"))) == 1


def test_key_depends_on_config_and_data(small, mnist):
    keys = {
        cache_key(CONFIG, small),
        cache_key(dataclasses.replace(CONFIG, beta=2.0), small),
        cache_key(dataclasses.replace(CONFIG, seed=1), small),
        cache_key(CONFIG, mnist),
        cache_key(CONFIG, dataclasses.replace(small, source="full")),
        cache_key(CONFIG, dataclasses.replace(small, binarization="fixed")),
    }
    assert len(keys) == 6


def test_key_depends_on_the_training_code(small, monkeypatch, tmp_path):
    import vaebook.cache as cache_mod

    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("loss = reconstruction + beta * kl\n")
    b.write_text("x = 1\n")
    before = cache_mod.files_fingerprint([a, b])
    a.write_text("loss = reconstruction - beta * kl\n")
    assert cache_mod.files_fingerprint([a, b]) != before
    assert set(cache_mod.TRAINING_CODE) >= {"vaebook.losses", "vaebook.model", "vaebook.training", "vaebook.data"}
    key = cache_key(CONFIG, small)
    monkeypatch.setattr(cache_mod, "training_code_fingerprint", lambda: "changed code")
    assert cache_key(CONFIG, small) != key


def test_exclude_digit_trains_without_it(small, tmp_path):
    out = train_or_load(dataclasses.replace(CONFIG, exclude_digit=3), small, tmp_path, verbose=0)
    assert out.trained_now
    assert train_or_load(CONFIG, small, tmp_path, verbose=0).path != out.path


def test_training_split_leaves_out_the_excluded_digit(small):
    from vaebook.training import training_split

    (x_fit, y_fit), (x_val, y_val) = training_split(dataclasses.replace(CONFIG, exclude_digit=3), small)
    assert 3 not in set(y_fit) | set(y_val)
    kept = small.x_train[small.y_train != 3]
    assert len(x_fit) + len(x_val) == len(kept) < len(small.x_train)
    threes = {img.tobytes() for img in small.x_train[small.y_train == 3]}
    assert not any(img.tobytes() in threes for img in np.concatenate([x_fit, x_val]))
    np.testing.assert_array_equal(np.concatenate([x_fit, x_val]), kept)  # the order kept, the last 10% held out
    assert len(x_val) == round(0.1 * len(kept))


def test_corrupt_cache_names_the_file_and_the_fix(small, tmp_path):
    entry = train_or_load(CONFIG, small, tmp_path, verbose=0)
    entry.path.write_bytes(b"\x00garbage")
    with pytest.raises(CacheError, match=rf"{entry.path.name} is corrupt.*Delete .*retrain=True"):
        train_or_load(CONFIG, small, tmp_path, verbose=0)
    fixed = train_or_load(CONFIG, small, tmp_path, verbose=0, retrain=True)
    assert fixed.trained_now


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(latent_dim=0), "latent_dim"),
        (dict(epochs=0), "epochs must be >= 1"),
        (dict(epochs=5, warmup_epochs=5), "warmup_epochs must be from 0 to epochs - 1 = 4"),
        (dict(patience=0), "patience must be >= 1"),
        (dict(exclude_digit=12), "exclude_digit must be a digit"),
        (dict(perturb=1.0), "perturb is a share of pixels"),
    ],
)
def test_bad_config(bad, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**bad)
