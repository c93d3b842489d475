# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: nbgrader,deletable,editable,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
# ---

# %% [markdown]
# # 2. The ELBO, derived and checked
#
# **What you'll do:** derive the VAE's objective, the evidence lower bound (ELBO), in two
# ways, derive the closed-form KL term and the reparameterization trick, and check each result
# with numbers from `vaebook`.
#
# **What you'll learn:**
#
# - why $\log p(x)$ of a latent-variable model is intractable, and what a variational family is;
# - the ELBO from Jensen's inequality, and the exact identity
#   $\log p(x) = \text{ELBO} + \mathrm{KL}(q(z|x)\,\|\,p(z|x))$, checked on a model whose
#   $\log p(x)$ is known exactly;
# - why the best Gaussian with a diagonal covariance (a mean-field posterior) underestimates
#   the posterior's marginal variances;
# - the closed-form Gaussian KL, with the right sign;
# - why the reparameterization gradient beats the score-function gradient;
# - why the encoder outputs a log-variance, and why the Bernoulli log-likelihood is a summed
#   binary cross-entropy.
#
# **What you'll need:** expectations, Gaussians, logarithms; notebook 01 for the big picture.
# No neural network is trained: the models fitted here (probabilistic PCA) have closed-form
# solutions. The whole notebook runs in under a minute on one CPU core; most of that is the
# Monte Carlo ELBOs and importance sampling of section 4, whose digit and sample counts were
# chosen for speed (each says so where it is).

# %%
# vaebook comes first: importing it quiets TensorFlow's C++ start-up lines, which would
# otherwise appear under this cell when keras loads TensorFlow.
from vaebook.codes import encode
from vaebook.data import load_mnist
from vaebook.estimators import compare_estimators
from vaebook.evaluate import dataset_elbo_with_error, importance_log_likelihood
from vaebook.linear_gaussian import fit_ppca, mean_field_variances, widen_encoder, with_encoder_variances
from vaebook.losses import bernoulli_log_likelihood, gaussian_kl, gaussian_kl_monte_carlo

import keras
import numpy as np
from keras import ops

# %% [markdown]
# ## 1. A latent-variable model
#
# A VAE models an image $x$ with a hidden code $z \in \mathbb{R}^d$:
#
# $$p(z) = \mathcal{N}(0, I), \qquad p_\theta(x \mid z) = \prod_{i=1}^{784} \mathrm{Bernoulli}(x_i;\, p_i), \quad p = \mathrm{sigmoid}(\mathrm{decoder}_\theta(z)).$$
#
# Training by maximum likelihood needs the probability of each training image,
#
# $$p_\theta(x) = \int p_\theta(x \mid z)\, p(z)\, dz .$$
#
# With a neural decoder this integral has no closed form, and estimating it by sampling $z$
# from the prior works poorly: almost every $z$ explains a given image terribly, so the average
# is dominated by rare lucky draws. The posterior $p_\theta(z \mid x) = p_\theta(x \mid z)\,p(z) / p_\theta(x)$
# needs the same integral, so it is intractable too.
#
# ## 2. The variational family
#
# Instead, an **encoder** network proposes, for each image, a Gaussian over codes that could
# have produced it:
#
# $$q_\phi(z \mid x) = \mathcal{N}\big(\mu_\phi(x),\ \mathrm{diag}(\sigma^2_\phi(x))\big).$$
#
# The set of all such Gaussians is the *variational family*. It is *amortized*: one network
# serves every image, instead of one optimisation per image.
#
# ## 3. The ELBO by Jensen's inequality
#
# Multiply and divide by $q$ inside the integral, then use that $\log$ is concave
# ($\log \mathbb{E}[Y] \ge \mathbb{E}[\log Y]$):
#
# $$\log p(x) = \log \mathbb{E}_{q(z|x)}\!\left[\frac{p(x \mid z)\, p(z)}{q(z \mid x)}\right]
# \ \ge\ \mathbb{E}_{q(z|x)}\!\left[\log \frac{p(x \mid z)\, p(z)}{q(z \mid x)}\right]
# = \underbrace{\mathbb{E}_{q}[\log p(x \mid z)]}_{\text{reconstruction}} - \underbrace{\mathrm{KL}(q(z \mid x)\,\|\,p(z))}_{\text{regularizer}} .$$
#
# The right-hand side is the **evidence lower bound**, ELBO. The VAE maximises it over the
# decoder's $\theta$ and the encoder's $\phi$ together; its negative is the training loss.
#
# ## 4. The same bound as an identity
#
# Jensen says that the ELBO is at most $\log p(x)$; an exact identity says by how much. Bayes' rule,
# $p(z \mid x) = p(x, z) / p(x)$, gives for **every** $z$
#
# $$\log p(x) = \log p(x, z) - \log p(z \mid x).$$
#
# Add and subtract $\log q(z \mid x)$ on the right, which changes nothing:
#
# $$\log p(x) = \big[\log p(x, z) - \log q(z \mid x)\big] + \big[\log q(z \mid x) - \log p(z \mid x)\big].$$
#
# The left side does not depend on $z$, so its expectation over $z \sim q(z|x)$ is itself.
# Take that expectation of both sides, term by term:
#
# $$\log p(x) = \underbrace{\mathbb{E}_q\big[\log p(x, z) - \log q(z \mid x)\big]}_{\text{ELBO}}
# \;+\; \underbrace{\mathbb{E}_q\big[\log q(z \mid x) - \log p(z \mid x)\big]}_{\mathrm{KL}(q(z|x)\,\|\,p(z|x))} .$$
#
# The first term is the ELBO of section 3: with $\log p(x, z) = \log p(x \mid z) + \log p(z)$ it
# is $\mathbb{E}_q[\log p(x \mid z)] - \mathrm{KL}(q(z|x)\,\|\,p(z))$. The second is, by definition,
# the KL divergence from $q(z|x)$ to the true posterior.
#
# So the gap between the ELBO and $\log p(x)$ is the KL divergence from the encoder's guess to
# the true posterior. A KL divergence is never negative, so the ELBO is a lower bound, and the
# gap is zero only when the encoder is exact.
# Maximising the ELBO therefore does two things at once: it raises $\log p(x)$ and it pulls
# $q(z|x)$ towards the true posterior.
#
# ### Checking it where log p(x) is exact
#
# For one model the integral *is* tractable: a linear decoder with Gaussian noise,
# $p(x|z) = \mathcal{N}(Wz + b, \sigma^2 I)$, which is probabilistic PCA. Then
# $p(x) = \mathcal{N}(b,\ WW^\top + \sigma^2 I)$ exactly, and so is the posterior,
#
# $$p(z \mid x) = \mathcal{N}\big(M^{-1} W^\top (x - b),\ \sigma^2 M^{-1}\big), \qquad M = W^\top W + \sigma^2 I,$$
#
# so the KL to it has a closed form too (`posterior_kl`). `fit_ppca` fits the model to MNIST
# digits (grey levels, as continuous values) by maximum likelihood, with a 2-d latent space,
# and sets the encoder to the best Gaussian with a diagonal covariance: the exact posterior
# mean, and the variances that maximise the ELBO (the next subsection derives them).
#
# For speed, the checks use the first 500 test digits and 200 samples of $z$ per digit for
# the ELBO, a Monte Carlo estimate. `vaebook.evaluate.dataset_elbo_with_error` draws them as 10
# independent batches of 20, so the spread of the 10 batch means gives the estimate's standard
# error. The KL to the
# posterior is exact.

# %%
data = load_mnist()
x = data.x_test[:500]

# %%
def check_identity(model):
    elbo, stderr = dataset_elbo_with_error(model, x, batches=10, samples=20)
    gap = model.posterior_kl(x).mean()
    print(f"exact log p(x):         {exact:.3f} nats per image (first 500 test digits, grey levels, Gaussian pixels)")
    print(f"ELBO (200 samples):     {elbo:.3f} +- {stderr:.3f}")
    print(f"KL(q(z|x) || p(z|x)):   {gap:.3f} (closed form)")
    print(f"ELBO + KL:              {elbo + gap:.3f} +- {stderr:.3f}")


ppca = fit_ppca(data.x_train, latent_dim=2, seed=0)
exact = ppca.exact_log_marginal(x).mean()
check_identity(ppca)

# %% [markdown]
# (These are log-*densities* of continuous pixel values, so they can be positive.) The ELBO sits
# just below $\log p(x)$, and adding the exact KL to the true posterior closes the gap, up to
# the Monte Carlo error of the ELBO estimate (the $\pm$ is one standard error). This encoder is
# nearly exact, so the KL is small, but it is not zero. Why not?
#
# ### What a diagonal Gaussian gets wrong
#
# The true posterior has the full covariance $\sigma^2 M^{-1}$ (the same for every image). `fit_ppca`
# multiplies $W$ by a random rotation, which leaves $p(x)$ unchanged but makes $M$ non-diagonal,
# so the posterior's coordinates are correlated, and no diagonal Gaussian can match it.
#
# Which diagonal Gaussian is best? For this model $\log p(x, z)$ is quadratic in $z$ with
# curvature $-M/\sigma^2$, the posterior precision. For $q = \mathcal{N}(m, \mathrm{diag}(s^2))$ the
# ELBO is $\mathbb{E}_q[\log p(x, z)]$ plus the entropy of $q$; the parts that depend on the
# variances are
#
# $$\sum_j \Big(-\frac{M_{jj}}{2\sigma^2}\, s_j^2 + \tfrac12 \log s_j^2\Big) + \text{const},
# \qquad\text{maximised at}\qquad s_j^2 = \frac{\sigma^2}{M_{jj}} .$$
#
# That is one over the diagonal of the posterior *precision*: the variance of $z_j$ when the
# other coordinates are held fixed. It is not the posterior's *marginal* variance
# $(\sigma^2 M^{-1})_{jj}$, and it is never larger; all of them agree only when $M$ is diagonal. So
# the best mean-field posterior is too narrow; it **underestimates the marginal variances**. The
# reason is the direction of the KL: $\mathrm{KL}(q\,\|\,p)$ charges heavily for $q$ putting mass
# where $p$ has little, so $q$ stays inside the posterior's correlated ellipse instead of
# covering it.
#
# Here are the numbers for this model and for the same fit with a 10-d latent space, next to
# a diagonal $q$ that copies the marginal variances instead:

# %%
for latent_dim in (2, 10):
    model = ppca if latent_dim == 2 else fit_ppca(data.x_train, latent_dim=latent_dim, seed=0)
    cov = model.posterior_covariance()
    true_std = np.sqrt(np.diag(cov))
    mean_field_std = np.sqrt(mean_field_variances(model))
    correlation = cov / np.outer(true_std, true_std)
    matched = with_encoder_variances(model, true_std**2)
    print(f"latent_dim = {latent_dim}, largest |posterior correlation| "
          f"{np.abs(correlation - np.eye(latent_dim)).max():.2f}")
    print("  true posterior std:   ", true_std.round(4))
    print("  mean-field std:       ", mean_field_std.round(4))
    print(f"  mean-field std / true std: {(mean_field_std / true_std).min():.3f} to "
          f"{(mean_field_std / true_std).max():.3f}")
    print(f"  KL(q || p(z|x)) = log p(x) - ELBO: best diagonal {model.posterior_kl(x).mean():.4f}, "
          f"marginal variances {matched.posterior_kl(x).mean():.4f}")

# %% [markdown]
# With 2 latent dimensions the posterior correlation is weak, so the mean-field standard
# deviations fall short only slightly and both diagonal choices leave almost the same gap.
# With 10 the correlations are stronger: every mean-field standard deviation is too small, and
# copying the true marginal variances gives a *lower* ELBO than the too-narrow mean-field
# variances. Maximising the ELBO finds the narrow ones. A VAE's diagonal encoder is trained on
# the same objective, so expect its variances to err in the same direction.
#
# ### A worse encoder, and importance sampling
#
# Now make the encoder worse on purpose, with every variance three times too large.
# `widen_encoder` returns a new model and leaves `ppca` as it was, so re-running the cell gives
# the same numbers. The gap opens, and the identity still holds. The importance-sampled
# estimate of notebook 05, $\log \frac{1}{k}\sum_i p(x, z_i) / q(z_i|x)$ with $z_i \sim q(z|x)$,
# closes the gap again as $k$ grows (notebook 05 uses $k = 5000$; $k$ stops at 1,000 here
# for speed):

# %%
wide = widen_encoder(ppca, 3.0)
check_identity(wide)
for k in (10, 100, 1000):
    print(f"importance-sampled, k = {k:4d}: {importance_log_likelihood(wide, x, k=k).mean():.3f}")

# %% [markdown]
# ## 5. The KL term in closed form
#
# For $q = \mathcal{N}(\mu, \mathrm{diag}(\sigma^2))$ and $p = \mathcal{N}(0, I)$ the KL term is a
# sum over latent dimensions of one-dimensional Gaussian integrals:
#
# $$\mathrm{KL}(q\,\|\,p) = \mathbb{E}_q[\log q(z) - \log p(z)]
# = \sum_j \tfrac12\left(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\right)
# = -\tfrac12 \sum_j \left(1 + \log \sigma_j^2 - \mu_j^2 - \sigma_j^2\right).$$
#
# Each term is $\ge 0$, because $\sigma^2 - 1 - \log \sigma^2 \ge 0$ for every $\sigma^2 > 0$,
# with equality only at $\sigma^2 = 1$. The KL is 0 exactly when $\mu = 0$ and $\sigma^2 = 1$.
#
# **Mind the sign.** This series grew out of a Keras 2 VAE example notebook (one that built
# its loss with `add_loss` on symbolic tensors; notebook 03 shows why that fails in Keras 3).
# It wrote the KL term without the leading minus sign, in this form:
#
# ```python
# kl_loss = 0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)  # no minus sign
# vae.add_loss(K.mean(reconstruction_loss + kl_loss))
# ```
#
# That quantity, $\tfrac12 \sum (1 + \log\sigma^2 - \mu^2 - \sigma^2)$, is never positive: it
# is minus the KL. Added to the loss, it would *reward* the encoder for moving away from the
# prior. Here are both, next to a Monte Carlo estimate of $\mathbb{E}_q[\log q(z) - \log p(z)]$
# from 100,000 draws (enough for standard errors below 0.01), for three encoder outputs:

# %%
mean = np.array([[0.0, 0.0], [1.0, -0.5], [0.3, 2.0]])
log_var = np.array([[0.0, 0.0], [-1.0, 0.5], [-3.0, -0.2]])
closed = ops.convert_to_numpy(gaussian_kl(mean, log_var))
without_minus = 0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=1)
monte_carlo, stderr = gaussian_kl_monte_carlo(mean, log_var, samples=100_000)
for i in range(3):
    print(
        f"mu={mean[i]}, log_var={log_var[i]}: closed form {closed[i]:.3f}, "
        f"Monte Carlo {monte_carlo[i]:.3f} +- {stderr[i]:.3f}, formula without the minus {without_minus[i]:.3f}"
    )

# %% [markdown]
# The closed form agrees with Monte Carlo within its standard error, is 0 at the prior, and is
# positive elsewhere; the formula without the minus sign is its negative.
#
# ### Why the encoder outputs a log-variance
#
# A variance must be positive, but a dense layer outputs any real number. Predicting
# $\log \sigma^2$ removes the constraint: every real number is a valid log-variance, and
# $\sigma^2 = e^{\log\sigma^2} > 0$ always. It also suits the scale of the problem: posterior
# standard deviations can be far below the prior's 1 (those of the PPCA above are near 0.1),
# and a log scale makes 0.01 and 1 equally easy to reach. Finally, the KL above
# needs $\log \sigma^2$ directly, so no $\log$ of a possibly tiny number is ever taken.

# %%
log_vars = np.array([-10.0, -1.0, 0.0, 3.0])
print("log-variance:", log_vars, "-> standard deviation:", np.exp(0.5 * log_vars).round(4))

# %% [markdown]
# ## 6. The reparameterization trick
#
# The ELBO is an expectation over $z \sim q_\phi(z|x)$, and we need its gradient with respect to
# $\phi$, the parameters that define the distribution we sample from. Two estimators exist:
#
# - **score function** (REINFORCE): $\nabla_\mu \mathbb{E}[f(z)] = \mathbb{E}[f(z)\, \nabla_\mu \log q(z)]$,
#   which only needs values of $f$;
# - **reparameterization**: write $z = \mu + \sigma \varepsilon$ with $\varepsilon \sim \mathcal{N}(0, 1)$,
#   so the randomness no longer depends on $\mu$, and $\nabla_\mu \mathbb{E}[f(z)] = \mathbb{E}[f'(\mu + \sigma\varepsilon)]$.
#
# Both are unbiased. Take $f(z) = -(z - 2)^2/2$, a Gaussian log-likelihood up to a constant, at $\mu = 0.5$,
# $\sigma = 1$: the exact gradient is $2 - 0.5 = 1.5$. One draw of $z$ per estimate, 10,000
# estimates each:

# %%
result = compare_estimators(mu=0.5, sigma=1.0, target=2.0, samples=10_000, seed=0)
print(f"exact gradient: {result['exact']:.2f}")
for name in ("score_function", "reparameterization"):
    r = result[name]
    print(f"{name:>18}: mean {r['mean']:.3f} +- {r['stderr']:.3f}, variance of one estimate {r['variance']:.2f}")
ratio = result["score_function"]["variance"] / result["reparameterization"]["variance"]
print(f"the score function needs about {ratio:.0f} times as many samples for the same precision")

# %% [markdown]
# The reparameterized gradient uses the slope of $f$, which a decoder provides through
# backpropagation; the score function uses only values of $f$ and pays with a much larger
# variance, which grows with the dimension of $z$. This is the step that made VAEs trainable
# with plain stochastic gradient descent. In `vaebook`, the `Sampling` layer computes
# $z = \mu + e^{\log\sigma^2/2}\,\varepsilon$.
#
# ## 7. The reconstruction term is a summed binary cross-entropy
#
# For a Bernoulli decoder with pixel probabilities $p_i$,
#
# $$\log p(x \mid z) = \sum_{i=1}^{784} \big[x_i \log p_i + (1 - x_i) \log (1 - p_i)\big] = -\sum_{i=1}^{784} \mathrm{BCE}(x_i, p_i).$$
#
# Keras' `binary_crossentropy` returns the **mean** over the last axis, so the ELBO's term is
# 784 times it, with a minus sign. With random logits standing in for a decoder's output, on
# five real digits (grey levels, as loaded; for grey levels the Bernoulli formula is not a
# normalized likelihood, as notebook 03 explains, but the identity with the cross-entropy
# holds for any $x_i$ in $[0, 1]$):

# %%
x_flat = data.x_test[:5].reshape(5, -1)
logits = np.random.default_rng(0).normal(size=x_flat.shape).astype(np.float32)
ours = ops.convert_to_numpy(bernoulli_log_likelihood(x_flat, logits))
keras_mean = ops.convert_to_numpy(keras.losses.binary_crossentropy(x_flat, logits, from_logits=True))
print("vaebook log p(x|z):          ", ours.round(2))
print("-784 * Keras BCE (a mean):   ", (-784 * keras_mean).round(2))

# %% [markdown]
# The two agree (up to float32 rounding). Using the mean instead of the sum would shrink the
# reconstruction term 784 times against the KL term: notebook 03 shows what that does.
#
# ## Summary
#
# - $\log p(x)$ needs an integral over all codes; the encoder $q_\phi(z|x)$ makes the problem
#   tractable.
# - ELBO $= \mathbb{E}_q[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z)) \le \log p(x)$, by Jensen, and
#   exactly $\log p(x) - \mathrm{KL}(q(z|x)\,\|\,p(z|x))$: add and subtract $\log q(z|x)$, then take
#   the expectation. On probabilistic PCA, where $\log p(x)$ and the posterior are exact, ELBO + KL
#   matches $\log p(x)$, and importance sampling closes the gap as $k$ grows.
# - The best diagonal Gaussian has variances $\sigma^2/M_{jj}$, one over the posterior precision's
#   diagonal: a mean-field posterior underestimates the marginal variances whenever the
#   posterior is correlated.
# - $\mathrm{KL}(q\,\|\,\mathcal{N}(0, I)) = -\tfrac12\sum(1 + \log\sigma^2 - \mu^2 - \sigma^2) \ge 0$: the
#   minus sign matters.
# - The reparameterization $z = \mu + \sigma\varepsilon$ gives low-variance gradients; the
#   encoder outputs $\log\sigma^2$ so that the variance is always positive.
# - The Bernoulli log-likelihood is minus the binary cross-entropy **summed** over pixels.
#
# Next: [03_keras_vae.ipynb](03_keras_vae.ipynb), where these formulas become a Keras 3 model.

# %% [markdown]
# ## Exercises
#
# Four exercises, from a warm-up to the score-function estimator, two of them with a derivation
# on paper. This section runs on its own: its first cell loads everything the exercises use, so
# after a restart you can run it from here (the grader runs only this section). Write each answer
# where the `...` stands, with NumPy (the inputs are NumPy arrays); the cell under it checks your
# answer on the spot and prints one line: right, not done yet, or a hint at what is off. The
# checker compares your function with a reference computed inside `vaebook.exercises` on test
# inputs of its own, so any correct way of writing it passes, and it refuses a function that
# merely calls vaebook's own implementation. Derivations go in the cells that say *Your answer
# here*, in LaTeX (`$...$`); your teacher grades them with the answer key. Points are in brackets.

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "c53132051726a244fc4a8e1e8e2e0bba", "grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from vaebook import exercises
from vaebook.codes import encode
from vaebook.data import load_mnist
from vaebook.linear_gaussian import fit_ppca

data = load_mnist()
x = data.x_test[:500]

# %% [markdown]
# **Exercise 1 (warm-up, code) [2 points].** Write the reparameterization of section 6,
# `reparameterize(mean, log_var, eps)`: the code $z$ drawn from
# $\mathcal{N}(\mu, \mathrm{diag}(\sigma^2))$ for a given standard normal noise `eps` (all three
# arrays of one shape, `log_var` holding $\log \sigma^2$). Use the `eps` you are given; draw no
# noise of your own.

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "3827fc4b2307f8b8dfa5f7510c1894ae", "grade": false, "grade_id": "ex1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reparameterize(mean, log_var, eps):
    ...  # your code here


# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "d5a9c4a7b1591de45190a27cfb595dd1", "grade": true, "grade_id": "ex1_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_reparameterize(reparameterize)


# %% [markdown]
# **Exercise 2 (derivation) [4 points].** Derive the KL divergence between two one-dimensional
# Gaussians, $q = \mathcal{N}(\mu_q, \sigma_q^2)$ and $p = \mathcal{N}(\mu_p, \sigma_p^2)$:
# write $\log q(z) - \log p(z)$ and take its expectation under $q$, using
# $\mathbb{E}_q[(z - \mu_q)^2] = \sigma_q^2$. Then show that the result is never negative, and 0
# only when $q = p$; say why the KL of two Gaussians with diagonal covariances is the sum of such
# terms over the dimensions; and check that for $p = \mathcal{N}(0, 1)$ you get the formula of
# section 5.

# %% [markdown] deletable=false nbgrader={"cell_type": "markdown", "checksum": "2c1c2c8fb7614b1ecd4e7a133b38f86a", "grade": true, "grade_id": "ex2_written", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# *Your answer here.*

# %% [markdown]
# **Exercise 3 (code, then a number) [3 + 2 points].** (a) Turn your derivation into code:
# `kl_diagonal(mean_q, log_var_q, mean_p, log_var_p)`, the KL from
# $q = \mathcal{N}(\mu_q, \mathrm{diag}(\sigma_q^2))$ to $p = \mathcal{N}(\mu_p, \mathrm{diag}(\sigma_p^2))$ for
# each of the N rows of the four arrays of shape (N, latent_dim) (the log-variances hold
# $\log \sigma^2$): return shape (N,).

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "3fcc8f5d4d1994c34efb01a00b099e86", "grade": false, "grade_id": "ex3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def kl_diagonal(mean_q, log_var_q, mean_p, log_var_p):
    ...  # your code here


# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "60edf1b9a3cc6188c103432de69e0e2f", "grade": true, "grade_id": "ex3_check", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
exercises.check_kl_diagonal(kl_diagonal)

# %% [markdown]
# (b) How many nats does the KL term cost per digit, on average, for the probabilistic PCA of
# section 4? Fit it, `ppca = fit_ppca(data.x_train, latent_dim=2, seed=0)` (a few seconds);
# `encode(ppca, x)` returns the mean and log-variance of $q(z|x)$ for the 500 digits in `x`, and
# the prior is $\mathcal{N}(0, I)$. Within 0.01 counts as right.

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "b4d6e37b31a5164b93940e2562727016", "grade": false, "grade_id": "ex3b_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
kl_answer = (
    ...  # your code here
)

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "3af9f4d64706a01b2f229bd4cbf18af8", "grade": true, "grade_id": "ex3b_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_mean_kl_to_prior(kl_answer, x)


# %% [markdown]
# **Exercise 4 (derivation, then code) [3 + 3 points].** (a) Derive the score-function identity
# of section 6 for $q_\mu = \mathcal{N}(\mu, \sigma^2)$:
# $\frac{d}{d\mu}\mathbb{E}_{q_\mu}[f(z)] = \mathbb{E}_{q_\mu}\!\big[f(z)\, \frac{d}{d\mu} \log q_\mu(z)\big]$, say
# which step needs an assumption on $f$, and compute $\frac{d}{d\mu} \log q_\mu(z)$. Then show that
# subtracting a constant $b$ from $f$ (a *baseline*) leaves the expectation unchanged.

# %% [markdown] deletable=false nbgrader={"cell_type": "markdown", "checksum": "bd9385791e071dd50a29ece0ac60f511", "grade": true, "grade_id": "ex4_written", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# *Your answer here.*

# %% [markdown]
# (b) Write the estimate, `score_function_gradient(f, mu, sigma, eps)`: from the draws
# $z = \mu + \sigma\varepsilon$ (`eps`, an array of standard normal draws) estimate
# $\frac{d}{d\mu}\mathbb{E}_{z \sim \mathcal{N}(\mu, \sigma^2)}[f(z)]$ using only values of `f` (a
# function that takes and returns arrays), and return one number. A baseline is welcome, as long
# as the estimate stays unbiased. Try it on `f = lambda z: -(z - 2)**2 / 2` with `mu = 0.5`,
# `sigma = 1`, whose exact gradient section 6 gives.

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "b125c6323f2a828f03ce95f0733e3959", "grade": false, "grade_id": "ex4b_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def score_function_gradient(f, mu, sigma, eps):
    ...  # your code here


# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "cd750d15e8f0b1fd1a2878ef17b84760", "grade": true, "grade_id": "ex4b_check", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
exercises.check_score_function_gradient(score_function_gradient)
