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
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. The ELBO, derived and checked
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vaebook/vaebook/blob/main/notebooks/02_elbo.ipynb)
#
# **What you'll do:** derive the VAE's objective, the evidence lower bound (ELBO), in two
# ways, derive the closed-form KL term and the reparameterization trick, and check each result
# with numbers from `vaebook`.
#
# **What you'll learn:**
#
# - why $\log p(x)$ of a latent-variable model is intractable, and what a variational family is;
# - the KL divergence, and why it is never negative (Jensen's inequality);
# - the ELBO from Jensen's inequality, and the exact identity
#   $\log p(x) = \text{ELBO} + \mathrm{KL}(q(z \mid x)\,\|\,p(z \mid x))$, checked on a model whose
#   $\log p(x)$ is known exactly;
# - why the best Gaussian with a diagonal covariance (a mean-field posterior) underestimates
#   the posterior's marginal variances, in numbers and in a picture;
# - the closed-form Gaussian KL, derived step by step from $\mathbb{E}[z^2] = \mu^2 + \sigma^2$
#   and the Gaussian entropy, with the right sign;
# - why the reparameterization gradient beats the score-function gradient;
# - why the encoder outputs a log-variance, and why the Bernoulli log-likelihood is a summed
#   binary cross-entropy.
#
# **What you'll need:** notebook 01 for the big picture, and this mathematics:
#
# - expectations and variances, the Gaussian density, logarithms;
# - Bayes' rule, $p(z \mid x) = p(x \mid z)\,p(z) / p(x)$;
# - Jensen's inequality and the KL divergence: both are stated in section 3, with the proof
#   that a KL divergence is never negative, so a first meeting with them is enough;
# - for the exact checks of section 4, matrix algebra: transpose, inverse, determinant,
#   quadratic forms $v^\top A v$, and a diagonal matrix $\mathrm{diag}(s^2)$.
#
# No neural network is trained: the models fitted here (probabilistic PCA) have closed-form
# solutions. The whole notebook runs in under a minute on one CPU core; most of that is the
# Monte Carlo ELBOs and importance sampling of section 4, whose digit and sample counts were
# chosen for speed (each says so where it is).

# %%
# On Colab: install vaebook once (Colab's own TensorFlow, Keras and NumPy stay); elsewhere: nothing.
import importlib.util, subprocess, sys
if "google.colab" in sys.modules and importlib.util.find_spec("vaebook") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/vaebook/vaebook"], check=True)

# %%
# vaebook comes first: importing it quiets TensorFlow's C++ start-up lines, which would
# otherwise appear under this cell when keras loads TensorFlow.
from vaebook.codes import encode
from vaebook.data import load_mnist
from vaebook.estimators import compare_estimators
from vaebook.evaluate import dataset_elbo_with_error, importance_log_likelihood
from vaebook.linear_gaussian import (fit_ppca, linear_gaussian_vae, mean_field_variances, widen_encoder,
                                     with_encoder_variances)
from vaebook.losses import bernoulli_log_likelihood, gaussian_kl, gaussian_kl_monte_carlo, gaussian_log_density
from vaebook.plotting import plot_mean_field

import keras
import matplotlib.pyplot as plt
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
# Two tools first.
#
# **Jensen's inequality.** $\log$ is concave: its graph bends down, so every chord between two
# points of it lies below it. For averages this means that the $\log$ of an average is at least
# the average of the $\log$s, $\log \frac{a + b}{2} \ge \frac{\log a + \log b}{2}$, and in
# general, for any positive random variable $Y$,
#
# $$\log \mathbb{E}[Y] \ \ge\ \mathbb{E}[\log Y],$$
#
# with equality only when $Y$ is constant.
#
# **The KL divergence.** The Kullback-Leibler divergence from a distribution $q$ to a
# distribution $p$ is the expected log-ratio of their densities, under $q$:
#
# $$\mathrm{KL}(q\,\|\,p) = \mathbb{E}_{z \sim q}\!\left[\log \frac{q(z)}{p(z)}\right] = \int q(z) \log \frac{q(z)}{p(z)}\, dz .$$
#
# It measures, in nats, how much worse $p$ describes samples of $q$ than $q$ itself does. It is
# not symmetric: $\mathrm{KL}(q\,\|\,p) \ne \mathrm{KL}(p\,\|\,q)$ in general. Split into two
# expectations, it is the **cross-entropy** $-\mathbb{E}_q[\log p(z)]$ minus the **entropy**
# $H(q) = -\mathbb{E}_q[\log q(z)]$; section 5 computes both for Gaussians.
#
# **A KL divergence is never negative** (Gibbs' inequality). Apply Jensen to $Y = p(z)/q(z)$,
# with $z \sim q$:
#
# $$-\mathrm{KL}(q\,\|\,p) = \mathbb{E}_q\!\left[\log \frac{p(z)}{q(z)}\right]
# \ \le\ \log \mathbb{E}_q\!\left[\frac{p(z)}{q(z)}\right] = \log \int q(z)\, \frac{p(z)}{q(z)}\, dz
# = \log \int p(z)\, dz = \log 1 = 0 .$$
#
# (If $p$ puts mass where $q$ has none, the integral over the $z$ that $q$ can draw is less than
# 1, and the inequality only gets stronger.) So $\mathrm{KL}(q\,\|\,p) \ge 0$, with equality
# only when $p(z)/q(z)$ is constant, that is when $q = p$.
#
# **The bound.** Multiply and divide by $q$ inside the integral, then use Jensen:
#
# $$\log p(x) = \log \mathbb{E}_{q(z \mid x)}\!\left[\frac{p(x \mid z)\, p(z)}{q(z \mid x)}\right]
# \ \ge\ \mathbb{E}_{q(z \mid x)}\!\left[\log \frac{p(x \mid z)\, p(z)}{q(z \mid x)}\right]
# = \underbrace{\mathbb{E}_{q}[\log p(x \mid z)]}_{\text{reconstruction}} - \underbrace{\mathrm{KL}(q(z \mid x)\,\|\,p(z))}_{\text{regularizer}} .$$
#
# The last step splits the $\log$ of the ratio into $\log p(x \mid z) + \log \frac{p(z)}{q(z \mid x)}$;
# the expectation of the second part is minus the KL divergence just defined. The right-hand
# side is the **evidence lower bound**, ELBO. The VAE maximises it over the decoder's $\theta$
# and the encoder's $\phi$ together; its negative is the training loss.
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
# The left side does not depend on $z$, so its expectation over $z \sim q(z \mid x)$ is itself.
# Take that expectation of both sides, term by term:
#
# $$\log p(x) = \underbrace{\mathbb{E}_q\big[\log p(x, z) - \log q(z \mid x)\big]}_{\text{ELBO}}
# \;+\; \underbrace{\mathbb{E}_q\big[\log q(z \mid x) - \log p(z \mid x)\big]}_{\mathrm{KL}(q(z \mid x)\,\|\,p(z \mid x))} .$$
#
# The first term is the ELBO of section 3: with $\log p(x, z) = \log p(x \mid z) + \log p(z)$ it
# is $\mathbb{E}_q[\log p(x \mid z)] - \mathrm{KL}(q(z \mid x)\,\|\,p(z))$. The second is, by definition,
# the KL divergence from $q(z \mid x)$ to the true posterior.
#
# So the gap between the ELBO and $\log p(x)$ is the KL divergence from the encoder's guess to
# the true posterior. A KL divergence is never negative (section 3), so the ELBO is a lower
# bound, and the gap is zero only when the encoder is exact.
# Maximising the ELBO therefore does two things at once: it raises $\log p(x)$ and it pulls
# $q(z \mid x)$ towards the true posterior.
#
# ### Checking it where $\log p(x)$ is exact
#
# For one model the integral *is* tractable: a linear decoder with Gaussian noise,
# $p(x \mid z) = \mathcal{N}(Wz + b, \sigma^2 I)$, which is probabilistic PCA. Then
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
# Which diagonal Gaussian is best? Write $m_p$ for the posterior mean and
# $\Lambda = M/\sigma^2$ for the posterior **precision**, the inverse of its covariance
# $\sigma^2 M^{-1}$. As a function of $z$, $\log p(x, z) = \log p(x) + \log p(z \mid x)$ is the
# log of a Gaussian density plus a constant, a quadratic:
#
# $$\log p(x, z) = -\tfrac12\, (z - m_p)^\top \Lambda\, (z - m_p) + \text{const},$$
#
# whose curvature (the matrix of second derivatives) is $-\Lambda = -M/\sigma^2$: minus the
# posterior precision. For $q = \mathcal{N}(m, \mathrm{diag}(s^2))$ the ELBO is
# $\mathbb{E}_q[\log p(x, z)]$ plus the entropy of $q$, $H(q) = \sum_j \tfrac12 \log(2\pi e\, s_j^2)$
# (section 5 derives it). Under $q$ the coordinates are independent, and each
# $\mathbb{E}_q[(z_j - a)^2] = (m_j - a)^2 + s_j^2$ (a squared offset plus the variance), so the
# cross terms of the quadratic see only the means, and the parts of the ELBO that depend on the
# variances are
#
# $$\sum_j \Big(-\frac{\Lambda_{jj}}{2}\, s_j^2 + \tfrac12 \log s_j^2\Big) + \text{const}.$$
#
# Each term is largest where its derivative in $s_j^2$, $-\tfrac12 \Lambda_{jj} + 1/(2 s_j^2)$, is
# zero:
#
# $$s_j^2 = \frac{1}{\Lambda_{jj}} = \frac{\sigma^2}{M_{jj}} .$$
#
# That is one over the diagonal of the posterior precision: the variance of $z_j$ when the
# other coordinates are held fixed. It is not the posterior's *marginal* variance
# $(\sigma^2 M^{-1})_{jj}$, and it is never larger, because for a Gaussian, knowing the other
# coordinates can only reduce the uncertainty about $z_j$; the two agree for every $j$ only
# when $M$ is diagonal. So the best mean-field posterior is too narrow; it **underestimates the
# marginal variances**. The reason is the direction of the KL: $\mathrm{KL}(q\,\|\,p)$ is an
# expectation under $q$ of $\log q - \log p$, so it charges heavily for $q$ putting mass where
# the posterior has little, and little for missing some of the posterior's mass. A diagonal
# $q$ cannot tilt along a correlated posterior; rather than spread over regions where the
# posterior has little mass, it shrinks to the posterior's width and gives up its length
# (the figure below shows it).
#
# Here are the numbers for this model and for the same fit with a 10-d latent space, next to
# a diagonal $q$ that copies the marginal variances instead:

# %%
def compare_diagonals(name, model):
    """Print the posterior's correlation and standard deviations against the two diagonal q's; return the correlations."""
    cov = model.posterior_covariance()
    true_std = np.sqrt(np.diag(cov))
    mean_field_std = np.sqrt(mean_field_variances(model))
    correlation = cov / np.outer(true_std, true_std) - np.eye(len(cov))  # off the diagonal only
    matched = with_encoder_variances(model, true_std**2)
    print(f"{name}, largest |posterior correlation| {np.abs(correlation).max():.2f}")
    print("  true posterior std:   ", true_std.round(4))
    print("  mean-field std:       ", mean_field_std.round(4))
    print(f"  mean-field std / true std: {(mean_field_std / true_std).min():.3f} to "
          f"{(mean_field_std / true_std).max():.3f}")
    print(f"  KL(q || p(z|x)) = log p(x) - ELBO: best diagonal {model.posterior_kl(x).mean():.4f}, "
          f"marginal variances {matched.posterior_kl(x).mean():.4f}")
    return correlation


ppca10 = fit_ppca(data.x_train, latent_dim=10, seed=0)
_ = compare_diagonals("latent_dim = 2", ppca)
correlation10 = compare_diagonals("latent_dim = 10", ppca10)

# %% [markdown]
# With 2 latent dimensions the posterior correlation is weak, so the mean-field standard
# deviations fall short only slightly and both diagonal choices leave almost the same gap.
# With 10 the correlations are stronger: every mean-field standard deviation is too small, and
# copying the true marginal variances gives a *lower* ELBO than the too-narrow mean-field
# variances. Maximising the ELBO finds the narrow ones. A VAE's diagonal encoder is trained on
# the same objective, so expect its variances to err in the same direction.
#
# ### The picture
#
# The left panel below shows the pair of latent dimensions of the 10-d model with the largest
# correlation (0.27 in size, printed above): the posterior's ellipse, one standard deviation
# from its mean, the best diagonal $q$ and the diagonal $q$ with the marginal variances. With
# a correlation this weak the three are close: the posterior's ellipse is slightly tilted, and
# the best diagonal $q$ slightly too narrow.
#
# A strongly correlated posterior arises when two latent dimensions explain the same thing.
# Give the 2-d model a decoder whose two columns draw nearly the same strokes, $w_0$ and
# $w_0 + \tfrac12 w_1$ (with $w_0, w_1$ the columns of the fitted $W$): an image with those
# strokes is then explained about as well by more $z_0$ and less $z_1$ as the other way round
# ("explaining away"), and the posterior stretches along a diagonal:

# %%
kernel, bias, noise_var = ppca.generative_parameters()  # kernel is W transposed: row j is the column w_j
overlapping = linear_gaussian_vae(np.stack([kernel[0], kernel[0] + 0.5 * kernel[1]], axis=1), bias, noise_var, seed=0)
_ = compare_diagonals("latent_dim = 2, columns w_0 and w_0 + w_1 / 2", overlapping)

# %%
i, j = np.unravel_index(np.argmax(np.abs(correlation10)), correlation10.shape)
pair = [i, j]
fig, axes = plt.subplots(1, 2, figsize=(11, 5.2))
plot_mean_field(ppca10.posterior_covariance()[np.ix_(pair, pair)], mean_field_variances(ppca10)[pair], dims=pair,
                ax=axes[0], title=f"10-d PPCA: $z_{{{i}}}$ and $z_{{{j}}}$, the most correlated pair")
plot_mean_field(overlapping.posterior_covariance(), mean_field_variances(overlapping), ax=axes[1],
                title="2-d, columns $w_0$ and $w_0 + w_1/2$")
fig.tight_layout()
plt.show()

# %% [markdown]
# On the right is the standard picture of mean-field inference. The posterior is a long
# tilted ellipse (correlation 0.86 in size). The best diagonal $q$ is a small axis-aligned
# ellipse at its centre, as wide as the posterior along each axis (the two curves meet on the
# axes), missing most of the posterior's length, with standard deviations about half the
# marginal ones (0.505 of them, printed above). The diagonal $q$ with the marginal variances
# covers the posterior's length, but puts much of its mass in the upper-right and lower-left
# corners, where the posterior has little; its gap, $\mathrm{KL}(q\,\|\,p(z \mid x))$, is
# 2.24 nats per image against the best diagonal's 0.68.
#
# ### A worse encoder, and importance sampling
#
# Now make the encoder worse on purpose, with every variance three times too large.
# `widen_encoder` returns a new model and leaves `ppca` as it was, so re-running the cell gives
# the same numbers. The gap opens, and the identity still holds. The importance-sampled
# estimate of notebook 05, $\log \frac{1}{k}\sum_i p(x, z_i) / q(z_i \mid x)$ with $z_i \sim q(z \mid x)$,
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
# Take one latent dimension first: $q = \mathcal{N}(\mu, \sigma^2)$ and $p = \mathcal{N}(0, 1)$.
# Their log-densities are
#
# $$\log q(z) = -\tfrac12 \log(2\pi\sigma^2) - \frac{(z - \mu)^2}{2\sigma^2}, \qquad
# \log p(z) = -\tfrac12 \log(2\pi) - \frac{z^2}{2} .$$
#
# The KL divergence of section 3 is $\mathbb{E}_q[\log q(z)] - \mathbb{E}_q[\log p(z)]$, and two
# expectations under $q$ are all it needs:
#
# - $\mathbb{E}_q[(z - \mu)^2] = \sigma^2$: the definition of the variance;
# - $\mathbb{E}_q[z^2] = \mu^2 + \sigma^2$: the variance is $\sigma^2 = \mathbb{E}_q[z^2] - (\mathbb{E}_q[z])^2 = \mathbb{E}_q[z^2] - \mu^2$.
#
# With the first, the **entropy** of $q$ is
#
# $$H(q) = -\mathbb{E}_q[\log q(z)] = \tfrac12 \log(2\pi\sigma^2) + \frac{\sigma^2}{2\sigma^2} = \tfrac12 \log(2\pi e\, \sigma^2);$$
#
# with the second, the **cross-entropy** of $p$ under $q$ is
#
# $$-\mathbb{E}_q[\log p(z)] = \tfrac12 \log(2\pi) + \tfrac12 (\mu^2 + \sigma^2).$$
#
# The KL is the cross-entropy minus the entropy. The $\log 2\pi$ terms cancel:
#
# $$\mathrm{KL}(q\,\|\,p) = \tfrac12 \log(2\pi) + \tfrac12(\mu^2 + \sigma^2) - \tfrac12 \log(2\pi\sigma^2) - \tfrac12
# = \tfrac12\left(\mu^2 + \sigma^2 - 1 - \log \sigma^2\right).$$
#
# In $d$ dimensions, with $q = \mathcal{N}(\mu, \mathrm{diag}(\sigma^2))$ and $p = \mathcal{N}(0, I)$, both
# densities are products over the coordinates, so their logs are sums and so is the KL:
#
# $$\mathrm{KL}(q\,\|\,p) = \sum_{j=1}^{d} \tfrac12\left(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\right)
# = -\tfrac12 \sum_{j=1}^{d} \left(1 + \log \sigma_j^2 - \mu_j^2 - \sigma_j^2\right).$$
#
# Each term is $\ge 0$, as section 3 showed any KL divergence must be: $\mu_j^2 \ge 0$, and
# $\sigma^2 - 1 - \log \sigma^2 \ge 0$ for every $\sigma^2 > 0$ because $\log t \le t - 1$ (the
# concave $\log$ lies below its tangent at $t = 1$), with equality only at $\sigma^2 = 1$. The KL
# is 0 exactly when $\mu = 0$ and $\sigma^2 = 1$.
#
# $\mathbb{E}_q[z^2]$, the entropy and the cross-entropy, checked by sampling a million draws of
# $z$ for $\mu = 1$, $\sigma = 0.5$ (each $\pm$ is one standard error):

# %%
mu, sigma = 1.0, 0.5
z = np.random.default_rng(0).normal(mu, sigma, size=(1_000_000, 1))
minus_log_q = -ops.convert_to_numpy(gaussian_log_density(z, mu, np.log(sigma**2)))
minus_log_p = -ops.convert_to_numpy(gaussian_log_density(z, 0.0, 0.0))
for name, draws, formula in [
    ("E[z^2]", z[:, 0] ** 2, mu**2 + sigma**2),
    ("entropy -E[log q(z)]", minus_log_q, 0.5 * np.log(2 * np.pi * np.e * sigma**2)),
    ("cross-entropy -E[log p(z)]", minus_log_p, 0.5 * np.log(2 * np.pi) + 0.5 * (mu**2 + sigma**2)),
]:
    print(f"{name:>27}: sampled {draws.mean():.4f} +- {draws.std() / np.sqrt(len(draws)):.4f}, formula {formula:.4f}")

# %% [markdown]
# Each sampled value lies within two standard errors of its formula.

# %% [markdown]
# **Mind the sign.** The second form of the KL is the one usually written in code, and its
# leading minus sign is easy to lose. In the Keras 2 style of building the loss, with
# `add_loss` on symbolic tensors (notebook 03 shows why that fails in Keras 3), the slip looks
# like this:
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
# The ELBO is an expectation over $z \sim q_\phi(z \mid x)$, and we need its gradient with respect to
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
print("Bernoulli formula (vaebook): ", ours.round(2))
print("-784 * Keras BCE (a mean):   ", (-784 * keras_mean).round(2))

# %% [markdown]
# The two agree (up to float32 rounding). Using the mean instead of the sum would shrink the
# reconstruction term 784 times against the KL term: notebook 03 puts a number on it.
#
# ## Summary
#
# - $\log p(x)$ needs an integral over all codes; the encoder $q_\phi(z \mid x)$ makes the problem
#   tractable.
# - $\mathrm{KL}(q\,\|\,p) = \mathbb{E}_q[\log q(z) - \log p(z)]$ is never negative (Jensen's inequality)
#   and is 0 only when $q = p$.
# - ELBO $= \mathbb{E}_q[\log p(x \mid z)] - \mathrm{KL}(q(z \mid x)\,\|\,p(z)) \le \log p(x)$, by Jensen, and
#   exactly $\log p(x) - \mathrm{KL}(q(z \mid x)\,\|\,p(z \mid x))$: add and subtract $\log q(z \mid x)$, then take
#   the expectation. On probabilistic PCA, where $\log p(x)$ and the posterior are exact, ELBO + KL
#   matches $\log p(x)$, and importance sampling closes the gap as $k$ grows.
# - The best diagonal Gaussian has variances $\sigma^2/M_{jj}$, one over the diagonal of the
#   posterior precision $M/\sigma^2$: a mean-field posterior underestimates the marginal
#   variances whenever the posterior is correlated, and the stronger the correlation, the
#   more.
# - $\mathrm{KL}(q\,\|\,\mathcal{N}(0, I)) = -\tfrac12\sum_j(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2) \ge 0$,
#   the cross-entropy minus the entropy, from $\mathbb{E}_q[z^2] = \mu^2 + \sigma^2$ and
#   $H(q) = \tfrac12\log(2\pi e\,\sigma^2)$ per dimension: the minus sign matters.
# - The reparameterization $z = \mu + \sigma\varepsilon$ gives low-variance gradients; the
#   encoder outputs $\log\sigma^2$ so that the variance is always positive.
# - The Bernoulli log-likelihood is minus the binary cross-entropy **summed** over pixels (a
#   log-likelihood for binary pixels; on grey levels, the same formula is a training objective).
#
# Next: [03_keras_vae.ipynb](03_keras_vae.ipynb), where these formulas become a Keras 3 model.

# %% [markdown]
# ## Exercises
#
# Four exercises, from a warm-up to the score-function estimator, two of them with a derivation on
# paper. This section runs on its own: its first cell loads everything the exercises use, so after
# a restart you can run it from here (the grader runs only this section). Write each answer where
# the `...` stands, with NumPy (the inputs are NumPy arrays); the cell under it checks your answer
# on the spot and prints one line: right, not done yet, or not right yet, with a hint where it
# recognises a typical mistake. The checker compares your function with a reference computed
# inside `vaebook.exercises` on test inputs of its own, so any correct way of writing it passes,
# and it refuses a function that merely calls vaebook's own implementation. Derivations go in the
# cells that say *Your answer here*, in LaTeX (`$...$`); your teacher grades them with the answer
# key. Points are in brackets.

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
# only when $q = p$; and check that for $p = \mathcal{N}(0, 1)$ you get the one-dimensional
# formula of section 5.

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
