"""Checkers for the exercises at the end of notebooks 01-06.

Each checker takes your function, class or number, prints one line and returns a :class:`Result`
(true when the answer is right). The line says one of:

- ``right``: your function matches the reference on seeded test inputs (or, for an estimator,
  is unbiased where that is all the exercise asks), or your number is within the stated
  tolerance of the reference computed from the same model and data;
- ``not done yet``: the exercise still holds its stub (``...``, or a function that returns None);
- ``not right yet``, with a hint where the checker recognises a typical mistake (a flipped sign,
  a mean where a sum belongs, a percentage for a share, a wrong shape, a missing term) and
  otherwise a pointer to what to reread. A hint names the mistake, never the code or the
  computation of the answer; a wrong number is never called too high or too low, and its
  distance from the reference is not shown;
- ``not accepted``: your function calls vaebook's own implementation of the answer;
- ``your function raised``: the exception, in one line, and the input it failed on.

The references are computed here, from vaebook's own code, and never enter your notebook's
namespace; the model answers (and the written answers' model solutions) are in the answer key,
``key/`` in the repository, which the installed package does not include. A stub costs nothing:
a checker computes its reference only once you have given an answer.

The grader (nbgrader, ``./dev.sh grade``) calls :func:`require` after each check: it raises with
the checker's line when the answer is not right, so the same hint reaches the feedback.
"""

from __future__ import annotations

import dataclasses
import dis
import functools
import math
import numbers
import types
import warnings
from statistics import NormalDist

import numpy as np
import keras
from keras import ops
from scipy.special import logsumexp

from vaebook import anomaly, architectures, conditional, estimators, evaluate, latent, losses, model

RIGHT, NOT_DONE, WRONG, RAISED, REFUSED = "right", "not done", "wrong", "raised", "not accepted"


@dataclasses.dataclass(frozen=True)
class Result:
    """What a checker found: ``status`` is one of "right", "not done", "wrong", "raised", "not accepted";
    ``message`` the printed line."""

    exercise: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == RIGHT

    def _ipython_display_(self):
        """Show nothing when a notebook cell ends with the check: the checker has printed its line already."""


_LAST: dict = {}


def _recorded(check):
    """Keep each checker's latest result, for :func:`require`."""

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        result = check(*args, **kwargs)
        _LAST[check.__name__.removeprefix("check_")] = result
        return result

    return wrapper


def require(name: str) -> Result:
    """The grader's test: raise ``AssertionError`` with the checker's line unless the latest check of
    exercise ``name`` (a checker's name without ``check_``) was right."""
    result = _LAST.get(name)
    if result is None:
        raise AssertionError(f"{name}: not checked: run the cell that calls exercises.check_{name}.")
    if not result:
        raise AssertionError(result.message)
    return result


def _report(exercise: str, status: str, text: str) -> Result:
    message = f"{exercise}: {text}"
    print(message)
    return Result(exercise, status, message)


def _one_line(text: str, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


# --- refusing the package's own answer ----------------------------------------------------------


def _functions_of(obj):
    """The plain functions behind a function, a method or a class (its methods and properties)."""
    if isinstance(obj, type):
        found = []
        for klass in obj.__mro__:
            if klass.__module__.startswith(("vaebook", "keras", "builtins")):
                continue
            for value in vars(klass).values():
                if isinstance(value, (staticmethod, classmethod)):
                    value = value.__func__
                if isinstance(value, property):
                    found += [f for f in (value.fget, value.fset) if f is not None]
                elif isinstance(value, types.FunctionType):
                    found.append(value)
        return found
    func = getattr(obj, "__func__", obj)
    return [func] if isinstance(func, types.FunctionType) else []


def _names_used(func) -> set:
    """Every global or attribute name that ``func``'s code (nested functions included) refers to."""
    names, stack = set(), [func.__code__]
    while stack:
        code = stack.pop()
        names.update(code.co_names)
        stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        names.update(i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_ATTR", "LOAD_METHOD"))
    return {n for n in names if isinstance(n, str)}


def package_answer_used(answer, forbidden) -> str | None:
    """The dotted name of the first vaebook function in ``forbidden`` that ``answer`` (a function or a
    class) calls, read from its bytecode, else None. Names bound to the function itself, to a module
    that holds it (``latent.share_within``) and values captured in closures all count."""
    for func in _functions_of(answer):
        names = _names_used(func)
        values = [func.__globals__.get(n) for n in names]
        values += [cell.cell_contents for cell in (func.__closure__ or ()) if _filled(cell)]
        for target in forbidden:
            for value in values:
                holds = isinstance(value, types.ModuleType) and target.__module__.startswith(value.__name__) and target.__name__ in names
                if value is target or holds:
                    return f"{target.__module__}.{target.__name__}"
    return None


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _refused(exercise, answer, forbidden) -> Result | None:
    used = package_answer_used(answer, forbidden)
    if used is None:
        return None
    return _report(exercise, REFUSED, f"not accepted: your answer calls {used}, vaebook's own implementation of it; write it yourself.")


def _early(exercise, answer, forbidden=(), what="write the function") -> Result | None:
    """The result for a stub, or for an answer that calls vaebook's own implementation; None for any other answer.
    (A Result that is not right is false: test the returned value with ``is not None``.)"""
    result = _stub(exercise, answer, what)
    return _refused(exercise, answer, forbidden) if result is None else result


def _stub(exercise, answer, what="write the function") -> Result | None:
    if answer is None or answer is Ellipsis:
        return _report(exercise, NOT_DONE, f"not done yet: {what} and run the cell again.")
    if not callable(answer):
        return _report(exercise, WRONG, f"not right yet: pass your function itself (its name, no brackets), not a {type(answer).__name__}.")
    return None


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


def _quiet():
    """A context in which the reader's code runs without NumPy's or Python's warnings reaching stderr."""
    stack = warnings.catch_warnings()

    class _Both:
        def __enter__(self):
            stack.__enter__()
            warnings.simplefilter("ignore")
            self.err = np.seterr(all="ignore")

        def __exit__(self, *exc):
            np.seterr(**self.err)
            return stack.__exit__(*exc)

    return _Both()


def _run(func, args):
    with _quiet():
        return func(*(_copy(a) for a in args))


def _check_function(exercise, func, reference, cases, mistakes=(), shape_hint=None, nonfinite_hint=None,
                    generic_hint="compare each term with the formula in the exercise", rtol=1e-4, atol=1e-5,
                    forbidden=()) -> Result:
    """Run ``func`` and ``reference`` on every case; report the first of: a stub, the package's own answer, an
    exception, right, a known mistake, a wrong shape, a NaN or inf, a wrong answer on one special case, any
    other difference."""
    early = _early(exercise, func, forbidden)
    if early is not None:
        return early
    outputs, expected = [], []
    for case in cases:
        try:
            out = _run(func, case.args)
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
    return _diagnose(exercise, cases, outputs, expected, mistakes, shape_hint, nonfinite_hint, generic_hint, rtol, atol)


def _diagnose(exercise, cases, outputs, expected, mistakes, shape_hint, nonfinite_hint, generic_hint, rtol, atol) -> Result:
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
    once the reader has given a number, so a stub costs nothing. A number that is neither right nor
    a known mistake gets ``generic_hint``: what to reread, never which way the number is off.
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
    return _report(exercise, WRONG, f"not right yet: {value:.4g} is not the reference; {generic_hint}.")


def _check_model(vae, name="model"):
    if not hasattr(getattr(vae, "decoder", None), "inputs"):
        raise TypeError(f"{name} must be a vaebook VAE (from pretrained.load or build_vae), got {type(vae).__name__}.")


def _images_and_labels(x, labels):
    x, labels = np.asarray(x), np.asarray(labels)
    if len(x) != len(labels):
        raise ValueError(f"x has {len(x)} images but labels has {len(labels)}; pass the images and labels of the same digits, "
                         f"e.g. data.x_test and data.y_test.")
    return x, labels


def _rng(seed):
    return np.random.default_rng(seed)


def _codes(vae, x, labels=None):
    from vaebook.codes import encode

    return encode(vae, x, labels)


def _kl_per_image(mean, log_var) -> np.ndarray:
    return ops.convert_to_numpy(losses.gaussian_kl(mean, log_var)).astype(np.float64)


# --- notebook 01 --------------------------------------------------------------------------------


@_recorded
def check_share_within(share_within) -> Result:
    """Exercise 01.1 (code): ``share_within(codes, radius)``, the share of codes (N, d) with sqrt(sum_j z_j^2) <= radius."""
    rng = _rng(101)
    cases = [
        _Case((rng.normal(0.0, 1.0, (300, 2)), 1.5), "300 codes in 2-d, radius 1.5"),
        _Case((rng.normal(0.3, 2.0, (200, 2)), 2.45), "200 codes in 2-d, radius 2.45"),
        _Case((rng.normal(0.0, 0.7, (250, 3)), 0.8), "250 codes in 3-d, radius 0.8"),
    ]
    reference = latent.share_within
    mistakes = [
        _Mistake(lambda c, r, e: 1 - e, "that is the share outside the circle; the exercise asks for the share within it"),
        _Mistake(lambda c, r, e: e * len(c), "that is a count; the exercise asks for a share, a number between 0 and 1"),
        _Mistake(lambda c, r, e: reference(c, math.sqrt(r)),
                 "you compared the squared distance with the radius; reread how the exercise defines the distance from the origin"),
        _Mistake(lambda c, r, e: np.mean(np.all(np.abs(c) <= r, axis=1)),
                 "you tested each coordinate on its own, which makes a square, not a circle; the exercise measures each code's distance from the origin"),
        _Mistake(lambda c, r, e: np.mean(np.linalg.norm(c, axis=0) <= r),
                 "the distance is taken along the wrong axis: each row of codes is one code"),
    ]

    def shape_hint(out_shape, ref_shape, args):
        if out_shape == (len(args[0]),):
            return "your function returns one value per code; the exercise asks for one share of all the codes"
        return None

    return _check_function("share_within", share_within, reference, cases, mistakes, shape_hint, rtol=0, atol=1e-9,
                           forbidden=(latent.share_within, latent.share_in_prior_region))


@_recorded
def check_vae_share_within_one(answer, vae, x) -> Result:
    """Exercise 01.2 (number): the share of the VAE's test codes (encoder means of ``x``) within radius 1; tolerance 0.001."""
    _check_model(vae, "vae")

    def compute():
        reference = latent.share_within(_codes(vae, x)[0], 1.0)
        return reference, [
            (1 - reference, "that is the share outside radius 1; the question asks for the share inside"),
            (1 - math.exp(-0.5), "that is the prior's share, which the exercise gives; the question asks about the VAE's test codes"),
        ]

    return _check_number("share of the VAE's codes within radius 1", answer, compute, 0.001, share=True,
                         generic_hint="check which codes you measured (the VAE's test codes) and the radius the question names")


@_recorded
def check_vae_radius_95(answer, vae, x) -> Result:
    """Exercise 01.3 (number): the radius within which 95% of the VAE's test codes (encoder means of ``x``) lie:
    the 0.95 quantile of their distances from 0 (``np.quantile``'s default); tolerance 0.01."""
    _check_model(vae, "vae")

    def compute():
        distances = np.linalg.norm(_codes(vae, x)[0].astype(np.float64), axis=1)
        reference = float(np.quantile(distances, 0.95))
        return reference, [
            (reference**2, "that looks like a squared radius; the question asks for a distance from the origin"),
            (latent.prior_radius(0.95, 2), "that is the prior's 95% radius, the dashed circle; the question asks about the VAE's test codes"),
            (NormalDist().inv_cdf(0.975), "1.96 holds 95% of one coordinate of the prior; the question asks for the VAE's codes' distances from 0"),
            (float(np.quantile(distances, 0.05)), "that radius holds only 5% of the codes, not 95%"),
            (float(np.quantile(np.abs(_codes(vae, x)[0]), 0.95)), "that is a quantile of the coordinates, not of the codes' distances from the origin"),
        ]

    return _check_number("95% radius of the VAE's codes", answer, compute, 0.01,
                         generic_hint="reread the exercise: which codes, which distance, which quantile")


# --- notebook 02 --------------------------------------------------------------------------------


def _latent_inputs(rng, shape):
    return rng.normal(0.0, 1.5, shape), rng.uniform(-3.0, 2.0, shape)


@_recorded
def check_reparameterize(reparameterize) -> Result:
    """Exercise 02.1 (code): ``reparameterize(mean, log_var, eps)``, z = mean + exp(log_var / 2) * eps, elementwise."""
    rng = _rng(202)
    cases = [
        _Case((*_latent_inputs(rng, (4, 2)), rng.normal(size=(4, 2))), "arrays of shape (4, 2)"),
        _Case((*_latent_inputs(rng, (3, 5)), rng.normal(size=(3, 5))), "arrays of shape (3, 5)"),
    ]

    def reference(mean, log_var, eps):
        return mean + np.exp(0.5 * log_var) * eps

    mistakes = [
        _Mistake(lambda m, lv, eps, e: m + np.exp(lv) * eps,
                 "eps is scaled by the variance where the standard deviation belongs; reread how log_var relates to sigma"),
        _Mistake(lambda m, lv, eps, e: m + lv * eps, "eps is scaled by log_var itself, a log-variance, where the standard deviation belongs"),
        _Mistake(lambda m, lv, eps, e: m + np.exp(-0.5 * lv) * eps, "eps is scaled by 1 / sigma where sigma belongs: check the sign of an exponent"),
        _Mistake(lambda m, lv, eps, e: 2 * m - e,
                 "a sign error: your z has the right distribution, but not the z that the given eps defines; reread section 6's reparameterization"),
        _Mistake(lambda m, lv, eps, e: e - m, "the mean is missing"),
    ]
    return _check_function("reparameterize", reparameterize, reference, cases, mistakes,
                           generic_hint="use the eps you are given (draw no noise of your own), and compare your z with section 6's reparameterization",
                           forbidden=(losses.reparameterize,))


def _kl_diagonal(mq, lvq, mp, lvp):
    """KL(N(mq, diag e^lvq) || N(mp, diag e^lvp)) per row, summed over the last axis."""
    return 0.5 * np.sum(lvp - lvq + (np.exp(lvq) + (mq - mp) ** 2) / np.exp(lvp) - 1.0, axis=-1)


@_recorded
def check_kl_diagonal(kl_diagonal) -> Result:
    """Exercise 02.3 (code): ``kl_diagonal(mean_q, log_var_q, mean_p, log_var_p)``, KL(q || p) for two Gaussians with
    diagonal covariances, one per row, summed over the latent dimensions: shape (N,)."""
    rng = _rng(203)
    shapes = [(5, 2), (4, 3)]
    cases = [_Case((*_latent_inputs(rng, s), *_latent_inputs(rng, s)), f"q and p of shape {s}") for s in shapes]
    cases.append(_Case((*_latent_inputs(rng, (3, 4)), np.zeros((3, 4)), np.zeros((3, 4))), "p = N(0, I), shape (3, 4)"))
    cases.append(_Case((np.ones((2, 3)), np.full((2, 3), -0.5), np.ones((2, 3)), np.full((2, 3), -0.5)),
                       "q = p (the KL must be 0)", "not 0 when q = p, where a KL divergence is 0: check the constant of your derivation"))

    def half_sum(t):
        return 0.5 * np.sum(t, axis=-1)

    mistakes = [
        _Mistake(lambda mq, lvq, mp, lvp, e: -e, "flipped sign: a KL divergence is never negative"),
        _Mistake(lambda mq, lvq, mp, lvp, e: _kl_diagonal(mp, lvp, mq, lvq),
                 "that is KL(p || q): the expectation is under q; check which distribution's parameters go where in your derivation"),
        _Mistake(lambda mq, lvq, mp, lvp, e: 2 * e, "twice the KL: the factor 1/2 is missing"),
        _Mistake(lambda mq, lvq, mp, lvp, e: e / mq.shape[1], "a mean over the latent dimensions where a sum belongs"),
        _Mistake(lambda mq, lvq, mp, lvp, e: e - half_sum((mq - mp) ** 2 / np.exp(lvp)) + half_sum((mq - mp) ** 2),
                 "the mean term: your squared gap between the means is not scaled as in your derivation (which variance belongs there?)"),
        _Mistake(lambda mq, lvq, mp, lvp, e: e - half_sum(lvp - lvq), "the log term of the two variances is missing"),
        _Mistake(lambda mq, lvq, mp, lvp, e: e + half_sum(1 + 0 * mq), "a constant term is missing: your KL is not 0 when q = p"),
        _Mistake(lambda mq, lvq, mp, lvp, e: np.stack([_kl_diagonal(mq[:, [j]], lvq[:, [j]], mp[:, [j]], lvp[:, [j]])
                                                        for j in range(mq.shape[1])], axis=1),
                 "your function returns one value per latent dimension; the exercise asks for one KL per row, shape (N,)"),
        _Mistake(lambda mq, lvq, mp, lvp, e: np.sum(e), "one KL per row, shape (N,): your function combines the rows too"),
    ]
    return _check_function("kl_diagonal", kl_diagonal, _kl_diagonal, cases, mistakes,
                           generic_hint="compare each term with your derivation of exercise 2",
                           forbidden=(losses.gaussian_kl, losses.gaussian_kl_monte_carlo))


@functools.lru_cache(maxsize=2)
def _ppca(n_train: int):
    from vaebook.data import load_mnist
    from vaebook.linear_gaussian import fit_ppca

    return fit_ppca(load_mnist(verbose=False).x_train[:n_train], latent_dim=2, seed=0)


@_recorded
def check_mean_kl_to_prior(answer, x) -> Result:
    """Exercise 02.3b (number): the PPCA encoder's KL(q(z|x) || p(z)) averaged over the images ``x``, for the PPCA
    ``fit_ppca(data.x_train, latent_dim=2, seed=0)``; tolerance 0.01 nats."""

    def compute():
        reference = float(np.mean(_kl_per_image(*_codes(_ppca(4000), x))))
        return reference, [
            (-reference, "flipped sign: a KL divergence is never negative"),
            (reference / 2, "a mean over the latent dimensions where a sum belongs"),
            (reference * len(x), "that is a sum over the images: the question asks for the average per image"),
        ]

    return _check_number("mean KL(q(z|x) || p(z)) of the PPCA encoder", answer, compute, 0.01,
                         generic_hint="check the fit (the exercise names its arguments), the prior you compare with, and the digits you average over")


def _quadratic(target):
    """f(z) = -(z - target)^2 / 2, whose expectation under N(mu, sigma^2) has the gradient target - mu."""
    return lambda z: estimators.quadratic(z, target)[0]


@_recorded
def check_score_function_gradient(score_function_gradient) -> Result:
    """Exercise 02.4 (code): ``score_function_gradient(f, mu, sigma, eps)``, a score-function estimate of
    d/dmu E_{z ~ N(mu, sigma^2)}[f(z)] from the draws z = mu + sigma * eps.

    The plain estimate, the mean of f(z) (z - mu) / sigma^2, is right; so is any other estimate built from values
    of f that is unbiased (a baseline that does not depend on the draw it multiplies, for example): on the
    quadratic f with a known gradient, at sigma = 1.5, 4,000 estimates from 5 draws each must average to it within
    4 standard errors."""
    exercise = "score_function_gradient"
    early = _early(exercise, score_function_gradient, (estimators.score_function_terms, estimators.gradient_samples, estimators.compare_estimators))
    if early is not None:
        return early
    rng = _rng(204)
    cases = [
        _Case((_quadratic(2.0), 0.5, 1.5, rng.normal(size=2000)), "f(z) = -(z - 2)^2 / 2, mu = 0.5, sigma = 1.5, 2,000 draws"),
        _Case((np.sin, -1.0, 0.5, rng.normal(size=500)), "f = sin, mu = -1, sigma = 0.5, 500 draws"),
        _Case((np.exp, 0.2, 2.0, rng.normal(size=1000)), "f = exp, mu = 0.2, sigma = 2, 1,000 draws"),
    ]

    def plain(f, mu, sigma, eps):
        z = mu + sigma * eps
        return float(np.mean(estimators.score_function_terms(f(z), z, mu, sigma)))

    outputs = []
    for case in cases:
        try:
            out = _run(score_function_gradient, case.args)
        except Exception as err:
            return _report(exercise, RAISED, f"your function raised {type(err).__name__}: {_one_line(err)} (on {case.about}).")
        if out is None:
            return _report(exercise, NOT_DONE, "not done yet: your function returns None; write its body, `return` the result and run the cell again.")
        try:
            outputs.append(_as_array(out))
        except (TypeError, ValueError):
            return _report(exercise, WRONG, f"not right yet: your function returns a {type(out).__name__}; return one number.")
    expected = [_as_array(plain(*c.args)) for c in cases]
    if all(_close(o, e, 1e-4, 1e-5) for o, e in zip(outputs, expected)):
        return _report(exercise, RIGHT, f"right: your function matches the plain score-function estimate on all {len(cases)} test inputs.")
    if all(o.shape == () and np.isfinite(o) for o in outputs):
        verdict = _unbiased(score_function_gradient)
        if isinstance(verdict, Result):
            return verdict
        mean, stderr, exact, draws = verdict
        if abs(mean - exact) <= 4 * stderr:
            return _report(exercise, RIGHT, f"right: not the plain estimate, but unbiased: 4,000 of your estimates average {mean:.3f} +- {stderr:.3f} where the gradient is {exact:g}.")
        if abs(mean - exact * (1 - 1 / draws)) <= 4 * stderr:
            return _report(exercise, WRONG, "not right yet: biased by a factor 1 - 1/n: your baseline depends on the draw it multiplies; "
                                            "reread your derivation of (a): what may a baseline depend on?")

    def terms(f, mu, sigma, eps):
        z = mu + sigma * eps
        return estimators.score_function_terms(f(z), z, mu, sigma)

    mistakes = [
        _Mistake(lambda f, mu, s, eps, e: -e, "flipped sign: check the sign of your score, d/dmu log q(z)"),
        _Mistake(lambda f, mu, s, eps, e: e * s, "the score's scale: you divided by sigma, not by the variance; check your derivation of the score"),
        _Mistake(lambda f, mu, s, eps, e: e * s**2, "the score is not divided by the variance; check your derivation of the score"),
        _Mistake(lambda f, mu, s, eps, e: e * len(eps), "a sum over the draws where a mean belongs"),
        _Mistake(lambda f, mu, s, eps, e: terms(f, mu, s, eps), "your function returns one estimate per draw; the exercise asks for one number"),
    ]
    return _diagnose(exercise, cases, outputs, expected, mistakes, None, None,
                     "compare your estimate with your derivation of (a) (the score-function estimate uses values of f, never its slope)",
                     1e-4, 1e-5)


def _unbiased(func, repeats: int = 4000, draws: int = 5):
    """Mean and standard error of ``repeats`` estimates of ``func`` from ``draws`` draws each, on f(z) = -(z - 2)^2 / 2
    at mu = 0.5, sigma = 1.5 (gradient 1.5, for every sigma); or a Result if the function fails."""
    eps = _rng(205).standard_normal((repeats, draws))
    f = _quadratic(2.0)
    try:
        with _quiet():
            estimates = np.array([float(np.asarray(func(f, 0.5, 1.5, e.copy()))) for e in eps])
    except Exception as err:
        return _report("score_function_gradient", RAISED, f"your function raised {type(err).__name__}: {_one_line(err)} (on 5 draws at a time).")
    if not np.all(np.isfinite(estimates)):
        return _report("score_function_gradient", WRONG, "not right yet: your function returns NaN or inf on 5 draws at a time.")
    return float(estimates.mean()), float(estimates.std(ddof=1) / math.sqrt(repeats)), estimators.exact_gradient(0.5, 2.0), draws


# --- notebook 03 --------------------------------------------------------------------------------


def _model_like(obj) -> bool:
    return hasattr(obj, "inputs") and hasattr(obj, "outputs") and callable(obj)


def _shape(t):
    return tuple(None if d is None else int(d) for d in t.shape)


def _mlp_weights(latent_dim, hidden, extra_in=0):
    encoder = (784 + extra_in) * hidden + hidden + 2 * (hidden * latent_dim + latent_dim)
    decoder = (latent_dim + extra_in) * hidden + hidden + hidden * 784 + 784
    return encoder, decoder


def _build_networks(exercise, builders, args):
    """Call each builder on ``args``; a Result when one is a stub, raises, returns None or no Keras model."""
    nets = []
    for build, name in builders:
        early = _stub(exercise, build, f"write {name}")
        if early is not None:
            return early
        try:
            with _quiet():
                net = build(*args)
        except Exception as err:
            return _report(exercise, RAISED, f"your {name} raised {type(err).__name__}: {_one_line(err)} (on arguments {args}).")
        if net is None:
            return _report(exercise, NOT_DONE, f"not done yet: your {name} returns None; `return keras.Model(inputs, outputs)` and run the cell again.")
        if not _model_like(net):
            return _report(exercise, WRONG, f"not right yet: your {name} returns a {type(net).__name__}; return a keras.Model.")
        nets.append(net)
    return nets


def _unconstrained_outputs(exercise, encoder, decoder, encoder_input, decoder_input) -> Result | None:
    with _quiet():
        mean, log_var = (ops.convert_to_numpy(t) for t in encoder(encoder_input))
        logits = ops.convert_to_numpy(decoder(decoder_input))
    if np.all(log_var >= 0) or np.all(log_var <= 0):
        return _report(exercise, WRONG, "not right yet: the log-variance head gives only one sign, but a log-variance can be any real number (reread the page's encoder)")
    if np.all(mean >= 0):
        return _report(exercise, WRONG, "not right yet: the mean head gives no negative values, but a mean can be any real number")
    if np.all((logits >= 0) & (logits <= 1)):
        return _report(exercise, WRONG, "not right yet: the decoder's outputs all lie in [0, 1], like probabilities, where the loss expects logits (reread the page's \"Why logits\")")
    return None


@_recorded
def check_mlp_networks(build_mlp_encoder, build_mlp_decoder) -> Result:
    """Exercise 03.1 (code): ``build_mlp_encoder(latent_dim, hidden)`` (28x28x1 images -> Flatten -> Dense(hidden, relu)
    -> two heads Dense(latent_dim): mean and log-variance) and ``build_mlp_decoder(latent_dim, hidden)`` (z ->
    Dense(hidden, relu) -> Dense(784) logits -> 28x28x1)."""
    exercise = "MLP encoder and decoder"
    builders = [(build_mlp_encoder, "build_mlp_encoder"), (build_mlp_decoder, "build_mlp_decoder")]
    for build, _ in builders:
        early = _early(exercise, build, (architectures.build_mlp_encoder, architectures.build_mlp_decoder,
                                                                       architectures.build_vae, model.build_conv_encoder, model.build_conv_decoder))
        if early is not None:
            return early
    latent_dim, hidden = 3, 32
    nets = _build_networks(exercise, builders, (latent_dim, hidden))
    if isinstance(nets, Result):
        return nets
    encoder, decoder = nets
    if len(encoder.inputs) != 1 or _shape(encoder.inputs[0])[1:] != (28, 28, 1):
        return _report(exercise, WRONG, "not right yet: the encoder takes one input, the images, of shape (28, 28, 1)")
    if len(encoder.outputs) != 2 or any(_shape(t)[1:] != (latent_dim,) for t in encoder.outputs):
        return _report(exercise, WRONG, f"not right yet: the encoder must output two tensors, mean and log-variance, each of shape (N, latent_dim); "
                                        f"for latent_dim={latent_dim} it gives {[_shape(t) for t in encoder.outputs]}")
    if len(decoder.inputs) != 1 or _shape(decoder.inputs[0])[1:] != (latent_dim,):
        return _report(exercise, WRONG, "not right yet: the decoder takes one input, the code, of shape (latent_dim,)")
    if len(decoder.outputs) != 1 or _shape(decoder.outputs[0])[1:] != (28, 28, 1):
        return _report(exercise, WRONG, f"not right yet: the decoder must output logits of shape (N, 28, 28, 1), the image's shape; "
                                        f"it gives {[_shape(t) for t in decoder.outputs]}")
    want = _mlp_weights(latent_dim, hidden)
    got = (encoder.count_params(), decoder.count_params())
    if got != want:
        return _report(exercise, WRONG, f"not right yet: for latent_dim={latent_dim}, hidden={hidden} your networks have {got[0]:,} and {got[1]:,} weights, "
                                        f"where one hidden Dense(hidden) layer each gives {want[0]:,} and {want[1]:,}")
    # The heads' signs are read on networks of 16 latent dimensions with fixed weights: on Keras' random initial weights
    # the 3 dimensions of a right answer gave one sign on all 8 images about once in 60 runs.
    wide = _build_networks(exercise, builders, (16, hidden))
    if isinstance(wide, Result):
        return wide
    for i, net in enumerate(wide):
        _fixed_weights(net, 311 + i)
    rng = _rng(301)
    early = _unconstrained_outputs(exercise, *wide, rng.uniform(size=(8, 28, 28, 1)).astype("float32"),
                                   rng.normal(size=(8, 16)).astype("float32"))
    if early is not None:
        return early
    return _report(exercise, RIGHT, "right: shapes, weight counts and unconstrained outputs (mean, log-variance, logits) as asked.")


class _FixedSampling:
    """Stands in for a model's sampling layer: z = mean + exp(log_var / 2) * eps with a fixed eps, so that the
    model's loss becomes a deterministic function of its weights and inputs."""

    def __init__(self, eps):
        self.eps = np.asarray(eps, np.float32)

    def __call__(self, mean, log_var):
        return mean + ops.exp(0.5 * log_var) * self.eps


def _with_sampling(vae, sampling):
    """Set ``vae.sampling`` past Keras' tracking of sub-layers (a built model takes no new ones); return the old one."""
    old = vae.sampling
    object.__setattr__(vae, "sampling", sampling)
    return old


def _fixed_weights(net, seed, scale=0.3):
    rng = _rng(seed)
    net.set_weights([rng.normal(0.0, scale, w.shape).astype("float32") for w in net.get_weights()])


def _same_loss(value, expected) -> bool:
    """Equal up to float32 rounding of a sum over 784 pixels (0.01 nats), far below any mistake's difference."""
    return abs(value - expected) <= 0.01 + 1e-6 * abs(expected)


def _spread_kl_weights(encoder, seed):
    """Weights for an MLP encoder of 4 latent dimensions (from :func:`vaebook.architectures.build_mlp_encoder`) under
    which, on uniform random images, the batch-average KL of the dimensions is about 0.04, 0.9, 4.5 and 5 nats, and
    each image's KL in the last three straddles 0.6: every way of clamping the KL at 0.6 gives another loss."""
    w = [_rng(seed).normal(0.0, 1.0, v.shape).astype("float32") for v in encoder.get_weights()]
    w[0], w[1] = 0.05 * w[0], 0.0 * w[1]
    w[2], w[3] = w[2] * np.array([0.1, 0.5, 1.0, 2.5], "float32"), 0.0 * w[3]
    w[4], w[5] = 0.1 * w[4], np.full(w[5].shape, -0.5, "float32")
    encoder.set_weights(w)


def _numpy_loss(x, logits, mean, log_var, weight, clamp=None):
    """The reference loss: mean over the batch of -log p(x|z) summed over pixels, plus weight * KL, where the KL
    term is sum_j max(clamp, batch mean of KL_j) with free bits, else the batch mean of sum_j KL_j."""
    x, logits = (np.asarray(t, np.float64).reshape(len(x), -1) for t in (x, logits))
    reconstruction = np.mean(np.sum(np.logaddexp(0, logits) - x * logits, axis=1))
    kl = 0.5 * (mean.astype(np.float64) ** 2 + np.expm1(log_var.astype(np.float64)) - log_var)
    kl_term = np.sum(kl.mean(axis=0)) if clamp is None else np.sum(np.maximum(clamp, kl.mean(axis=0)))
    return reconstruction + weight * kl_term, reconstruction, kl


def _digits(n, labels=False):
    from vaebook.data import load_mnist

    data = load_mnist(verbose=False)
    return (data.x_train[:n], data.y_train[:n]) if labels else data.x_train[:n]


def _loss_value(vae, inputs, training):
    """The model's loss on ``inputs`` as a float (None when its compute_loss returns None)."""
    with _quiet():
        loss = vae.compute_loss(inputs, y_pred=vae(inputs), training=training)
    return None if loss is None else float(ops.convert_to_numpy(loss))


def _lowered_by_training(vae, inputs, fixed, epochs=2) -> tuple:
    """The evaluation loss on a fixed batch (fixed eps) before and after ``epochs`` of Adam on 512 digits."""
    real = _with_sampling(vae, fixed)
    before = _loss_value(vae, inputs, training=False)
    _with_sampling(vae, real)
    train = _digits(512, labels=isinstance(inputs, tuple))
    with _quiet():
        vae.compile(optimizer=keras.optimizers.Adam(1e-3))
        vae.fit(train, epochs=epochs, batch_size=64, verbose=0, shuffle=False)
    _with_sampling(vae, fixed)
    after = _loss_value(vae, inputs, training=False)
    _with_sampling(vae, real)
    return before, after


def _returns_nothing(func) -> bool:
    """True when ``func``'s source has no ``return`` with a value (a stub such as ``...``), read with ``ast``."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return False
    return not any(isinstance(node, ast.Return) and node.value is not None for node in ast.walk(tree))


@_recorded
def check_free_bits_vae(FreeBitsVAE) -> Result:
    """Exercise 03.2 (code): ``FreeBitsVAE(VAE)``, whose ``compute_loss`` charges each latent dimension at least
    ``free_bits`` nats: loss = mean over the batch of -log p(x|z) + w * sum_j max(free_bits, batch mean of KL_j),
    with w = kl_weight in training and beta in evaluation. Checked on fixed weights, inputs and eps against the
    reference, then trained for 2 epochs on 512 digits: the loss must fall."""
    exercise = "FreeBitsVAE"
    if FreeBitsVAE is None or FreeBitsVAE is Ellipsis:
        return _report(exercise, NOT_DONE, "not done yet: write the class and run the cell again.")
    # The page's VAE or the package's copy of it: the same code, two class objects.
    if not (isinstance(FreeBitsVAE, type) and issubclass(FreeBitsVAE, keras.Model) and hasattr(FreeBitsVAE, "log_likelihood")):
        return _report(exercise, WRONG, "not right yet: pass your class itself (FreeBitsVAE, a subclass of VAE).")
    own = vars(FreeBitsVAE).get("compute_loss")
    if own is None or _returns_nothing(own):
        return _report(exercise, NOT_DONE, "not done yet: write the body of compute_loss, `return` the loss and run the cell again.")
    latent_dim, hidden, free_bits, beta, weight = 4, 16, 0.6, 1.5, 0.7
    encoder = architectures.build_mlp_encoder(latent_dim, hidden=(hidden,))
    decoder = architectures.build_mlp_decoder(latent_dim, hidden=(hidden,))
    _spread_kl_weights(encoder, 31)
    _fixed_weights(decoder, 32, scale=0.1)
    try:
        with _quiet():
            vae = FreeBitsVAE(encoder, decoder, free_bits=free_bits, beta=beta, seed=0)
    except Exception as err:
        return _report(exercise, RAISED, f"your class raised {type(err).__name__}: {_one_line(err)} (on FreeBitsVAE(encoder, decoder, free_bits={free_bits}, beta={beta}, seed=0)).")
    rng = _rng(303)
    x = rng.uniform(size=(16, 28, 28, 1)).astype("float32")
    eps = rng.normal(size=(16, latent_dim)).astype("float32")
    fixed = _FixedSampling(eps)
    real = _with_sampling(vae, fixed)
    vae.kl_weight.assign(weight)
    losses_seen = {}
    for training in (True, False):
        try:
            value = _loss_value(vae, x, training)
        except Exception as err:
            return _report(exercise, RAISED, f"your compute_loss raised {type(err).__name__}: {_one_line(err)} (training={training}).")
        if value is None or not np.isfinite(value):
            return _report(exercise, WRONG if value is not None else NOT_DONE,
                           "not done yet: your compute_loss returns None; return the loss" if value is None else "not right yet: your loss is NaN or inf")
        losses_seen[training] = value
    _with_sampling(vae, real)
    with _quiet():
        mean, log_var = (ops.convert_to_numpy(t) for t in encoder(x))
        logits = ops.convert_to_numpy(decoder(mean + np.exp(0.5 * log_var) * eps))
    expected = {t: _numpy_loss(x, logits, mean, log_var, weight if t else beta, free_bits)[0] for t in (True, False)}
    if all(_same_loss(losses_seen[t], expected[t]) for t in (True, False)):
        try:
            before, after = _lowered_by_training(vae, x, fixed)
        except Exception as err:
            return _report(exercise, RAISED, f"training your model for 2 epochs raised {type(err).__name__}: {_one_line(err)}")
        if not after < before:
            return _report(exercise, WRONG, f"not right yet: the loss matches on fixed weights, but 2 epochs of training did not lower it ({before:.1f} -> {after:.1f} nats)")
        return _report(exercise, RIGHT, f"right: your loss matches the reference on fixed weights and inputs (training and evaluation), "
                                        f"and 2 epochs on 512 digits lowered it from {before:.1f} to {after:.1f} nats.")
    _, reconstruction, kl = _numpy_loss(x, logits, mean, log_var, 1.0, free_bits)
    kl_bar = kl.mean(axis=0)

    def with_kl(term, training=True):
        return reconstruction + (weight if training else beta) * term

    candidates = [
        (lambda t: with_kl(kl_bar.sum(), t), "that is the VAE's loss without free bits: nothing is clamped at free_bits"),
        (lambda t: with_kl(np.mean(np.sum(np.maximum(free_bits, kl), axis=1)), t),
         "you clamped each image's KL per dimension; reread where the batch average sits in the exercise's formula"),
        (lambda t: with_kl(np.sum(np.minimum(free_bits, kl_bar)), t), "a min where the formula has a max: a dimension is charged at least free_bits nats"),
        (lambda t: with_kl(np.mean(np.maximum(free_bits, kl_bar)), t), "a mean over the latent dimensions where a sum belongs"),
        (lambda t: with_kl(np.sum(np.maximum(free_bits, kl_bar))) if t else with_kl(np.sum(np.maximum(free_bits, kl_bar)), True),
         "in evaluation (training=False) the KL term has the wrong weight; reread which weight the exercise gives it there"),
        (lambda t: reconstruction + (beta if t else beta) * np.sum(np.maximum(free_bits, kl_bar)),
         "in training the KL term has the wrong weight; reread which weight the exercise gives it there (the warm-up sets it)"),
        (lambda t: reconstruction + np.sum(np.maximum(free_bits, kl_bar)), "the KL term needs its weight, w in the exercise's formula"),
        (lambda t: reconstruction / 784 + (weight if t else beta) * np.sum(np.maximum(free_bits, kl_bar)),
         "a mean over the pixels where a sum belongs (reread the page's \"sums first, batch mean last\")"),
        (lambda t: -reconstruction + (weight if t else beta) * np.sum(np.maximum(free_bits, kl_bar)),
         "a sign error in the reconstruction term"),
    ]
    for predicted, hint in candidates:
        if all(_same_loss(losses_seen[t], predicted(t)) for t in (True, False)):
            return _report(exercise, WRONG, f"not right yet: {hint}.")
    return _report(exercise, WRONG, f"not right yet: your loss ({losses_seen[True]:.2f} in training, {losses_seen[False]:.2f} in evaluation) "
                                    f"differs from the reference on the same weights, inputs and noise; compare each term with the exercise's formula")


# --- notebook 04 --------------------------------------------------------------------------------


@_recorded
def check_log_prior_density(log_prior_density) -> Result:
    """Exercise 04.1 (code): ``log_prior_density(z)``, log N(z; 0, I) of each code (row) of z, shape (N,)."""
    rng = _rng(401)
    cases = [
        _Case((rng.normal(size=(6, 2)),), "6 codes in 2-d"),
        _Case((rng.normal(0.0, 2.0, (4, 50)),), "4 codes in 50-d"),
        _Case((np.zeros((1, 3)),), "the origin in 3-d", "wrong at the origin, where only the normalizing constant remains: check it"),
    ]

    def reference(z):
        return -0.5 * np.sum(z**2 + math.log(2 * math.pi), axis=-1)

    mistakes = [
        _Mistake(lambda z, e: e + 0.5 * z.shape[1] * math.log(2 * math.pi), "the normalizing constant is missing"),
        _Mistake(lambda z, e: e + 0.5 * (z.shape[1] - 1) * math.log(2 * math.pi),
                 "the normalizing constant is counted once, where each dimension brings its own"),
        _Mistake(lambda z, e: np.exp(e), "that is the density; the exercise asks for its log"),
        _Mistake(lambda z, e: 2 * e, "the factor 1/2 is missing"),
        _Mistake(lambda z, e: -e, "flipped sign: a log-density of a Gaussian falls away from its mean"),
        _Mistake(lambda z, e: -0.5 * (z**2 + math.log(2 * math.pi)), "one value per code, shape (N,): your function returns one per coordinate"),
    ]
    return _check_function("log_prior_density", log_prior_density, reference, cases, mistakes,
                           generic_hint="compare each term with the log of the standard normal density",
                           forbidden=(losses.gaussian_log_density,))


def _slerp(a, b, steps):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    omega = np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0))
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


@_recorded
def check_slerp(slerp) -> Result:
    """Exercise 04.2 (code): ``slerp(z_start, z_end, steps)``, spherical interpolation: ``steps`` codes with t evenly
    spaced from 0 to 1, [sin((1 - t) Omega) z_start + sin(t Omega) z_end] / sin(Omega), Omega the angle between
    the two codes; shape (steps, latent_dim)."""
    rng = _rng(402)
    cases = [
        _Case((rng.normal(size=2), rng.normal(size=2), 10), "two 2-d codes, steps=10"),
        _Case((rng.normal(size=50), rng.normal(size=50), 5), "two 50-d codes, steps=5"),
        _Case((np.array([3.0, 0.0]), np.array([0.0, 1.0]), 3), "z_start = (3, 0), z_end = (0, 1), steps=3",
              "wrong for codes of different lengths: check how you compute the angle Omega (the exercise gives its cosine)"),
    ]
    mistakes = [
        _Mistake(lambda a, b, s, e: latent.interpolate(a, b, s), "that is the straight line; slerp follows the arc of the exercise's formula"),
        _Mistake(lambda a, b, s, e: e[::-1], "the path runs backwards: the first code must be z_start and the last z_end"),
        _Mistake(lambda a, b, s, e: e.T, "one code per row: return shape (steps, latent_dim), not (latent_dim, steps)"),
        _Mistake(lambda a, b, s, e: _slerp(a, b, s + 1)[:-1], "the last code must be z_end: include both ends"),
    ]
    return _check_function("slerp", slerp, _slerp, cases, mistakes, rtol=1e-4, atol=1e-6,
                           nonfinite_hint="NaN: the arccos of a number outside [-1, 1]; check your cosine of Omega against the exercise's (rounding alone can push it just past 1)",
                           generic_hint="compare your Omega, your values of t and your two weights with the exercise's formula",
                           forbidden=(latent.interpolate,))


@_recorded
def check_active_units(answer, vae, x) -> Result:
    """Exercise 04.3 (number): how many latent dimensions of ``vae`` are active on the images ``x``: the variance,
    over the images, of the encoder mean of the dimension exceeds 0.01 (Burda et al. 2015); exact."""
    _check_model(vae, "vae")

    def compute():
        means, log_vars = _codes(vae, x)
        variance = means.astype(np.float64).var(axis=0)
        reference = int(np.sum(variance > 0.01))
        d = means.shape[1]
        return reference, [
            (d - reference, "that counts the inactive dimensions"),
            (int(np.sum(np.sqrt(variance) > 0.01)), "that compares a standard deviation with 0.01, where the definition uses a variance"),
            (int(np.sum(np.exp(log_vars).mean(axis=0) < 0.99)), "that looks at the encoder's variance; the definition is about how the encoder *mean* varies across the images"),
            (d, f"that is the latent size, {d}; the question asks how many of them are active"),
        ]

    return _check_number("active latent dimensions", answer, compute, 0.5,
                         generic_hint="reread the definition in the exercise: which statistic, over which images, against which threshold")


# --- notebook 05 --------------------------------------------------------------------------------


@_recorded
def check_ink_auc(answer, x, labels) -> Result:
    """Exercise 05.1 (number): the ROC AUC, for "is a 7", of the score "total ink" (the sum of each image's
    pixel values) on images ``x`` with ``labels``; tolerance 0.005."""
    x, labels = _images_and_labels(x, labels)

    def compute():
        reference = anomaly.roc_auc(labels == 7, x.reshape(len(x), -1).astype(np.float64).sum(axis=1))
        return reference, [(1 - reference, "that is the AUC of minus the ink: your score runs the wrong way")]

    return _check_number("AUC of the ink score", answer, compute, 0.005, share=True,
                         generic_hint="check what your score measures for each image (the exercise defines it) and which digits count as positives")


@_recorded
def check_importance_weighted_bound(importance_weighted_bound) -> Result:
    """Exercise 05.2 (code): ``importance_weighted_bound(log_w)`` for log weights of shape (k, N):
    logsumexp over the k samples minus log k, one bound per image, shape (N,)."""
    rng = _rng(501)
    cases = [
        _Case((rng.normal(-95.0, 3.0, (10, 4)),), "log weights of shape (10, 4) near -95"),
        _Case((rng.normal(-110.0, 8.0, (500, 3)),), "log weights of shape (500, 3) near -110"),
        _Case((rng.normal(-1200.0, 5.0, (20, 2)),), "log weights of shape (20, 2) near -1200"),
    ]

    def reference(log_w):
        return logsumexp(log_w, axis=0) - math.log(log_w.shape[0])

    mistakes = [
        _Mistake(lambda lw, e: lw.mean(axis=0),
                 "that is the average of the k single-sample ELBOs; the bound averages the weights, not their logs"),
        _Mistake(lambda lw, e: e + math.log(len(lw)), "off by log(k): the bound averages the k weights, where your function adds them up"),
        _Mistake(lambda lw, e: np.mean(e), "one bound per image, shape (N,): your function averages over the images too"),
    ]

    def shape_hint(out_shape, ref_shape, args):
        if out_shape == (args[0].shape[0],):
            return "log_w has shape (k, N), one row per sample: your function reduces over the images instead of the samples"
        return None

    return _check_function("importance_weighted_bound", importance_weighted_bound, reference, cases, mistakes, shape_hint, rtol=1e-7, atol=1e-6,
                           nonfinite_hint="not finite for log weights near -1200: e^-1200 is 0 in floating point; find a way to average the weights that never takes the log of 0",
                           generic_hint="compare with the estimate of section 4",
                           forbidden=(conditional.label_free_bound, evaluate.importance_log_likelihood))


@_recorded
def check_rate_auc(answer, vae, x, labels) -> Result:
    """Exercise 05.3 (number): the ROC AUC, for "is a 7", of the rate score R(x) = KL(q(z|x) || p(z)) under ``vae``
    on images ``x`` with ``labels``; tolerance 0.005."""
    _check_model(vae, "vae")
    x, labels = _images_and_labels(x, labels)

    def compute():
        mean, log_var = _codes(vae, x)
        is_seven = labels == 7
        reference = anomaly.roc_auc(is_seven, _kl_per_image(mean, log_var))
        with _quiet():
            distortion = -np.concatenate([ops.convert_to_numpy(vae.log_likelihood(x[i:i + 500], ops.convert_to_tensor(mean[i:i + 500])))
                                          for i in range(0, len(x), 500)])
        return reference, [
            (1 - reference, "that ranks the images with the smallest rate first: your score runs the wrong way"),
            (anomaly.roc_auc(is_seven, distortion), "that is the AUC of the distortion (the reconstruction term); the question asks for the rate, the KL term"),
        ]

    return _check_number("AUC of the rate score", answer, compute, 0.005, share=True,
                         generic_hint="check that your score is each test image's rate as the exercise defines it, under no_sevens, and which digits count as positives")


# --- notebook 06 --------------------------------------------------------------------------------


@_recorded
def check_conditional_mlp(build_conditional_mlp_encoder, build_conditional_mlp_decoder) -> Result:
    """Exercise 06.2 (code): the MLP networks of a conditional VAE, ``build_conditional_mlp_encoder(latent_dim,
    num_classes, hidden)`` (inputs [image, one-hot label]; the label joined to the flattened image before the
    hidden layer) and ``build_conditional_mlp_decoder(latent_dim, num_classes, hidden)`` (inputs [z, label]; the
    label joined to z). Checked in notebook 06's ``ConditionalVAE``: shapes, weights, that both networks use the
    label, the loss on fixed weights, inputs and eps against the reference, and 2 epochs of training."""
    exercise = "conditional MLP networks"
    builders = [(build_conditional_mlp_encoder, "build_conditional_mlp_encoder"), (build_conditional_mlp_decoder, "build_conditional_mlp_decoder")]
    for build, _ in builders:
        early = _early(exercise, build, (conditional.build_conditional_encoder, conditional.build_conditional_decoder,
                                                                       architectures.build_mlp_encoder, architectures.build_mlp_decoder,
                                                                       architectures.build_vae))
        if early is not None:
            return early
    latent_dim, classes, hidden = 3, 4, 16
    nets = _build_networks(exercise, builders, (latent_dim, classes, hidden))
    if isinstance(nets, Result):
        return nets
    encoder, decoder = nets
    in_shapes = [[_shape(t)[1:] for t in net.inputs] for net in (encoder, decoder)]
    if in_shapes[0] != [(28, 28, 1), (classes,)]:
        return _report(exercise, WRONG, f"not right yet: the encoder takes [image, label] in that order, shapes (28, 28, 1) and (num_classes,); "
                                        f"yours takes {in_shapes[0]} for num_classes={classes}")
    if in_shapes[1] != [(latent_dim,), (classes,)]:
        return _report(exercise, WRONG, f"not right yet: the decoder takes [z, label] in that order, shapes (latent_dim,) and (num_classes,); "
                                        f"yours takes {in_shapes[1]} for latent_dim={latent_dim}, num_classes={classes}")
    if len(encoder.outputs) != 2 or any(_shape(t)[1:] != (latent_dim,) for t in encoder.outputs):
        return _report(exercise, WRONG, "not right yet: the encoder must output two tensors, mean and log-variance, each of shape (N, latent_dim)")
    if len(decoder.outputs) != 1 or _shape(decoder.outputs[0])[1:] != (28, 28, 1):
        return _report(exercise, WRONG, "not right yet: the decoder must output logits of shape (N, 28, 28, 1)")
    want = _mlp_weights(latent_dim, hidden, classes)
    got = (encoder.count_params(), decoder.count_params())
    if got != want:
        return _report(exercise, WRONG, f"not right yet: your networks have {got[0]:,} and {got[1]:,} weights, where joining the label to the flattened "
                                        f"image (encoder) and to z (decoder), before one hidden Dense(hidden) layer, gives {want[0]:,} and {want[1]:,}")
    _fixed_weights(encoder, 61)
    _fixed_weights(decoder, 62)
    rng = _rng(601)
    x = rng.uniform(size=(16, 28, 28, 1)).astype("float32")
    y = rng.integers(0, classes, 16)
    onehot, other = np.eye(classes, dtype="float32")[y], np.eye(classes, dtype="float32")[(y + 1) % classes]
    eps = rng.normal(size=(16, latent_dim)).astype("float32")
    with _quiet():
        mean, log_var = (ops.convert_to_numpy(t) for t in encoder([x, onehot]))
        shifted = ops.convert_to_numpy(encoder([x, other])[0])
        z = mean + np.exp(0.5 * log_var) * eps
        logits = ops.convert_to_numpy(decoder([z, onehot]))
        logits_other = ops.convert_to_numpy(decoder([z, other]))
    if np.allclose(mean, shifted):
        return _report(exercise, WRONG, "not right yet: the encoder ignores the label")
    if np.allclose(logits, logits_other):
        return _report(exercise, WRONG, "not right yet: the decoder ignores the label")
    early = _unconstrained_outputs(exercise, lambda t: encoder([t, onehot]), lambda t: decoder([t, onehot]), x, eps)
    if early is not None:
        return early
    vae = conditional.ConditionalVAE(encoder, decoder, seed=0)
    fixed = _FixedSampling(eps)
    real = _with_sampling(vae, fixed)
    try:
        value = _loss_value(vae, (x, y), training=False)
    except Exception as err:
        return _report(exercise, RAISED, f"ConditionalVAE with your networks raised {type(err).__name__}: {_one_line(err)}")
    _with_sampling(vae, real)
    expected = _numpy_loss(x, logits, mean, log_var, 1.0)[0]
    if not _same_loss(value, expected):
        return _report(exercise, WRONG, f"not right yet: in ConditionalVAE your networks give the loss {value:.2f}, not the reference's on the same weights, inputs and noise; "
                                        f"compare your networks with the exercise's description")
    try:
        before, after = _lowered_by_training(vae, (x, y), fixed)
    except Exception as err:
        return _report(exercise, RAISED, f"training ConditionalVAE with your networks raised {type(err).__name__}: {_one_line(err)}")
    if not after < before:
        return _report(exercise, WRONG, f"not right yet: 2 epochs of training did not lower the loss ({before:.1f} -> {after:.1f} nats)")
    return _report(exercise, RIGHT, f"right: both networks use the label, the loss matches the reference on fixed weights and inputs, "
                                    f"and 2 epochs on 512 labelled digits lowered it from {before:.1f} to {after:.1f} nats.")


def _label_posterior(log_liks, log_prior):
    scores = np.asarray(log_liks, np.float64) + np.asarray(log_prior, np.float64)
    return np.exp(scores - logsumexp(scores, axis=1, keepdims=True))


@_recorded
def check_label_posterior(label_posterior) -> Result:
    """Exercise 06.3 (code): ``label_posterior(log_liks, log_prior)``, p(y|x) by Bayes' rule from estimates of
    log p(x|y) of shape (N, K) and the prior's log p(y), shape (K,): softmax over the labels of
    log_liks + log_prior, shape (N, K), each row summing to 1."""
    rng = _rng(603)

    def log_prior(k, seed):
        p = _rng(seed).uniform(0.5, 2.0, k)
        return np.log(p / p.sum())

    cases = [
        _Case((rng.normal(-140.0, 3.0, (4, 10)), log_prior(10, 1)), "log-likelihoods of shape (4, 10) near -140, a non-uniform prior"),
        _Case((rng.normal(-1500.0, 2.0, (3, 10)), log_prior(10, 2)), "log-likelihoods of shape (3, 10) near -1500"),
        _Case((rng.normal(-120.0, 1.0, (5, 4)), np.log(np.full(4, 0.25))), "log-likelihoods of shape (5, 4), a uniform prior over K = 4 labels"),
    ]
    mistakes = [
        _Mistake(lambda ll, lp, e: _label_posterior(ll, 0 * lp), "the prior is missing"),
        _Mistake(lambda ll, lp, e: np.log(e), "those are log-probabilities; return the probabilities p(y|x)"),
        _Mistake(lambda ll, lp, e: _label_posterior((ll + lp).T, 0).T if ll.shape[0] > 1 else None,
                 "normalized over the images; each row, one image, must sum to 1"),
        _Mistake(lambda ll, lp, e: _label_posterior(ll, -lp), "a sign error: the prior enters with the wrong sign; reread Bayes' rule"),
    ]

    def shape_hint(out_shape, ref_shape, args):
        if out_shape == (ref_shape[0],):
            return "one probability per label: return the whole distribution, shape (N, K), not the most likely label"
        return None

    return _check_function("label_posterior", label_posterior, _label_posterior, cases, mistakes, shape_hint, rtol=1e-6, atol=1e-9,
                           nonfinite_hint="NaN for log-likelihoods near -1500: e^-1500 is 0 in floating point, and 0 / 0 is NaN; find a way to normalize that never divides 0 by 0",
                           generic_hint="compare with Bayes' rule over the K labels",
                           forbidden=(conditional.label_free_bound, conditional.log_likelihood_under_every_label))


@_recorded
def check_true_label_probability(answer, cvae, x, labels) -> Result:
    """Exercise 06.4 (number): the average, over the binarized images ``x`` (the test digits binarized once with seed 1,
    as in notebook 06's section 6: on grey levels the Bernoulli formula is no normalized density), of the probability
    p(y = the true label | x) that the conditional VAE ``cvae`` gives by Bayes' rule with a uniform p(y), from the
    estimates of log p(x|y) ``log_likelihood_under_every_label(cvae, x, k=5)``; tolerance 0.005."""
    _check_model(cvae, "cvae")
    x, labels = _images_and_labels(x, labels)
    if not np.all((x == 0) | (x == 1)):
        raise ValueError("x holds grey levels; pass the binarized digits the exercise scores (x100, the test digits binarized "
                         "once with seed 1, as in section 6).")

    def compute():
        log_liks = conditional.log_likelihood_under_every_label(cvae, x, k=5)
        posterior = _label_posterior(log_liks, np.zeros(log_liks.shape[1]))
        true = posterior[np.arange(len(x)), labels]
        return float(true.mean()), [
            (float(np.mean(posterior.argmax(axis=1) == labels)), "that is the share of digits whose most probable label is right (an accuracy); "
                                                                  "the question asks for the average probability of the true label"),
            (float(posterior.max(axis=1).mean()), "that averages the largest probability of each row, not the true label's"),
            (float(np.log(true).mean()), "that is an average log-probability, not an average probability"),
        ]

    return _check_number("average p(true label | x)", answer, compute, 0.005, share=True,
                         generic_hint=f"check the scores (the binarized digits, k = 5), the prior (uniform), and which probability you average over the {len(x)} digits")
