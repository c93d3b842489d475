"""The exercise checkers: every reference solution passes, a stub is "not done yet", a raising
function gets one line, and the typical wrong answers get their intended hints."""

import numpy as np
import pytest
import scipy.stats
from keras import ops

from vaebook import exercises, pretrained, solutions
from vaebook.architectures import build_vae
from vaebook.configs import BETAS
from vaebook.evaluate import digit_reader
from vaebook.linear_gaussian import fit_ppca


def sigmoid(l):
    return 1 / (1 + np.exp(-l))


def logsumexp_naive(log_w, axis=0):
    return np.log(np.sum(np.exp(log_w), axis=axis))


# name -> (checker, reference, [(typical wrong answer, words the hint must contain), ...])
CODE = {
    "share_within": (exercises.check_share_within, solutions.share_within, [
        (lambda codes, radius: np.mean(np.sum(codes**2, axis=1) <= radius), "squared distance"),
        (lambda codes, radius: np.mean(np.all(np.abs(codes) <= radius, axis=1)), "each coordinate on its own"),
        (lambda codes, radius: np.sum(np.linalg.norm(codes, axis=1) <= radius), "that is a count"),
        (lambda codes, radius: np.linalg.norm(codes, axis=1) <= radius, "average them"),
        (lambda codes, radius: np.mean(np.linalg.norm(codes, axis=1) > radius), "share outside"),
    ]),
    "kl_to_prior": (exercises.check_kl_to_prior, solutions.kl_to_prior, [
        # The Keras 2 example's formula, without the leading minus.
        (lambda m, lv: 0.5 * np.sum(1 + lv - m**2 - np.exp(lv), axis=-1), "flipped sign"),
        (lambda m, lv: -0.5 * np.mean(1 + lv - m**2 - np.exp(lv), axis=-1), "a mean over the latent dimensions where a sum belongs"),
        (lambda m, lv: -0.5 * np.sum(1 + lv - m**2 - np.exp(0.5 * lv), axis=-1), "not exp(log_var / 2)"),
        (lambda m, lv: -0.5 * np.sum(1 + lv - np.exp(lv), axis=-1), "the mean term is missing"),
        (lambda m, lv: -0.5 * np.sum(lv - m**2 - np.exp(lv), axis=-1), "the 1 inside the sum is missing"),
        (lambda m, lv: -np.sum(1 + lv - m**2 - np.exp(lv), axis=-1), "the factor 1/2 is missing"),
        (lambda m, lv: -0.5 * np.sum(1 + lv - m**2 - np.exp(lv)), "sum over the latent axis only"),
        (lambda m, lv: -0.5 * (1 + lv - m**2 - np.exp(lv)), "one value per latent dimension"),
        (lambda m, lv: -0.5 * np.sum(1 + lv - m**2 - np.exp(lv), axis=0), "summed over the batch axis"),
    ]),
    "reparameterize": (exercises.check_reparameterize, solutions.reparameterize, [
        (lambda m, lv, eps: m + np.exp(lv) * eps, "scaled by the variance"),
        (lambda m, lv, eps: m + lv * eps, "scaled by log_var itself"),
        (lambda m, lv, eps: m - np.exp(0.5 * lv) * eps, "with a plus"),
        (lambda m, lv, eps: np.exp(0.5 * lv) * eps, "the mean is missing"),
        (lambda m, lv, eps: m + np.exp(0.5 * lv) * np.random.default_rng(1).normal(size=m.shape), "use the eps you are given"),
    ]),
    "score_function_gradient": (exercises.check_score_function_gradient, solutions.score_function_gradient, [
        (lambda f, mu, s, eps: np.mean(f(mu + s * eps) * (s * eps) / s), "you divided by sigma, not sigma^2"),
        (lambda f, mu, s, eps: np.mean(f(mu + s * eps) * (mu - (mu + s * eps)) / s**2), "flipped sign"),
        (lambda f, mu, s, eps: f(mu + s * eps) * eps / s, "average them"),
        (lambda f, mu, s, eps: np.sum(f(mu + s * eps) * eps / s), "a sum over the draws where a mean belongs"),
        (lambda f, mu, s, eps: np.mean(f(mu + s * eps) * (s * eps)), "needs its division by sigma^2"),
    ]),
    "log_likelihood_from_logits": (exercises.check_log_likelihood_from_logits, solutions.log_likelihood_from_logits, [
        (lambda x, l: np.sum((x * np.log(sigmoid(l)) + (1 - x) * np.log(1 - sigmoid(l))).reshape(len(x), -1), axis=1),
         "not finite for confident logits"),
        (lambda x, l: np.sum((x * np.log(np.clip(sigmoid(l), 1e-7, 1 - 1e-7)) + (1 - x) * np.log(np.clip(1 - sigmoid(l), 1e-7, 1)))
                             .reshape(len(x), -1), axis=1), "clipping probabilities"),
        # Keras' binary_crossentropy: a mean over the last axis, and a loss (positive).
        (lambda x, l: -ops.convert_to_numpy(ops.mean(ops.reshape(ops.binary_crossentropy(x, l, from_logits=True), (len(x), -1)), axis=1)),
         "a mean over the pixels where a sum belongs"),
        (lambda x, l: np.sum((np.logaddexp(0, l) - x * l).reshape(len(x), -1), axis=1), "that is the cross-entropy"),
        (lambda x, l: x * l - np.logaddexp(0, l), "one value per pixel"),
    ]),
    "warmup_weight": (exercises.check_warmup_weight, solutions.warmup_weight, [
        (lambda e, b, w: b * min(1, e / w) if w else b, "counted from 0"),
        (lambda e, b, w: b * (e + 1) / w if w else b, "stop growing at beta"),
        (lambda e, b, w: min(1, (e + 1) / w) if w else b, "multiply by beta"),
        (lambda e, b, w: b * min(1, (e + 1) / w) if w else 0.0, "no warm-up"),
    ]),
    "line_between": (exercises.check_line_between, solutions.line_between, [
        (lambda a, b, s: a + (b - a) * np.linspace(0, 1, s, endpoint=False)[:, None], "include both ends"),
        (lambda a, b, s: b + (a - b) * np.linspace(0, 1, s)[:, None], "runs backwards"),
        (lambda a, b, s: (a + (b - a) * np.linspace(0, 1, s)[:, None]).T, "one code per row"),
    ]),
    "prior_quantiles": (exercises.check_prior_quantiles, solutions.prior_quantiles, [
        (lambda n, eps: np.linspace(eps, 1 - eps, n), "these are the probabilities p"),
        (lambda n, eps: np.linspace(scipy.stats.norm.ppf(eps), scipy.stats.norm.ppf(1 - eps), n), "evenly spaced values"),
        (lambda n, eps: scipy.stats.norm.ppf(np.linspace(0, 1, n)), "infinite values at the ends"),
        (lambda n, eps: scipy.stats.norm.ppf(np.linspace(1 - eps, eps, n)), "decreasing values"),
    ]),
    "importance_weighted_bound": (exercises.check_importance_weighted_bound, solutions.importance_weighted_bound, [
        (lambda lw: lw.mean(axis=0), "single-sample ELBOs"),
        (lambda lw: logsumexp_naive(lw) - np.log(len(lw)), "not finite for log weights near -1200"),
        (lambda lw: scipy.special.logsumexp(lw, axis=0), "off by log(k)"),
        (lambda lw: scipy.special.logsumexp(lw, axis=1) - np.log(lw.shape[1]), "reduce over axis 0"),
    ]),
    "one_hot": (exercises.check_one_hot, solutions.one_hot, [
        (lambda y, k: np.eye(k)[np.asarray(y) - 1], "off by one"),
        (lambda y, k: 1 - np.eye(k)[y], "flipped"),
        (lambda y, k: np.eye(k)[y].T, "transposed"),
        (lambda y, k: np.eye(10)[y], "use the num_classes you are given"),
        (lambda y, k: np.asarray(y, float), "one row of num_classes numbers per label"),
    ]),
    "label_free_bound": (exercises.check_label_free_bound, solutions.label_free_bound, [
        (lambda el: el.mean(axis=1), "average of the log-likelihoods over the labels"),
        (lambda el: el.max(axis=1), "best label's log-likelihood"),
        (lambda el: scipy.special.logsumexp(el, axis=1), "off by log K"),
        (lambda el: scipy.special.logsumexp(el, axis=1) - np.log(10), "subtract log of the number of columns"),
        (lambda el: logsumexp_naive(el, axis=1) - np.log(el.shape[1]), "not finite for log-likelihoods near -1500"),
        (lambda el: scipy.special.logsumexp(el, axis=0) - np.log(el.shape[0]), "reduce over axis 1"),
        (lambda el: np.mean(scipy.special.logsumexp(el, axis=1) - np.log(el.shape[1])), "don't average over the images"),
    ]),
}

MISTAKES = [(name, wrong, hint) for name, (_, _, mistakes) in CODE.items() for wrong, hint in mistakes]


def one_line(capsys, result):
    out = capsys.readouterr().out
    assert out == result.message + "\n", "a checker prints exactly its one-line message"
    assert "\n" not in result.message and "Traceback" not in out
    return out


@pytest.mark.parametrize("name", CODE)
def test_reference_solution_passes(name, capsys):
    check, reference, _ = CODE[name]
    result = check(reference)
    one_line(capsys, result)
    assert result and result.status == "right" and "right" in result.message


@pytest.mark.parametrize("name", CODE)
def test_stub_is_not_done_yet(name, capsys):
    def stub(*args):
        ...  # your code here

    result = CODE[name][0](stub)
    one_line(capsys, result)
    assert not result and result.status == "not done" and "not done yet" in result.message
    assert CODE[name][0](...).status == "not done"  # `my_function = ...` left as it was


@pytest.mark.parametrize("name", CODE)
def test_a_raising_function_gets_one_line_naming_the_exception(name, capsys):
    def broken(*args):
        return {}["no such key"]

    result = CODE[name][0](broken)
    one_line(capsys, result)
    assert result.status == "raised" and "KeyError" in result.message and "(on " in result.message


@pytest.mark.parametrize("name", CODE)
def test_something_else_is_not_right_and_not_a_function_is_told_so(name, capsys):
    check = CODE[name][0]
    result = check(lambda *args: 12345.0)
    assert result.status == "wrong" and "not right yet" in result.message
    assert check(3.0).status == "wrong" and "pass your function itself" in check(3.0).message
    assert check(lambda *args: "text").status == "wrong"


@pytest.mark.parametrize("name, wrong, hint", MISTAKES, ids=[f"{n}:{h}" for n, _, h in MISTAKES])
def test_typical_mistake_gets_its_hint(name, wrong, hint, capsys):
    result = CODE[name][0](wrong)
    one_line(capsys, result)
    assert result.status == "wrong" and hint in result.message, result.message


def test_the_printed_line_is_the_same_at_every_run(capsys):
    wrong = CODE["kl_to_prior"][2][0][0]
    assert exercises.check_kl_to_prior(wrong).message == exercises.check_kl_to_prior(wrong).message


def test_keras_tensors_are_accepted():
    def kl_with_keras_ops(mean, log_var):
        return -0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)

    assert exercises.check_kl_to_prior(kl_with_keras_ops)


def test_the_warmup_without_a_zero_case_names_the_input_it_failed_on():
    result = exercises.check_warmup_weight(lambda e, b, w: b * min(1, (e + 1) / w))
    assert result.status == "raised" and "ZeroDivisionError" in result.message and "warmup_epochs=0" in result.message


# --- number exercises -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def main_model():
    return pretrained.load("main")


@pytest.fixture(scope="module")
def number_exercises(mnist, main_model):
    """name -> (checker with the notebook's objects bound, the reference answer, [(wrong answer, hint words), ...])."""
    x = mnist.x_test
    vae = pretrained.load("mlp_beta1")
    ppca = fit_ppca(mnist.x_train, latent_dim=2, seed=0)
    read = digit_reader(mnist.x_train, mnist.y_train)
    points = [{"rate": 9.0, "distortion": 150.0}, {"rate": 6.0, "distortion": 151.0},
              {"rate": 3.0, "distortion": 158.5}, {"rate": 0.5, "distortion": 175.0}]
    kl_dims = solutions.kl_per_dimension(main_model, x)
    share_zero = solutions.share_read_as(main_model, read, 0, 200, 0)
    ink = solutions.ink_auc(x, mnist.y_test)
    share = solutions.vae_share_within(vae, x, 1.0)
    mean_kl = solutions.mean_kl_to_prior(ppca, x[:500])
    return {
        "share_within_one": (lambda a: exercises.check_vae_share_within_one(a, vae, x), share,
                             [(1 - share, "share outside"), (100 * share, "percentage"), (1 - np.exp(-0.5), "prior's share")]),
        "prior_radius": (exercises.check_prior_radius_estimate, solutions.prior_radius_by_sampling(),
                         [(5.99, "squared radius"), (1.96, "one coordinate")]),
        "mean_kl": (lambda a: exercises.check_mean_kl_to_prior(a, ppca, x[:500]), mean_kl,
                    [(-mean_kl, "flipped sign"), (500 * mean_kl, "a sum over the images"), (mean_kl / 2, "mean over the latent dimensions")]),
        "largest_dimension_kl": (lambda a: exercises.check_largest_dimension_kl(a, main_model, x), kl_dims.max(),
                                 [(kl_dims.sum(), "summed over all the latent dimensions"), (kl_dims.min(), "carries the least")]),
        "share_read_as_zero": (lambda a: exercises.check_share_read_as_zero(a, main_model, read), share_zero,
                               [(200 * share_zero, "that is a count"), (1 - share_zero, "any digit but 0")]),
        "negative_elbo_increase": (lambda a: exercises.check_negative_elbo_increase(a, points, BETAS), 4.5,
                                   [(-4.5, "flipped sign"), (7.5, "distortions only"), (-3.0, "rates only"), (3.0, "rate the code gave up")]),
        "ink_auc": (lambda a: exercises.check_ink_auc(a, x, mnist.y_test), ink, [(1 - ink, "minus the ink")]),
        "label_gain_limit": (exercises.check_label_gain_limit, np.log(10),
                             [(10.0, "largest ratio"), (np.log2(10), "in bits"), (1.0, "decimal log"), (-np.log(10), "flipped sign"),
                              (0.1, "that is p(y)")]),
    }


NUMBER_MISTAKES = [
    ("share_within_one", 0), ("share_within_one", 1), ("share_within_one", 2), ("prior_radius", 0), ("prior_radius", 1),
    ("mean_kl", 0), ("mean_kl", 1), ("mean_kl", 2), ("largest_dimension_kl", 0), ("largest_dimension_kl", 1),
    ("share_read_as_zero", 0), ("share_read_as_zero", 1), ("negative_elbo_increase", 0), ("negative_elbo_increase", 1),
    ("negative_elbo_increase", 2), ("negative_elbo_increase", 3), ("ink_auc", 0),
    ("label_gain_limit", 0), ("label_gain_limit", 1), ("label_gain_limit", 2), ("label_gain_limit", 3), ("label_gain_limit", 4),
]
NUMBERS = sorted({name for name, _ in NUMBER_MISTAKES})


@pytest.mark.parametrize("name", NUMBERS)
def test_number_reference_passes_and_stub_is_not_done(name, number_exercises, capsys):
    check, reference, _ = number_exercises[name]
    result = check(reference)
    one_line(capsys, result)
    assert result and "right" in result.message
    assert check(np.float32(reference)), "a NumPy scalar is a number too"
    result = check(...)
    assert result.status == "not done" and "not done yet" in result.message
    assert check("0.5").status == "wrong" and "one number" in check("0.5").message
    far = check(reference + 1000)
    assert far.status == "wrong" and "too high" in far.message


@pytest.mark.parametrize("name, index", NUMBER_MISTAKES)
def test_typical_wrong_number_gets_its_hint(name, index, number_exercises, capsys):
    check, reference, mistakes = number_exercises[name]
    wrong, hint = mistakes[index]
    result = check(wrong)
    one_line(capsys, result)
    assert result.status == "wrong" and hint in result.message, result.message


def test_prior_radius_tolerance_is_as_documented():
    reference = exercises.prior_radius(0.95, 2)
    assert exercises.check_prior_radius_estimate(reference + 0.019)
    assert not exercises.check_prior_radius_estimate(reference + 0.021)


def test_number_checkers_reject_wrong_notebook_objects(mnist):
    with pytest.raises(TypeError, match="must be a vaebook VAE"):
        exercises.check_mean_kl_to_prior(1.0, "ppca", mnist.x_test)
    with pytest.raises(ValueError, match="one dict with 'rate' and 'distortion'"):
        exercises.check_negative_elbo_increase(1.0, [1, 2], BETAS)
    with pytest.raises(ValueError, match="pass data.x_test and data.y_test"):
        exercises.check_ink_auc(0.5, mnist.x_test, mnist.y_test[:10])


def test_a_number_stub_costs_nothing_and_shows_no_result_object(mnist):
    class Untouchable:
        decoder = build_vae("mlp", hidden=(8,), seed=0).decoder

        def __call__(self, *args, **kwargs):
            raise AssertionError("a stub must not make the checker compute its reference")

    result = exercises.check_mean_kl_to_prior(..., Untouchable(), mnist.x_test)
    assert result.status == "not done"
    assert result._ipython_display_() is None  # the printed line is the whole output in a notebook
