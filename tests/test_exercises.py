"""The exercise checkers: the key's answers pass, a stub is "not done yet", a raising answer gets one line,
the typical wrong answers get their hints, an answer that calls vaebook's own implementation is refused,
and ``require`` (the grader's test) fails with the checker's line."""

import re

import jupytext
import keras
import numpy as np
import pytest
import scipy.special
from keras import layers, ops

from key.grade import KEY
from vaebook import exercises, pretrained
from vaebook.anomaly import roc_auc
from vaebook.codes import encode
from vaebook.conditional import log_likelihood_under_every_label
from vaebook.data import binarize
from vaebook.latent import prior_radius
from vaebook.model import VAE


def key_answers() -> dict:
    """Every function and class the key's answer cells define, run from the key itself (imports of its setup
    cells, then each answer cell that defines something): the checkers' right answers, written once, in key/."""
    namespace = {"VAE": VAE}  # notebook 03's class (the key's setup takes the page's, else the package's copy)
    for path in sorted(KEY.glob("[0-9][0-9]_*.py")):
        for cell in jupytext.read(path).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code":
                continue
            if meta.get("grade_id") == "setup":
                exec("\n".join(line for line in cell.source.splitlines() if line.startswith(("import ", "from "))), namespace)
            elif meta.get("solution") and cell.source.lstrip().startswith(("def ", "class ")):
                exec(cell.source, namespace)
    return namespace


KEY_ANSWERS = key_answers()


def one_line(capsys, result):
    out = capsys.readouterr().out
    assert out == result.message + "\n", "a checker prints exactly its one-line message"
    assert "\n" not in result.message and "Traceback" not in out
    return out


def solution_fragments() -> set:
    """The code of the key's answers, in pieces no hint may contain: every call (``np.quantile(``, ``encode(``,
    ``roc_auc(``, ``label_posterior(``), every method call (``.var(``, ``.reshape(``) and every axis argument
    (``axis=0``) in the key's solution regions; calls of a one- or two-letter name (``f(z)``) are mathematics too."""
    fragments = set()
    for path in sorted(KEY.glob("[0-9][0-9]_*.py")):
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", path.read_text(), re.S):
            fragments |= set(re.findall(r"[A-Za-z_][\w.]*\(", region))
            fragments |= set(re.findall(r"\.\w+\(", region))
            fragments |= set(re.findall(r"axis=-?\d", region))
    return {f for f in fragments if not re.fullmatch(r"\.?\w{1,2}\(", f)}


# A hint names the mistake it recognises, never the code or computation of the answer; a wrong number is never
# called too high or too low, and the tolerance is not repeated to a wrong answer.
LEAKS = solution_fragments() | {"too high", "too low", "tolerance"}


def leaks(message) -> list:
    return sorted(fragment for fragment in LEAKS if fragment in message)


def test_the_leak_detector_knows_the_keys_code_and_catches_a_planted_leak():
    assert {"encode(", ".var(", "roc_auc(", "label_posterior(", ".reshape(", "np.quantile(", "axis=0"} <= LEAKS
    planted = "not right yet: 0.3 is too low; score each image by x.reshape(len(x), -1).sum(axis=1) and pass it to roc_auc"
    assert {"too low", ".reshape(", ".sum(", "axis=1"} <= set(leaks(planted))
    assert leaks("not right yet: that is the AUC of minus the ink: your score runs the wrong way.") == []


def sigmoid(l):
    return 1 / (1 + np.exp(-l))


def logsumexp_naive(log_w, axis=0):
    return np.log(np.sum(np.exp(log_w), axis=axis))


# name -> (checker, [(typical wrong answer, words the hint must contain), ...])
CODE = {
    "share_within": (exercises.check_share_within, [
        (lambda codes, radius: np.mean(np.sum(codes**2, axis=1) <= radius), "squared distance"),
        (lambda codes, radius: np.mean(np.all(np.abs(codes) <= radius, axis=1)), "each coordinate on its own"),
        (lambda codes, radius: np.sum(np.linalg.norm(codes, axis=1) <= radius), "that is a count"),
        (lambda codes, radius: np.linalg.norm(codes, axis=1) <= radius, "one value per code"),
        (lambda codes, radius: np.mean(np.linalg.norm(codes, axis=1) > radius), "share outside"),
    ]),
    "reparameterize": (exercises.check_reparameterize, [
        (lambda m, lv, eps: m + np.exp(lv) * eps, "scaled by the variance"),
        (lambda m, lv, eps: m + lv * eps, "scaled by log_var itself"),
        (lambda m, lv, eps: m - np.exp(0.5 * lv) * eps, "a sign error"),
        (lambda m, lv, eps: np.exp(0.5 * lv) * eps, "the mean is missing"),
        (lambda m, lv, eps: m + np.exp(0.5 * lv) * np.random.default_rng(1).normal(size=m.shape), "use the eps you are given"),
    ]),
    "kl_diagonal": (exercises.check_kl_diagonal, [
        (lambda mq, lq, mp, lp: -0.5 * np.sum(lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp) - 1, axis=-1), "flipped sign"),
        (lambda mq, lq, mp, lp: 0.5 * np.sum(lq - lp + (np.exp(lp) + (mq - mp) ** 2) / np.exp(lq) - 1, axis=-1), "that is KL(p || q)"),
        (lambda mq, lq, mp, lp: np.sum(lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp) - 1, axis=-1), "the factor 1/2 is missing"),
        (lambda mq, lq, mp, lp: 0.5 * np.mean(lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp) - 1, axis=-1), "a mean over the latent"),
        (lambda mq, lq, mp, lp: 0.5 * np.sum(lp - lq + np.exp(lq - lp) + (mq - mp) ** 2 - 1, axis=-1), "the mean term"),
        (lambda mq, lq, mp, lp: 0.5 * np.sum(np.exp(lq - lp) + (mq - mp) ** 2 / np.exp(lp) - 1, axis=-1), "the log term"),
        (lambda mq, lq, mp, lp: 0.5 * np.sum(lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp), axis=-1), "a constant term is missing"),
        (lambda mq, lq, mp, lp: 0.5 * (lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp) - 1), "one value per latent dimension"),
        (lambda mq, lq, mp, lp: 0.5 * np.sum(lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp) - 1), "combines the rows too"),
    ]),
    "score_function_gradient": (exercises.check_score_function_gradient, [
        (lambda f, mu, s, eps: np.mean(f(mu + s * eps) * (s * eps) / s), "you divided by sigma, not by the variance"),
        (lambda f, mu, s, eps: np.mean(f(mu + s * eps) * (mu - (mu + s * eps)) / s**2), "flipped sign"),
        (lambda f, mu, s, eps: f(mu + s * eps) * eps / s, "one estimate per draw"),
        (lambda f, mu, s, eps: np.sum(f(mu + s * eps) * eps / s), "a sum over the draws where a mean belongs"),
        (lambda f, mu, s, eps: np.mean(f(mu + s * eps) * (s * eps)), "not divided by the variance"),
        # A baseline computed from all the draws, the one it multiplies included: biased by 1 - 1/n.
        (lambda f, mu, s, eps: np.mean((f(mu + s * eps) - np.mean(f(mu + s * eps))) * eps / s), "biased by a factor 1 - 1/n"),
    ]),
    "log_prior_density": (exercises.check_log_prior_density, [
        (lambda z: -0.5 * np.sum(z**2, axis=1), "the normalizing constant is missing"),
        (lambda z: -0.5 * np.sum(z**2, axis=1) - 0.5 * np.log(2 * np.pi), "each dimension brings its own"),
        (lambda z: np.exp(-0.5 * np.sum(z**2 + np.log(2 * np.pi), axis=1)), "that is the density"),
        (lambda z: -np.sum(z**2 + np.log(2 * np.pi), axis=1), "the factor 1/2 is missing"),
        (lambda z: -0.5 * (z**2 + np.log(2 * np.pi)), "one value per code"),
    ]),
    "slerp": (exercises.check_slerp, [
        (lambda a, b, s: a + (b - a) * np.linspace(0, 1, s)[:, None], "that is the straight line"),
        (lambda a, b, s: KEY_ANSWERS["slerp"](b, a, s), "runs backwards"),
        (lambda a, b, s: KEY_ANSWERS["slerp"](a, b, s).T, "one code per row"),
        (lambda a, b, s: KEY_ANSWERS["slerp"](a, b, s + 1)[:-1], "include both ends"),
        (lambda a, b, s: (lambda o, t: (np.sin((1 - t) * o) * a + np.sin(t * o) * b) / np.sin(o))(
            np.arccos(a @ b), np.linspace(0, 1, s)[:, None]), "check your cosine of Omega"),
    ]),
    "importance_weighted_bound": (exercises.check_importance_weighted_bound, [
        (lambda lw: lw.mean(axis=0), "single-sample ELBOs"),
        (lambda lw: logsumexp_naive(lw) - np.log(len(lw)), "not finite for log weights near -1200"),
        (lambda lw: scipy.special.logsumexp(lw, axis=0), "off by log(k)"),
        (lambda lw: scipy.special.logsumexp(lw, axis=1) - np.log(lw.shape[1]), "reduces over the images instead"),
    ]),
    "label_posterior": (exercises.check_label_posterior, [
        (lambda ll, lp: scipy.special.softmax(ll, axis=1), "the prior is missing"),
        (lambda ll, lp: scipy.special.log_softmax(ll + lp, axis=1), "those are log-probabilities"),
        (lambda ll, lp: scipy.special.softmax(ll + lp, axis=0), "each row, one image, must sum to 1"),
        (lambda ll, lp: scipy.special.softmax(ll - lp, axis=1), "the prior enters with the wrong sign"),
        (lambda ll, lp: np.exp(ll + lp) / np.exp(ll + lp).sum(axis=1, keepdims=True), "0 / 0 is NaN"),
        (lambda ll, lp: np.argmax(ll + lp, axis=1), "not the most likely label"),
    ]),
}
MISTAKES = [(name, wrong, hint) for name, (_, mistakes) in CODE.items() for wrong, hint in mistakes]


@pytest.mark.parametrize("name", CODE)
def test_the_keys_answer_passes(name, capsys):
    result = CODE[name][0](KEY_ANSWERS[name])
    one_line(capsys, result)
    assert result and result.status == "right" and "right" in result.message


@pytest.mark.parametrize("name", CODE)
def test_a_stub_is_not_done_yet(name, capsys):
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
def test_something_else_is_not_right_and_not_a_function_is_told_so(name):
    check = CODE[name][0]
    assert check(lambda *args: 12345.0).status == "wrong"
    assert check(3.0).status == "wrong" and "pass your function itself" in check(3.0).message
    assert check(lambda *args: "text").status == "wrong"


@pytest.mark.parametrize("name, wrong, hint", MISTAKES, ids=[f"{n}:{h}" for n, _, h in MISTAKES])
def test_a_typical_mistake_gets_its_hint(name, wrong, hint, capsys):
    result = CODE[name][0](wrong)
    one_line(capsys, result)
    assert result.status == "wrong" and hint in result.message, result.message
    assert leaks(result.message) == [], result.message


@pytest.mark.parametrize("name", CODE)
def test_an_unknown_wrong_answer_gets_a_pointer_not_the_solution(name, capsys):
    """An answer off by a factor no typical mistake explains gets the checker's generic hint: what to reread."""
    def off(*args):
        return 1.37 * np.asarray(KEY_ANSWERS[name](*args)) + 0.01

    result = CODE[name][0](off)
    one_line(capsys, result)
    assert result.status == "wrong" and "not right yet" in result.message, result.message
    assert leaks(result.message) == [], result.message


def test_the_score_function_checker_accepts_every_unbiased_estimate(capsys):
    def constant_baseline(f, mu, sigma, eps):
        z = mu + sigma * eps
        return np.mean((f(z) - f(mu)) * (z - mu) / sigma**2)

    def leave_one_out(f, mu, sigma, eps):
        z = mu + sigma * eps
        values = f(z)
        baseline = (values.sum() - values) / (len(values) - 1)
        return np.mean((values - baseline) * (z - mu) / sigma**2)

    for estimate in (constant_baseline, leave_one_out):
        result = exercises.check_score_function_gradient(estimate)
        one_line(capsys, result)
        assert result and "unbiased" in result.message


def test_keras_tensors_are_accepted():
    def kl_with_keras_ops(mean_q, log_var_q, mean_p, log_var_p):
        terms = log_var_p - log_var_q + (ops.exp(log_var_q) + ops.square(mean_q - mean_p)) / ops.exp(log_var_p) - 1
        return 0.5 * ops.sum(terms, axis=-1)

    assert exercises.check_kl_diagonal(kl_with_keras_ops)


# --- the package's own answer is refused ---------------------------------------------------------------

import vaebook  # noqa: E402
from vaebook import latent, losses  # noqa: E402
from vaebook.conditional import label_free_bound  # noqa: E402
from vaebook.estimators import score_function_terms  # noqa: E402
from vaebook.latent import interpolate as walk  # noqa: E402
from vaebook.losses import gaussian_log_density, reparameterize as package_reparameterize  # noqa: E402

REFUSED = {
    "share_within": lambda codes, radius: latent.share_within(codes, radius),  # through its module
    "reparameterize": lambda m, lv, eps: package_reparameterize(m, lv, eps),  # under another name
    "kl_diagonal": lambda mq, lq, mp, lp: vaebook.losses.gaussian_kl(mq - mp, lq - lp),  # through the package
    "score_function_gradient": lambda f, mu, s, eps: np.mean(score_function_terms(f(mu + s * eps), mu + s * eps, mu, s)),
    "log_prior_density": lambda z: ops.convert_to_numpy(gaussian_log_density(z, 0.0, 0.0)),
    "slerp": lambda a, b, s: walk(a, b, s),
    "importance_weighted_bound": lambda lw: label_free_bound(lw.T),
    "label_posterior": lambda ll, lp: np.exp(ll + lp - label_free_bound(ll + lp)[:, None] - np.log(ll.shape[1])),
}


@pytest.mark.parametrize("name", REFUSED)
def test_an_answer_that_calls_the_packages_own_implementation_is_refused(name, capsys):
    result = CODE[name][0](REFUSED[name])
    one_line(capsys, result)
    assert result.status == "not accepted" and "vaebook." in result.message and "write it yourself" in result.message


def test_the_refusal_reads_nested_functions_and_closures_and_spares_the_readers_own_names():
    def nested(codes, radius):
        def inner():
            return losses_module.gaussian_kl(codes, codes)
        return inner

    losses_module = losses
    assert exercises.package_answer_used(nested, [losses.gaussian_kl]) == "vaebook.losses.gaussian_kl"

    def share_within(codes, radius):  # the reader's own function of the same name, called recursively
        return share_within(codes[1:], radius) if len(codes) > 5 else float(np.mean(np.linalg.norm(codes, axis=1) <= radius))

    assert exercises.package_answer_used(share_within, [latent.share_within]) is None
    assert exercises.package_answer_used(KEY_ANSWERS["FreeBitsVAE"], [losses.gaussian_kl]) is None


# --- the networks and models the reader writes --------------------------------------------------------


def mlp_encoder(latent_dim=2, hidden=256, head_activation=None, layers_=1):
    image = keras.Input(shape=(28, 28, 1))
    h = layers.Flatten()(image)
    for _ in range(layers_):
        h = layers.Dense(hidden, activation="relu")(h)
    return keras.Model(image, [layers.Dense(latent_dim)(h), layers.Dense(latent_dim, activation=head_activation)(h)])


def mlp_decoder(latent_dim=2, hidden=256, activation=None, shape=(28, 28, 1)):
    z = keras.Input(shape=(latent_dim,))
    h = layers.Dense(784, activation=activation)(layers.Dense(hidden, activation="relu")(z))
    return keras.Model(z, layers.Reshape(shape)(h))


@pytest.mark.parametrize("encoder, decoder, hint", [
    (mlp_encoder, lambda d, h: mlp_decoder(d, h, activation="sigmoid"), "where the loss expects logits"),
    (lambda d, h: mlp_encoder(d, h, head_activation="relu"), mlp_decoder, "log-variance head"),
    (lambda d, h: mlp_encoder(d, h, layers_=2), mlp_decoder, "one hidden Dense(hidden) layer"),
    (mlp_encoder, lambda d, h: mlp_decoder(d, h, shape=(784,)), "the image's shape"),
    (mlp_encoder, lambda d, h: vaebook.architectures.build_mlp_decoder(d, hidden=(h,)), "not accepted"),
])
def test_the_mlp_networks_checker_names_what_is_off(encoder, decoder, hint, capsys):
    result = exercises.check_mlp_networks(encoder, decoder)
    one_line(capsys, result)
    assert not result and hint in result.message, result.message
    assert leaks(result.message) == [], result.message


def free_bits_variant(kl_term, weight="right"):
    """The key's FreeBitsVAE with another KL term, ``kl_term(kl per image and dimension, free_bits)``, and a right or wrong weight."""

    class Variant(KEY_ANSWERS["FreeBitsVAE"]):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            mean, log_var = y_pred
            reconstruction = ops.mean(-self.log_likelihood(x, self.sampling(mean, log_var), training=training))
            kl = kl_term(0.5 * (ops.square(mean) + ops.exp(log_var) - 1.0 - log_var), self.free_bits)
            w = {"right": self.kl_weight if training else self.beta, "beta": self.beta, "none": 1.0}[weight]
            return reconstruction + w * kl

    return Variant


FREE_BITS_MISTAKES = [
    (free_bits_variant(lambda kl, fb: ops.sum(ops.mean(kl, axis=0))), "without free bits"),
    (free_bits_variant(lambda kl, fb: ops.mean(ops.sum(ops.maximum(kl, fb), axis=1))), "clamped each image's KL"),
    (free_bits_variant(lambda kl, fb: ops.sum(ops.minimum(ops.mean(kl, axis=0), fb))), "a min where the formula has a max"),
    (free_bits_variant(lambda kl, fb: ops.mean(ops.maximum(ops.mean(kl, axis=0), fb))), "a mean over the latent dimensions"),
    (free_bits_variant(lambda kl, fb: ops.sum(ops.maximum(ops.mean(kl, axis=0), fb)), weight="beta"), "in training the KL term has the wrong weight"),
    (free_bits_variant(lambda kl, fb: ops.sum(ops.maximum(ops.mean(kl, axis=0), fb)), weight="none"), "needs its weight"),
]


@pytest.mark.parametrize("variant, hint", FREE_BITS_MISTAKES, ids=[h for _, h in FREE_BITS_MISTAKES])
def test_the_free_bits_checker_names_each_typical_mistake(variant, hint, capsys):
    result = exercises.check_free_bits_vae(variant)
    one_line(capsys, result)
    assert result.status == "wrong" and hint in result.message, result.message
    assert leaks(result.message) == [], result.message


def test_the_free_bits_checker_passes_the_key_trains_it_and_knows_a_stub(capsys):
    result = exercises.check_free_bits_vae(KEY_ANSWERS["FreeBitsVAE"])
    one_line(capsys, result)
    assert result and "lowered it" in result.message

    class Stub(VAE):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            mean, log_var = y_pred
            z = self.sampling(mean, log_var)
            ...  # your code here

    assert exercises.check_free_bits_vae(Stub).status == "not done"

    class Frozen(KEY_ANSWERS["FreeBitsVAE"]):  # the right loss, through which no gradient flows: training cannot lower it
        def compute_loss(self, *args, **kwargs):
            return ops.stop_gradient(super().compute_loss(*args, **kwargs))

    frozen = exercises.check_free_bits_vae(Frozen)
    assert not frozen and "train" in frozen.message, frozen.message
    assert exercises.check_free_bits_vae(...).status == "not done"
    assert not exercises.check_free_bits_vae(VAE), "the page's VAE itself holds no free bits"


def test_the_free_bits_checker_takes_a_subclass_of_the_pages_own_vae_class(capsys):
    """Run top to bottom, notebook 03's exercise subclasses the VAE defined on the page: the same code as the
    package's, another class object."""
    import inspect

    import vaebook.model

    page = {name: getattr(vaebook.model, name) for name in ("keras", "ops", "Sampling", "bernoulli_log_likelihood", "gaussian_kl")}
    source = inspect.getsource(vaebook.model.VAE)
    exec(source[source.index("class VAE"):], page)  # without the decorator: the package's registration stays
    assert page["VAE"] is not VAE
    key_class = next(c.source for c in jupytext.read(KEY / "03_keras_vae.py").cells if c.source.startswith("class FreeBitsVAE"))
    exec(key_class, page)
    result = exercises.check_free_bits_vae(page["FreeBitsVAE"])
    one_line(capsys, result)
    assert result


def conditional_encoder(latent_dim=2, num_classes=10, hidden=256, order=("image", "label"), use_label=True):
    inputs = {"image": keras.Input(shape=(28, 28, 1)), "label": keras.Input(shape=(num_classes,))}
    h = layers.Flatten()(inputs["image"])
    h = layers.Concatenate()([h, inputs["label"]]) if use_label else h
    h = layers.Dense(hidden, activation="relu")(h)
    return keras.Model([inputs[k] for k in order], [layers.Dense(latent_dim)(h), layers.Dense(latent_dim)(h)])


def conditional_decoder(latent_dim=2, num_classes=10, hidden=256):
    z, label = keras.Input(shape=(latent_dim,)), keras.Input(shape=(num_classes,))
    h = layers.Dense(hidden, activation="relu")(layers.Concatenate()([z, label]))
    return keras.Model([z, label], layers.Reshape((28, 28, 1))(layers.Dense(784)(h)))


def test_the_conditional_checker_passes_the_key_and_names_what_is_off(capsys):
    result = exercises.check_conditional_mlp(KEY_ANSWERS["build_conditional_mlp_encoder"], KEY_ANSWERS["build_conditional_mlp_decoder"])
    one_line(capsys, result)
    assert result and "both networks use the label" in result.message and "lowered it" in result.message
    swapped = exercises.check_conditional_mlp(lambda d, k, h: conditional_encoder(d, k, h, order=("label", "image")), conditional_decoder)
    assert not swapped and "[image, label] in that order" in swapped.message
    blind = exercises.check_conditional_mlp(lambda d, k, h: conditional_encoder(d, k, h, use_label=False), conditional_decoder)
    assert not blind and "joining the label to the flattened image" in blind.message
    assert leaks(swapped.message) == leaks(blind.message) == []
    lazy = exercises.check_conditional_mlp(lambda d, k, h: vaebook.conditional.build_conditional_encoder(d, k), conditional_decoder)
    assert lazy.status == "not accepted"


def test_the_mlp_checker_passes_the_key(capsys):
    result = exercises.check_mlp_networks(KEY_ANSWERS["build_mlp_encoder"], KEY_ANSWERS["build_mlp_decoder"])
    one_line(capsys, result)
    assert result


# --- number exercises ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def numbers(mnist):
    """name -> (checker with the notebook's objects bound, the reference answer, its tolerance, [(wrong answer, hint
    words), ...]), the references computed here from vaebook's functions, independently of the checkers."""
    x = mnist.x_test
    vae = pretrained.load("mlp_beta1")
    distances = np.linalg.norm(encode(vae, x)[0].astype(np.float64), axis=1)
    share, radius = float(np.mean(distances <= 1)), float(np.quantile(distances, 0.95))
    binary_x = (x > 0.5).astype("float32")
    model_50d = pretrained.load("likelihood_50d")
    active = int(np.sum(encode(model_50d, binary_x)[0].var(axis=0) > 0.01))
    is_seven = mnist.y_test == 7
    ink = roc_auc(is_seven, x.reshape(len(x), -1).sum(axis=1))
    no_sevens = pretrained.load("without_7")
    mean, log_var = encode(no_sevens, x)
    rate = roc_auc(is_seven, 0.5 * np.sum(mean**2 + np.exp(log_var) - 1 - log_var, axis=1))
    cvae = pretrained.load("cvae")
    x20, y20 = binarize(x, seed=1)[:20], mnist.y_test[:20]  # binarized once, seed 1, as notebook 06's section 6
    posterior = scipy.special.softmax(log_likelihood_under_every_label(cvae, x20, k=5), axis=1)
    true_p = float(posterior[np.arange(20), y20].mean())
    return {
        "share_within_one": (lambda a: exercises.check_vae_share_within_one(a, vae, x), share, 0.001,
                             [(1 - share, "share outside"), (100 * share, "percentage"), (1 - np.exp(-0.5), "prior's share")]),
        "radius_95": (lambda a: exercises.check_vae_radius_95(a, vae, x), radius, 0.01,
                      [(radius**2, "squared radius"), (prior_radius(0.95, 2), "prior's 95% radius"), (1.96, "one coordinate")]),
        "active_units": (lambda a: exercises.check_active_units(a, model_50d, binary_x), active, 0.5,
                         [(50 - active, "inactive dimensions")]),
        "ink_auc": (lambda a: exercises.check_ink_auc(a, x, mnist.y_test), ink, 0.005, [(1 - ink, "minus the ink")]),
        "rate_auc": (lambda a: exercises.check_rate_auc(a, no_sevens, x, mnist.y_test), rate, 0.005, [(1 - rate, "smallest rate first")]),
        "true_label": (lambda a: exercises.check_true_label_probability(a, cvae, x20, y20), true_p, 0.005,
                       [(float(np.mean(posterior.argmax(axis=1) == y20)), "an accuracy"),
                        (float(np.log(posterior[np.arange(20), y20]).mean()), "log-probability")]),
    }


NUMBERS = ["share_within_one", "radius_95", "active_units", "ink_auc", "rate_auc", "true_label"]


@pytest.mark.parametrize("name", NUMBERS)
def test_a_number_is_right_within_its_tolerance_and_a_stub_is_not_done(name, numbers, capsys):
    check, reference, tol, mistakes = numbers[name]
    result = check(reference)
    one_line(capsys, result)
    assert result and "right" in result.message
    assert check(np.float32(reference)), "a NumPy scalar is a number too"
    assert check(reference + 0.9 * tol) and check(reference - 0.9 * tol)
    assert check(...).status == "not done" and "not done yet" in check(...).message
    assert check("0.5").status == "wrong" and "one number" in check("0.5").message
    for wrong, hint in mistakes:
        if abs(wrong - reference) < 0.02:  # a mistake that happens to land near the answer here
            continue
        result = check(wrong)
        assert result.status == "wrong" and hint in result.message, (wrong, result.message)
        assert leaks(result.message) == [], result.message


@pytest.mark.parametrize("name", NUMBERS)
def test_a_wrong_number_is_told_neither_its_direction_nor_the_solution(name, numbers, capsys):
    """Above and below the reference, near it and far off, a wrong number that is no typical mistake gets the same line
    (but for the number itself): nothing to bisect on, and no code or computation of the answer."""
    check, reference, tol, _ = numbers[name]
    generic = []
    for k in (3, 5, 9, 1000 / tol):
        for wrong in (reference + k * tol, reference - k * tol):
            result = check(wrong)
            one_line(capsys, result)
            assert result.status == "wrong" and leaks(result.message) == [], result.message
            if "is not the reference" in result.message:  # not one of the typical mistakes the checker names
                generic.append(result.message.replace(f"{wrong:.4g}", "X"))
    assert len(generic) >= 4 and len(set(generic)) == 1, generic


def test_the_ppca_kl_is_checked_against_the_fit_the_exercise_names(mnist):
    """The fit is the checker's own (the one the exercise names; test_grading checks the key's fit against it)."""
    x = mnist.x_test[:500]
    mean, log_var = encode(exercises._ppca(4000), x)
    reference = float(np.mean(0.5 * np.sum(mean**2 + np.exp(log_var) - 1 - log_var, axis=1)))
    assert exercises.check_mean_kl_to_prior(reference, x)
    assert "flipped sign" in exercises.check_mean_kl_to_prior(-reference, x).message
    assert "a sum over the images" in exercises.check_mean_kl_to_prior(500 * reference, x).message


def test_a_number_stub_costs_nothing(mnist):
    class Untouchable:
        decoder = pretrained.load("mlp_beta1").decoder

        def __call__(self, *args, **kwargs):
            raise AssertionError("a stub must not make the checker compute its reference")

    assert exercises.check_vae_radius_95(..., Untouchable(), mnist.x_test).status == "not done"
    assert exercises.check_true_label_probability(..., Untouchable(), binarize(mnist.x_test[:5]), mnist.y_test[:5]).status == "not done"
    assert exercises.check_mean_kl_to_prior(..., mnist.x_test).status == "not done"


def test_the_number_checkers_reject_wrong_notebook_objects(mnist):
    with pytest.raises(TypeError, match="must be a vaebook VAE"):
        exercises.check_vae_radius_95(1.0, "vae", mnist.x_test)
    with pytest.raises(ValueError, match="data.x_test and data.y_test"):
        exercises.check_ink_auc(0.5, mnist.x_test, mnist.y_test[:10])
    cvae = pretrained.load("cvae")
    with pytest.raises(ValueError, match="binarized"):  # notebook 06's exercise 4 scores binarized digits, as its section 6
        exercises.check_true_label_probability(0.5, cvae, mnist.x_test[:5], mnist.y_test[:5])


# --- the grader's test ---------------------------------------------------------------------------------


def test_require_passes_a_right_answer_and_fails_with_the_checkers_line(capsys):
    exercises.check_share_within(KEY_ANSWERS["share_within"])
    assert exercises.require("share_within")
    wrong = exercises.check_share_within(CODE["share_within"][1][0][0])
    with pytest.raises(AssertionError, match="squared distance") as raised:
        exercises.require("share_within")
    assert str(raised.value) == wrong.message
    with pytest.raises(AssertionError, match="not checked"):
        exercises.require("no_such_exercise")


def test_the_printed_line_is_the_same_at_every_run():
    wrong = CODE["kl_diagonal"][1][0][0]
    assert exercises.check_kl_diagonal(wrong).message == exercises.check_kl_diagonal(wrong).message
    assert exercises.check_score_function_gradient(KEY_ANSWERS["score_function_gradient"]).message.startswith("score_function_gradient: right")


def test_the_package_ships_no_answers():
    import importlib.util

    assert importlib.util.find_spec("vaebook.solutions") is None
