"""Checkers for the exercises at the end of notebooks 01-06.

Each checker takes your function or your number, prints one line and returns a :class:`Result`
(true when the answer is right). The line says one of:

- ``right``: your function matches the reference on seeded random inputs, or your number
  is within the stated tolerance of the reference computed from the same model and data;
- ``not done yet``: the exercise still holds its stub (``...``, or a function that returns None);
- ``not right yet``, with a hint at what is off: a flipped sign, a mean where a sum
  belongs, a wrong shape, a missing term;
- ``your function raised``: the exception, in one line, and the input it failed on.

The checks never compare text: functions are run on random inputs (seeded, so the line is
the same at every run), and their outputs compared with the reference solutions in
:mod:`vaebook.solutions`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from statistics import NormalDist

import numpy as np
from keras import ops

from vaebook import solutions
from vaebook.estimators import quadratic, score_function_terms
from vaebook.codes import latent_dim_of
from vaebook.latent import prior_radius

RIGHT, NOT_DONE, WRONG, RAISED = "right", "not done", "wrong", "raised"


@dataclasses.dataclass(frozen=True)
class Result:
    """What a checker found: ``status`` is one of "right", "not done", "wrong", "raised"; ``message`` the printed line."""

    exercise: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == RIGHT

    def _ipython_display_(self):
        """Show nothing when a notebook cell ends with the check: the checker has printed its line already."""


def _report(exercise: str, status: str, text: str) -> Result:
    message = f"{exercise}: {text}"
    print(message)
    return Result(exercise, status, message)


def _one_line(text: str, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


# --- code exercises -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Case:
    """One input of a code exercise: ``args`` for the function, ``about`` naming it in a message, and
    ``hint`` for when this is the only case the reader's function gets wrong."""

    args: tuple
    about: str
    hint: str | None = None


@dataclasses.dataclass(frozen=True)
class _Mistake:
    """A typical wrong answer: ``value(*args, reference_output)`` is what it returns (None: no prediction for
    this input), ``hint`` what to tell the reader whose function returns that on every input."""

    value: object
    hint: str


def _as_array(out):
    if isinstance(out, np.ndarray):
        return out.astype(np.float64)
    return np.asarray(ops.convert_to_numpy(out) if hasattr(out, "shape") else out, dtype=np.float64)


def _copy(arg):
    return arg.copy() if isinstance(arg, np.ndarray) else arg


def _close(out, expected, rtol, atol) -> bool:
    return out.shape == expected.shape and bool(np.allclose(out, expected, rtol=rtol, atol=atol, equal_nan=False))


def _check_function(exercise, func, reference, cases, mistakes=(), shape_hint=None, nonfinite_hint=None,
                    generic_hint="compare each term with the formula in the exercise", rtol=1e-4, atol=1e-5) -> Result:
    """Run ``func`` and ``reference`` on every case; report the first of: a stub, an exception, right, a known
    mistake, a wrong shape, a NaN or inf, a wrong answer on one special case, any other difference."""
    if func is None or func is Ellipsis:
        return _report(exercise, NOT_DONE, "not done yet: write the function and run the cell again.")
    if not callable(func):
        return _report(exercise, WRONG, f"not right yet: pass your function itself (its name, no brackets), not a {type(func).__name__}.")
    outputs, expected = [], []
    for case in cases:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                out = func(*(_copy(a) for a in case.args))
        except Exception as err:  # the reader's code may raise anything: report it in one line
            return _report(exercise, RAISED, f"your function raised {type(err).__name__}: {_one_line(err)} (on {case.about}).")
        if out is None:
            return _report(exercise, NOT_DONE, "not done yet: your function returns None; write its body, `return` the result and run the cell again.")
        try:
            out = _as_array(out)
        except (TypeError, ValueError):
            return _report(exercise, WRONG, f"not right yet: your function returns a {type(out).__name__}; return numbers (a NumPy array or a float).")
        outputs.append(out)
        expected.append(_as_array(reference(*case.args)))
    if all(_close(o, e, rtol, atol) for o, e in zip(outputs, expected)):
        return _report(exercise, RIGHT, f"right: your function matches the reference on all {len(cases)} test inputs.")
    for mistake in mistakes:
        predicted = [mistake.value(*case.args, e) for case, e in zip(cases, expected)]
        pairs = [(o, _as_array(p)) for o, p in zip(outputs, predicted) if p is not None]
        if pairs and all(_close(o, p, rtol, atol) for o, p in pairs):
            return _report(exercise, WRONG, f"not right yet: {mistake.hint}.")
    for case, o, e in zip(cases, outputs, expected):
        if o.shape != e.shape:
            hint = shape_hint(o.shape, e.shape, case.args) if shape_hint else None
            shape_text = f"your function returns shape {o.shape} for {case.about}; expected {e.shape}"
            return _report(exercise, WRONG, f"not right yet: {hint or shape_text}.")
    for case, o, e in zip(cases, outputs, expected):
        if not np.all(np.isfinite(o)) and np.all(np.isfinite(e)):
            hint = nonfinite_hint or f"your function returns NaN or inf for {case.about}, where the answer is finite"
            return _report(exercise, WRONG, f"not right yet: {hint}.")
    wrong = [case for case, o, e in zip(cases, outputs, expected) if not _close(o, e, rtol, atol)]
    if len(wrong) == 1 and wrong[0].hint:
        return _report(exercise, WRONG, f"not right yet: {wrong[0].hint}.")
    return _report(exercise, WRONG, f"not right yet: wrong values for {wrong[0].about}; {generic_hint}.")


# --- number exercises ---------------------------------------------------------------------------


def _check_number(exercise, answer, compute, tol: float, share=False, generic_hint="recompute it step by step") -> Result:
    """Compare the reader's number with the reference: right within ``tol``.

    ``compute()`` returns (reference, mistakes), with mistakes (value, hint) pairs; it runs only
    once the reader has given a number, so a stub costs nothing.
    """
    if answer is None or answer is Ellipsis:
        return _report(exercise, NOT_DONE, "not done yet: replace the `...` with your number and run the cell again.")
    if isinstance(answer, (bool, str)) or (not isinstance(answer, numbers.Real) and np.size(answer) != 1):
        return _report(exercise, WRONG, f"not right yet: give one number, not a {type(answer).__name__}.")
    try:
        value = float(np.asarray(ops.convert_to_numpy(answer) if hasattr(answer, "shape") else answer).reshape(()))
    except (TypeError, ValueError):
        return _report(exercise, WRONG, f"not right yet: give one number, not a {type(answer).__name__}.")
    if not math.isfinite(value):
        return _report(exercise, WRONG, f"not right yet: your answer is {value}; the answer is a finite number.")
    reference, mistakes = compute()
    if abs(value - reference) <= tol:
        return _report(exercise, RIGHT, f"right: {value:.4g} (within {tol:g} of the reference).")
    for wrong_value, hint in mistakes:
        if abs(value - wrong_value) <= tol:
            return _report(exercise, WRONG, f"not right yet: {hint}.")
    if share and 1 < value <= 100 and abs(value / 100 - reference) <= tol:
        return _report(exercise, WRONG, "not right yet: that looks like a percentage; give the share as a number between 0 and 1 (0.25 for 25%).")
    direction = "too high" if value > reference else "too low"
    return _report(exercise, WRONG, f"not right yet: {value:.4g} is {direction} (the tolerance is {tol:g}); {generic_hint}.")


def _check_model(model, name="model"):
    if not hasattr(getattr(model, "decoder", None), "inputs"):
        raise TypeError(f"{name} must be a vaebook VAE (from pretrained.load or build_vae), got {type(model).__name__}.")


def _rng(seed):
    return np.random.default_rng(seed)


# --- notebook 01 --------------------------------------------------------------------------------


def check_share_within(share_within) -> Result:
    """Exercise 01 (code): ``share_within(codes, radius)``, the share of codes (N, d) with sqrt(sum_j z_j^2) <= radius."""
    rng = _rng(101)
    cases = [
        _Case((rng.normal(0.0, 1.0, (300, 2)), 1.5), "300 codes in 2-d, radius 1.5"),
        _Case((rng.normal(0.3, 2.0, (200, 2)), 2.45), "200 codes in 2-d, radius 2.45"),
        _Case((rng.normal(0.0, 0.7, (250, 3)), 0.8), "250 codes in 3-d, radius 0.8"),
    ]
    reference = solutions.share_within
    mistakes = [
        _Mistake(lambda c, r, e: 1 - e, "that is the share outside the circle; count the codes with distance <= radius"),
        _Mistake(lambda c, r, e: e * len(c), "that is a count; divide by the number of codes for a share between 0 and 1"),
        _Mistake(lambda c, r, e: reference(c, math.sqrt(r)),
                 "you compared the squared distance with the radius: take the square root of the sum of squares (or compare with radius**2)"),
        _Mistake(lambda c, r, e: np.mean(np.all(np.abs(c) <= r, axis=1)),
                 "you tested each coordinate on its own (a square, not a circle): use the distance from the origin, sqrt(z_0^2 + z_1^2 + ...)"),
        _Mistake(lambda c, r, e: np.mean(np.linalg.norm(c, axis=0) <= r),
                 "the distance is taken along the wrong axis: each row of codes is one code, so take the norm along axis=1"),
    ]

    def shape_hint(out_shape, ref_shape, args):
        if out_shape == (len(args[0]),):
            return "your function returns one value per code; average them (np.mean) into one share"
        return None

    return _check_function("share_within", share_within, reference, cases, mistakes, shape_hint, rtol=0, atol=1e-9)


def check_vae_share_within_one(answer, vae, x) -> Result:
    """Exercise 01 (number): the share of the VAE's test codes (encoder means of ``x``) within radius 1; tolerance 0.001."""
    _check_model(vae, "vae")

    def compute():
        reference = solutions.vae_share_within(vae, x, 1.0)
        return reference, [
            (1 - reference, "that is the share outside radius 1; the question asks for the share inside"),
            (1 - math.exp(-0.5), "that is the prior's share, 1 - exp(-1/2); the question asks for the VAE's test codes"),
        ]

    return _check_number("share of the VAE's codes within radius 1", answer, compute, 0.001, share=True,
                         generic_hint="use your share_within on the VAE's codes, encode(vae, data.x_test)[0], with radius 1")


def check_prior_radius_estimate(answer) -> Result:
    """Exercise 01 (number): the 95% radius of the 2-d prior, estimated from 100,000 samples; tolerance 0.02."""
    def compute():
        reference = prior_radius(0.95, 2)
        return reference, [
            (reference**2, "that is the squared radius (the 95% quantile of z_0^2 + z_1^2); take its square root"),
            (NormalDist().inv_cdf(0.975), "1.96 holds 95% of one coordinate; the question asks for the distance from 0 in 2-d"),
            (NormalDist().inv_cdf(0.95), "1.64 is the 95% quantile of one coordinate; the question asks for the distance from 0 in 2-d"),
        ]

    return _check_number("the prior's 95% radius", answer, compute, 0.02,
                         generic_hint="take np.quantile of the distances np.linalg.norm(z, axis=1) at 0.95")


# --- notebook 02 --------------------------------------------------------------------------------


def _latent_inputs(rng, shape):
    return rng.normal(0.0, 1.5, shape), rng.uniform(-3.0, 2.0, shape)


def check_kl_to_prior(kl_to_prior) -> Result:
    """Exercise 02 (code): ``kl_to_prior(mean, log_var)``, KL(N(mean, diag(exp(log_var))) || N(0, I)) per example,
    -1/2 sum_j (1 + log_var_j - mean_j^2 - exp(log_var_j)), shape (N,)."""
    rng = _rng(201)
    cases = [
        _Case(_latent_inputs(rng, (5, 2)), "mean and log_var of shape (5, 2)"),
        _Case(_latent_inputs(rng, (4, 3)), "mean and log_var of shape (4, 3)"),
        _Case((np.zeros((2, 4)), np.zeros((2, 4))), "mean = 0 and log_var = 0 (q is the prior: KL = 0)"),
    ]

    def half_sum(terms):
        return 0.5 * np.sum(terms, axis=-1)

    mistakes = [
        _Mistake(lambda m, lv, e: -e, "flipped sign: KL = -1/2 * sum(1 + log_var - mean^2 - exp(log_var)), with the leading minus; it is never negative"),
        _Mistake(lambda m, lv, e: e / m.shape[1], "a mean over the latent dimensions where a sum belongs: sum over axis=-1"),
        _Mistake(lambda m, lv, e: 2 * e, "twice the KL: the factor 1/2 is missing"),
        _Mistake(lambda m, lv, e: e - half_sum(m**2), "the mean term is missing: each dimension adds mean_j^2 / 2"),
        _Mistake(lambda m, lv, e: e + half_sum(1 + 0 * m), "off by latent_dim / 2: the 1 inside the sum is missing (the KL must be 0 at mean = 0, log_var = 0)"),
        _Mistake(lambda m, lv, e: e - half_sum(np.exp(lv) - np.exp(0.5 * lv)),
                 "the variance term: sigma^2 = exp(log_var), not exp(log_var / 2), which is sigma"),
        _Mistake(lambda m, lv, e: e + 0.25 * np.sum(lv, axis=-1), "the log term: use log_var = log sigma^2 as it is, not log sigma = log_var / 2"),
        _Mistake(lambda m, lv, e: np.sum(e), "one KL per example, shape (N,): sum over the latent axis only (axis=-1), not over the batch too"),
        _Mistake(lambda m, lv, e: np.mean(e), "one KL per example, shape (N,): sum over axis=-1 and don't average over the batch"),
        _Mistake(lambda m, lv, e: solutions.kl_terms(m, lv),
                 "your function returns one value per latent dimension, shape (N, latent_dim): sum them over axis=-1"),
        _Mistake(lambda m, lv, e: solutions.kl_terms(m, lv).sum(axis=0), "summed over the batch axis: sum over axis=-1, the latent dimensions"),
    ]
    return _check_function("kl_to_prior", kl_to_prior, solutions.kl_to_prior, cases, mistakes)


def check_reparameterize(reparameterize) -> Result:
    """Exercise 02 (code): ``reparameterize(mean, log_var, eps)``, z = mean + exp(log_var / 2) * eps, elementwise."""
    rng = _rng(202)
    cases = [
        _Case((*_latent_inputs(rng, (4, 2)), rng.normal(size=(4, 2))), "arrays of shape (4, 2)"),
        _Case((*_latent_inputs(rng, (3, 5)), rng.normal(size=(3, 5))), "arrays of shape (3, 5)"),
    ]
    mistakes = [
        _Mistake(lambda m, lv, eps, e: m + np.exp(lv) * eps,
                 "eps is scaled by the variance exp(log_var); scale it by the standard deviation exp(log_var / 2)"),
        _Mistake(lambda m, lv, eps, e: m + lv * eps, "eps is scaled by log_var itself; the standard deviation is exp(log_var / 2)"),
        _Mistake(lambda m, lv, eps, e: m + np.exp(-0.5 * lv) * eps, "eps is scaled by 1 / sigma; the standard deviation is exp(+log_var / 2)"),
        _Mistake(lambda m, lv, eps, e: 2 * m - e,
                 "z = mean + sigma * eps, with a plus: mean - sigma * eps has the same distribution, but not the same z for the given eps"),
        _Mistake(lambda m, lv, eps, e: e - m, "the mean is missing: z = mean + sigma * eps"),
    ]
    return _check_function("reparameterize", reparameterize, solutions.reparameterize, cases, mistakes,
                           generic_hint="use the eps you are given (draw no noise of your own): z = mean + exp(log_var / 2) * eps")


def _quadratic(target):
    """f(z) = -(z - target)^2 / 2 (:func:`vaebook.estimators.quadratic` without its derivative)."""
    return lambda z: quadratic(z, target)[0]


def check_score_function_gradient(score_function_gradient) -> Result:
    """Exercise 02 (code): ``score_function_gradient(f, mu, sigma, eps)``, the score-function estimate of
    d/dmu E_{z ~ N(mu, sigma^2)}[f(z)]: the mean of f(z) * (z - mu) / sigma^2 over z = mu + sigma * eps."""
    rng = _rng(203)
    cases = [
        _Case((_quadratic(2.0), 0.5, 1.5, rng.normal(size=2000)), "f(z) = -(z - 2)^2 / 2, mu = 0.5, sigma = 1.5, 2,000 draws"),
        _Case((np.sin, -1.0, 0.5, rng.normal(size=500)), "f = sin, mu = -1, sigma = 0.5, 500 draws"),
        _Case((np.exp, 0.2, 2.0, rng.normal(size=1000)), "f = exp, mu = 0.2, sigma = 2, 1,000 draws"),
    ]

    def terms(f, mu, sigma, eps):
        z = mu + sigma * eps
        return score_function_terms(f(z), z, mu, sigma)

    mistakes = [
        _Mistake(lambda f, mu, s, eps, e: -e, "flipped sign: the score is (z - mu) / sigma^2, not (mu - z) / sigma^2"),
        _Mistake(lambda f, mu, s, eps, e: e * s, "the score of N(mu, sigma^2) is (z - mu) / sigma^2: you divided by sigma, not sigma^2"),
        _Mistake(lambda f, mu, s, eps, e: e * s**2, "the score (z - mu) / sigma^2 needs its division by sigma^2"),
        _Mistake(lambda f, mu, s, eps, e: e * len(eps), "a sum over the draws where a mean belongs: average the per-draw estimates"),
        _Mistake(lambda f, mu, s, eps, e: terms(f, mu, s, eps),
                 "your function returns one estimate per draw; average them (np.mean) into one number"),
    ]
    return _check_function("score_function_gradient", score_function_gradient, solutions.score_function_gradient, cases, mistakes,
                           generic_hint="with z = mu + sigma * eps, average f(z) * (z - mu) / sigma^2 (the score-function estimate uses values of f, never its slope)")


def check_mean_kl_to_prior(answer, model, x) -> Result:
    """Exercise 02 (number): the encoder's KL(q(z|x) || p(z)), averaged over the images ``x``; tolerance 0.01 nats."""
    _check_model(model)

    def compute():
        reference = solutions.mean_kl_to_prior(model, x)
        return reference, [
            (-reference, "flipped sign: a KL divergence is never negative"),
            (reference / latent_dim_of(model), "that is a mean over the latent dimensions too: sum over them, average over the images"),
            (reference * len(x), "that is a sum over the images: the question asks for the average per image"),
        ]

    return _check_number("mean KL(q(z|x) || p(z))", answer, compute, 0.01,
                         generic_hint="apply your kl_to_prior to encode(model, x) and average the result over the images")


# --- notebook 03 --------------------------------------------------------------------------------


def _confident_case():
    """Logits of +-40 on four pixels, wrong about two of them: log p(x|z) = -80 (nearly), finite."""
    logits = np.array([[40.0, -40.0, 40.0, -40.0]])
    x = np.array([[0.0, 1.0, 1.0, 0.0]])
    return x, logits


def check_log_likelihood_from_logits(log_likelihood_from_logits) -> Result:
    """Exercise 03 (code): ``log_likelihood_from_logits(x, logits)``, the Bernoulli log p(x|z) of each image,
    sum_i [x_i l_i - softplus(l_i)] over all its pixels, shape (N,)."""
    rng = _rng(301)
    cases = [
        _Case((rng.uniform(size=(4, 28, 28, 1)), rng.normal(0.0, 3.0, (4, 28, 28, 1))), "4 grey images of shape (28, 28, 1)"),
        _Case(((rng.uniform(size=(3, 784)) < 0.3).astype(np.float64), rng.normal(0.0, 3.0, (3, 784))), "3 binary images of 784 pixels"),
        _Case(_confident_case(), "confident logits of +-40",
              hint="wrong for confident logits (+-40) only: clipping probabilities caps the penalty; compute from the logits, x * l - softplus(l)"),
    ]
    reference = solutions.log_likelihood_from_logits
    mistakes = [
        _Mistake(lambda x, l, e: -e, "flipped sign: that is the cross-entropy, the loss; the log-likelihood is its negative"),
        _Mistake(lambda x, l, e: e / np.prod(np.shape(l)[1:]),
                 "a mean over the pixels where a sum belongs: log p(x|z) sums over every pixel of the image"),
        _Mistake(lambda x, l, e: reference(1 - x, l), "x and 1 - x are swapped: a pixel's logit counts where x = 1"),
        _Mistake(lambda x, l, e: np.sum(e), "one value per image, shape (N,): sum over the pixels, not over the images too"),
    ]

    def shape_hint(out_shape, ref_shape, args):
        if out_shape == np.shape(args[1]):
            return "your function returns one value per pixel; sum them over all the pixels of each image, for shape (N,)"
        return None

    return _check_function("log_likelihood_from_logits", log_likelihood_from_logits, reference, cases, mistakes, shape_hint,
                           nonfinite_hint="not finite for confident logits (+-40): sigmoid(40) is exactly 1 in floating point, so log(1 - p) is -inf; compute from the logits, x * l - softplus(l)",
                           generic_hint="log p(x|z) = sum over pixels of x * logits - softplus(logits), where softplus(l) = log(1 + exp(l))")


def check_warmup_weight(warmup_weight) -> Result:
    """Exercise 03 (code): ``warmup_weight(epoch, beta, warmup_epochs)``, the KL weight of epoch ``epoch``
    (counted from 0): beta * min(1, (epoch + 1) / warmup_epochs), and beta when warmup_epochs = 0."""
    settings = [(0, 1.0, 10), (4, 1.0, 10), (9, 1.0, 10), (15, 1.0, 10), (0, 4.0, 3), (2, 4.0, 3), (7, 0.5, 5), (3, 2.0, 0)]
    cases = [_Case(s, f"epoch={s[0]}, beta={s[1]:g}, warmup_epochs={s[2]}") for s in settings]
    cases[-1] = dataclasses.replace(cases[-1], hint="warmup_epochs = 0 means no warm-up: the weight is beta from the first epoch")

    def ramp(epoch, beta, warmup, cap=True):
        if warmup == 0:
            return None
        r = epoch / warmup
        return beta * (min(1.0, r) if cap else r)

    mistakes = [
        _Mistake(lambda ep, b, w, e: ramp(ep, b, w), "epochs are counted from 0: epoch 0 already has weight beta / warmup_epochs, so use (epoch + 1)"),
        _Mistake(lambda ep, b, w, e: ramp(ep + 1, b, w, cap=False), "the weight must stop growing at beta: take min(1, (epoch + 1) / warmup_epochs)"),
        _Mistake(lambda ep, b, w, e: None if w == 0 else e / b, "multiply by beta: the ramp ends at beta, not at 1"),
    ]
    return _check_function("warmup_weight", warmup_weight, solutions.warmup_weight, cases, mistakes, rtol=1e-6, atol=1e-9,
                           generic_hint="the weight is beta * min(1, (epoch + 1) / warmup_epochs)")


def check_largest_dimension_kl(answer, model, x) -> Result:
    """Exercise 03 (number): the average KL, over the images ``x``, of the latent dimension that carries
    the most; tolerance 0.01 nats."""
    _check_model(model)

    def compute():
        per_dimension = solutions.kl_per_dimension(model, x)
        return float(per_dimension.max()), [
            (per_dimension.sum(), "that is the KL summed over all the latent dimensions; the question asks for one dimension, the larger"),
            (per_dimension.min(), "that is the dimension that carries the least; the question asks for the one that carries the most"),
            (-per_dimension.max(), "flipped sign: a KL divergence is never negative"),
        ]

    return _check_number("KL of the busiest latent dimension", answer, compute, 0.01,
                         generic_hint="apply your KL to one column at a time, mean[:, [j]] and log_var[:, [j]], and average over the images")


# --- notebook 04 --------------------------------------------------------------------------------


def check_line_between(line_between) -> Result:
    """Exercise 04 (code): ``line_between(z_start, z_end, steps)``, ``steps`` codes (1 - t) z_start + t z_end
    with t evenly spaced from 0 to 1 (both ends included), shape (steps, latent_dim)."""
    rng = _rng(401)
    cases = [
        _Case((rng.normal(size=2), rng.normal(size=2), 10), "two 2-d codes, steps=10"),
        _Case((rng.normal(size=3), rng.normal(size=3), 4), "two 3-d codes, steps=4"),
        _Case((rng.normal(size=5), rng.normal(size=5), 2), "two 5-d codes, steps=2"),
    ]

    def without_end(a, b, steps, e):
        return a + (b - a) * (np.arange(steps) / steps)[:, None]

    mistakes = [
        _Mistake(lambda a, b, s, e: e[::-1], "the line runs backwards: the first code must be z_start and the last z_end"),
        _Mistake(without_end, "the last code must be z_end: include both ends, t = np.linspace(0, 1, steps)"),
        _Mistake(lambda a, b, s, e: e.T, "one code per row: return shape (steps, latent_dim), not (latent_dim, steps)"),
    ]
    return _check_function("line_between", line_between, solutions.line_between, cases, mistakes,
                           generic_hint="the code at t is (1 - t) * z_start + t * z_end, for t = np.linspace(0, 1, steps)")


def check_prior_quantiles(prior_quantiles) -> Result:
    """Exercise 04 (code): ``prior_quantiles(n, eps)``, Phi^{-1}(p) for n probabilities p evenly spaced from
    eps to 1 - eps, increasing, shape (n,)."""
    cases = [_Case((n, eps), f"n={n}, eps={eps}") for n, eps in ((15, 0.05), (5, 0.1), (4, 0.2))]
    inv_cdf = NormalDist().inv_cdf
    mistakes = [
        _Mistake(lambda n, eps, e: -e, "decreasing values: the axis runs from Phi^{-1}(eps) up to Phi^{-1}(1 - eps)"),
        _Mistake(lambda n, eps, e: np.linspace(eps, 1 - eps, n),
                 "these are the probabilities p; apply the inverse normal CDF to each (NormalDist().inv_cdf, or scipy.stats.norm.ppf)"),
        _Mistake(lambda n, eps, e: np.linspace(inv_cdf(eps), inv_cdf(1 - eps), n),
                 "evenly spaced values: take the quantiles Phi^{-1}(p) of evenly spaced probabilities p, which crowd near 0"),
    ]
    return _check_function("prior_quantiles", prior_quantiles, solutions.prior_quantiles, cases, mistakes,
                           nonfinite_hint="infinite values at the ends: the probabilities run from eps to 1 - eps, not from 0 to 1",
                           generic_hint="evenly spaced probabilities p = np.linspace(eps, 1 - eps, n), then Phi^{-1}(p)")


def check_share_read_as_zero(answer, vae, read) -> Result:
    """Exercise 04 (number): the share of 200 prior samples, ``prior_samples(200, 2, seed=0)`` decoded by
    ``vae``, that ``read`` reads as 0; tolerance 0.001."""
    _check_model(vae, "vae")
    if not callable(read):
        raise TypeError(f"read must be the digit reader of the notebook (digit_reader(data.x_train, data.y_train)), got {type(read).__name__}.")

    def compute():
        reference = solutions.share_read_as(vae, read, digit=0, samples=200, seed=0)
        return reference, [
            (reference * 200, "that is a count; divide by the 200 samples for a share"),
            (1 - reference, "that is the share read as any digit but 0"),
        ]

    return _check_number("share of prior samples read as 0", answer, compute, 0.001, share=True,
                         generic_hint="decode prior_samples(200, latent_dim=2, seed=0) with decode(vae, ...), read them, and take the mean of (digits == 0)")


# --- notebook 05 --------------------------------------------------------------------------------


def check_importance_weighted_bound(importance_weighted_bound) -> Result:
    """Exercise 05 (code): ``importance_weighted_bound(log_w)`` for log weights of shape (k, N):
    logsumexp over the k samples minus log k, one bound per image, shape (N,)."""
    rng = _rng(501)
    cases = [
        _Case((rng.normal(-95.0, 3.0, (10, 4)),), "log weights of shape (10, 4) near -95"),
        _Case((rng.normal(-110.0, 8.0, (500, 3)),), "log weights of shape (500, 3) near -110"),
        _Case((rng.normal(-1200.0, 5.0, (20, 2)),), "log weights of shape (20, 2) near -1200"),
    ]
    mistakes = [
        _Mistake(lambda lw, e: lw.mean(axis=0),
                 "that is the average of the k single-sample ELBOs; the bound is the log of the average weight, logsumexp(log_w, axis=0) - log(k)"),
        _Mistake(lambda lw, e: e + math.log(len(lw)), "off by log(k): the bound averages the k weights, so subtract log(k) from the logsumexp"),
        _Mistake(lambda lw, e: np.mean(e), "one bound per image, shape (N,): don't average over the images"),
    ]

    def shape_hint(out_shape, ref_shape, args):
        if out_shape == (args[0].shape[0],):
            return "log_w has shape (k, N), one row per sample: reduce over axis 0, for one bound per image"
        return None

    return _check_function("importance_weighted_bound", importance_weighted_bound, solutions.importance_weighted_bound, cases,
                           mistakes, shape_hint, rtol=1e-7, atol=1e-6,
                           nonfinite_hint="not finite for log weights near -1200: exp(-1200) is 0 in floating point; use a logsumexp (scipy.special.logsumexp, or subtract the largest log weight first)",
                           generic_hint="the bound is logsumexp(log_w, axis=0) - log(k)")


def check_negative_elbo_increase(answer, points, betas) -> Result:
    """Exercise 05 (number): how many nats per image -ELBO = D + R is higher at beta = 4 than at beta = 1, from
    the notebook's rate-distortion ``points`` and ``betas`` (BETAS); tolerance 0.1 (the table shows one decimal)."""
    points, betas = list(points), list(betas)
    if len(points) != len(betas) or not all(isinstance(p, dict) and {"rate", "distortion"} <= set(p) for p in points):
        raise ValueError("Pass the notebook's `points` (one dict with 'rate' and 'distortion' per beta) and `BETAS`, in the same order.")
    if not {1.0, 4.0} <= set(betas):
        raise ValueError(f"betas must include 1 and 4 (pass the notebook's BETAS), got {betas}.")

    def compute():
        by_beta = dict(zip(betas, points))
        reference = solutions.negative_elbo_increase(points, betas, 4.0, 1.0)
        distortion = by_beta[4.0]["distortion"] - by_beta[1.0]["distortion"]
        rate = by_beta[4.0]["rate"] - by_beta[1.0]["rate"]
        return reference, [
            (-reference, "flipped sign: beta = 4 has the higher -ELBO; subtract beta = 1's D + R from beta = 4's"),
            (distortion, "that compares the distortions only; -ELBO = D + R, so add the change in rate"),
            (rate, "that compares the rates only; -ELBO = D + R, so add the change in distortion"),
            (-rate, "that is the rate the code gave up; the question asks for the change in D + R"),
        ]

    return _check_number("-ELBO at beta = 4 minus at beta = 1", answer, compute, 0.1,
                         generic_hint="add rate and distortion for each beta, then subtract beta = 1's total from beta = 4's")


def check_ink_auc(answer, x, labels) -> Result:
    """Exercise 05 (number): the ROC AUC, for "is a 7", of the score "total ink" (the sum of each image's
    pixel values) on images ``x`` with ``labels``; tolerance 0.005."""
    x, labels = np.asarray(x), np.asarray(labels)
    if len(x) != len(labels):
        raise ValueError(f"x has {len(x)} images but labels has {len(labels)}; pass data.x_test and data.y_test.")

    def compute():
        reference = solutions.ink_auc(x, labels, digit=7)
        return reference, [(1 - reference, "that is the AUC of minus the ink; the score is the ink itself (more ink, higher score)")]

    return _check_number("AUC of the ink score", answer, compute, 0.005, share=True,
                         generic_hint="score each image by x.reshape(len(x), -1).sum(axis=1) and pass it to roc_auc with is_seven")


# --- notebook 06 --------------------------------------------------------------------------------


def check_one_hot(one_hot) -> Result:
    """Exercise 06 (code): ``one_hot(labels, num_classes)``, shape (N, num_classes), row n all 0 but a 1 at column labels[n]."""
    rng = _rng(601)
    cases = [
        _Case((np.array([3, 0, 9, 3]), 10), "labels [3, 0, 9, 3] with num_classes=10"),
        _Case((rng.integers(0, 10, 50), 10), "50 random digits with num_classes=10"),
        _Case((np.array([0, 1, 2]), 3), "labels [0, 1, 2] with num_classes=3",
              "wrong for num_classes=3: use the num_classes you are given, not 10"),
    ]
    mistakes = [
        _Mistake(lambda y, k, e: np.eye(k)[np.asarray(y) - 1], "off by one: digit d is a 1 in column d, counted from 0"),
        _Mistake(lambda y, k, e: 1 - e, "flipped: the label's column is 1, the other columns are 0"),
    ]

    def shape_hint(out_shape, ref_shape, args):
        if out_shape == ref_shape[::-1]:
            return "transposed: one row per label, one column per class, shape (N, num_classes)"
        if out_shape == (len(args[0]),):
            return "one row of num_classes numbers per label, shape (N, num_classes), not one number per label"
        if len(out_shape) == 2 and out_shape[0] == len(args[0]) and args[1] != 10:
            return f"wrong for num_classes={args[1]}: use the num_classes you are given, not {out_shape[1]}"
        return None

    return _check_function("one_hot", one_hot, solutions.one_hot, cases, mistakes, shape_hint,
                           generic_hint="start from np.zeros((len(labels), num_classes)) and set a 1 at (n, labels[n])")


def check_label_gain_limit(answer) -> Result:
    """Exercise 06 (number): the most nats a label y can add to log p(x), log p(x|y) - log p(x), when p(y) = 1/10; tolerance 0.01."""

    def compute():
        reference = solutions.label_gain_limit(10)
        return reference, [
            (10.0, "that is the largest ratio p(x|y) / p(x); the question asks for nats, its natural log"),
            (math.log2(10), "that is in bits (log base 2); nats use the natural log"),
            (1.0, "that is the decimal log; nats use the natural log"),
            (-reference, "flipped sign: knowing the label can only raise the likelihood of a digit it fits"),
            (0.1, "that is p(y); use log p(y|x) - log p(y) with p(y|x) at most 1"),
        ]

    return _check_number("most nats a label can add", answer, compute, 0.01,
                         generic_hint="log p(x|y) - log p(x) = log p(y|x) - log p(y); p(y|x) is at most 1 and p(y) = 1/10")


def check_label_free_bound(label_free_bound) -> Result:
    """Exercise 06 (code): ``label_free_bound(log_liks)`` for estimates of log p(x|y) of shape (N, K), one column
    per label: logsumexp over the labels minus log K, one bound on log p(x) per image, shape (N,)."""
    rng = _rng(602)
    cases = [
        _Case((rng.normal(-140.0, 20.0, (4, 10)),), "log-likelihoods of shape (4, 10) near -140"),
        _Case((rng.normal(-150.0, 5.0, (3, 10)),), "log-likelihoods of shape (3, 10) near -150, close together"),
        _Case((rng.normal(-1500.0, 30.0, (2, 10)),), "log-likelihoods of shape (2, 10) near -1500"),
        _Case((rng.normal(-120.0, 10.0, (5, 4)),), "log-likelihoods of shape (5, 4) near -120, K = 4 labels",
              "wrong for K = 4 labels: subtract log of the number of columns, not log 10"),
    ]
    mistakes = [
        _Mistake(lambda el, e: el.mean(axis=1),
                 "that is the average of the log-likelihoods over the labels, lower (Jensen); average the likelihoods instead: logsumexp over the labels minus log K"),
        _Mistake(lambda el, e: el.max(axis=1), "that is the best label's log-likelihood, above the bound by up to log K; average over the labels: logsumexp minus log K"),
        _Mistake(lambda el, e: e + math.log(el.shape[1]), "off by log K: p(y) = 1/K weighs each label, so subtract log K from the logsumexp"),
        _Mistake(lambda el, e: np.mean(e), "one bound per image, shape (N,): don't average over the images"),
    ]

    def shape_hint(out_shape, ref_shape, args):
        if out_shape == (args[0].shape[1],):
            return "log_liks has shape (N, K), one column per label: reduce over axis 1, for one bound per image"
        return None

    return _check_function("label_free_bound", label_free_bound, solutions.label_free_bound, cases, mistakes, shape_hint,
                           rtol=1e-7, atol=1e-6,
                           nonfinite_hint="not finite for log-likelihoods near -1500: exp(-1500) is 0 in floating point; use a logsumexp (scipy.special.logsumexp)",
                           generic_hint="the bound is logsumexp(log_liks, axis=1) - log(K)")
