# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
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
# ways, derive the closed-form KL term and the reparameterization trick, and check every step
# with numbers from `vaebook`.
#
# **What you'll learn:**
#
# - why $\log p(x)$ of a latent-variable model is intractable, and what a variational family is;
# - the ELBO from Jensen's inequality, and the exact identity
#   $\log p(x) = \text{ELBO} + \mathrm{KL}(q(z|x)\,\|\,p(z|x))$;
# - the closed-form Gaussian KL, with the right sign;
# - why the reparameterization gradient beats the score-function gradient;
# - why the encoder outputs a log-variance, and why the Bernoulli log-likelihood is a summed
#   binary cross-entropy.
#
# **What you'll need:** expectations, Gaussians, logarithms; notebook 01 for the big picture.
# Everything runs in a few seconds; no model is trained.

# %%
# NBVAL_IGNORE_OUTPUT
# Ignored: importing TensorFlow may write start-up lines to stderr, which vary by machine.
import keras
import numpy as np
from keras import ops

from vaebook.data import load_mnist
from vaebook.estimators import compare_estimators
from vaebook.evaluate import dataset_elbo, importance_log_likelihood
from vaebook.linear_gaussian import fit_ppca, widen_encoder
from vaebook.losses import bernoulli_log_likelihood, gaussian_kl, gaussian_kl_monte_carlo

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
# With a neural decoder this integral has no closed form, and sampling $z$ from the prior to
# estimate it fails: almost every $z$ explains a given image terribly, so the average is
# dominated by rare lucky draws. The posterior $p_\theta(z \mid x) = p_\theta(x \mid z)\,p(z) / p_\theta(x)$
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
# Jensen says *that* there is a gap; an exact identity says *what* it is. Write
# $\log p(x) = \log p(x \mid z) + \log p(z) - \log p(z \mid x)$, which holds for every $z$, and
# take the expectation over $z \sim q(z|x)$:
#
# $$\log p(x) = \underbrace{\mathbb{E}_q[\log p(x \mid z)] - \mathrm{KL}(q(z|x)\,\|\,p(z))}_{\text{ELBO}}
# \;+\; \mathrm{KL}\big(q(z \mid x)\,\|\,p(z \mid x)\big).$$
#
# The gap is the KL divergence from the encoder's guess to the true posterior. It is never
# negative, so the ELBO is a lower bound, and it is zero only when the encoder is exact.
# Maximising the ELBO therefore does two things at once: it raises $\log p(x)$ and it pulls
# $q(z|x)$ towards the true posterior.
#
# ### Checking it where log p(x) is exact
#
# For one model the integral *is* tractable: a linear decoder with Gaussian noise,
# $p(x|z) = \mathcal{N}(Wz + b, \sigma^2 I)$, which is probabilistic PCA. Then
# $p(x) = \mathcal{N}(b,\ WW^\top + \sigma^2 I)$ exactly. `fit_ppca` fits it to MNIST digits
# (grey levels, as continuous values) with a 2-d latent space and sets the encoder to the best
# Gaussian with a diagonal covariance.

# %%
data = load_mnist()
x = data.x_test[:500]

# %%
ppca = fit_ppca(data.x_train, latent_dim=2, seed=0)
exact = ppca.exact_log_marginal(x).mean()
print(f"exact log p(x):     {exact:.3f} nats per image (first 500 test digits, grey levels, Gaussian pixels)")
print(f"ELBO (200 samples): {dataset_elbo(ppca, x, samples=200):.3f}")

# %% [markdown]
# (These are log-*densities* of continuous pixel values, so they can be positive.) The ELBO sits
# just below $\log p(x)$: this encoder is nearly exact, so the gap, the KL to the
# true posterior, is small. Now make the encoder worse on purpose, with every variance three
# times too large, and the gap opens. The importance-sampled estimate of notebook 05,
# $\log \frac{1}{k}\sum_i p(x, z_i) / q(z_i|x)$ with $z_i \sim q(z|x)$, closes it again as $k$ grows:

# %%
widen_encoder(ppca, 3.0)
print(f"exact log p(x):     {exact:.3f}")
print(f"ELBO (200 samples): {dataset_elbo(ppca, x, samples=200):.3f}")
for k in (10, 100, 1000):
    print(f"importance-sampled, k = {k:4d}: {importance_log_likelihood(ppca, x, k=k).mean():.3f}")

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
# **Mind the sign.** The notebook this series grew from writes the KL as
# $\tfrac12 \sum (1 + \log\sigma^2 - \mu^2 - \sigma^2)$, without the leading minus sign. That
# quantity is never positive: it is minus the KL. Added to the loss, it would *reward* the
# encoder for moving away from the prior. Here are both, next to a Monte Carlo estimate of
# $\mathbb{E}_q[\log q(z) - \log p(z)]$ from 100,000 draws, for three encoder outputs:

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
# standard deviations range over orders of magnitude (notebook 04 finds about 0.1 on a prior
# scale of 1), and a log scale makes 0.01 and 1 equally easy to reach. Finally, the KL above
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
# Both are unbiased. Take $f(z) = -(z - 2)^2/2$, a Gaussian log-likelihood, at $\mu = 0.5$,
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
# 784 times it, with a minus sign. With logits from a random decoder output, on real digits:

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
#   exactly $\log p(x) - \mathrm{KL}(q(z|x)\,\|\,p(z|x))$. On probabilistic PCA, where
#   $\log p(x)$ is exact, the ELBO sits below it, and importance sampling closes the gap.
# - $\mathrm{KL}(q\,\|\,\mathcal{N}(0, I)) = -\tfrac12\sum(1 + \log\sigma^2 - \mu^2 - \sigma^2) \ge 0$: the
#   minus sign matters.
# - The reparameterization $z = \mu + \sigma\varepsilon$ gives low-variance gradients; the
#   encoder outputs $\log\sigma^2$ so that the variance is always positive.
# - The Bernoulli log-likelihood is minus the binary cross-entropy **summed** over pixels.
#
# Next: [03_keras_vae.ipynb](03_keras_vae.ipynb), where these formulas become a Keras 3 model.
