# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: nbgrader,-all
#     formats: py:percent
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

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
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

# %% nbgrader={"grade": false, "grade_id": "ex1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reparameterize(mean, log_var, eps):
    ### BEGIN SOLUTION
    return mean + np.exp(0.5 * log_var) * eps
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex1_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_reparameterize(reparameterize)
### BEGIN HIDDEN TESTS
exercises.require("reparameterize")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 2 (derivation) [4 points].** Derive the KL divergence between two one-dimensional
# Gaussians, $q = \mathcal{N}(\mu_q, \sigma_q^2)$ and $p = \mathcal{N}(\mu_p, \sigma_p^2)$:
# write $\log q(z) - \log p(z)$ and take its expectation under $q$, using
# $\mathbb{E}_q[(z - \mu_q)^2] = \sigma_q^2$. Then show that the result is never negative, and 0
# only when $q = p$; and check that for $p = \mathcal{N}(0, 1)$ you get the one-dimensional
# formula of section 5.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex2_written", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# <!-- BEGIN SOLUTION -->
# **Model answer.** With $\log \mathcal{N}(z; \mu, \sigma^2) = -\tfrac12 \log(2\pi\sigma^2) - \frac{(z - \mu)^2}{2\sigma^2}$,
#
# $$\log q(z) - \log p(z) = \tfrac12 \log \frac{\sigma_p^2}{\sigma_q^2} - \frac{(z - \mu_q)^2}{2\sigma_q^2} + \frac{(z - \mu_p)^2}{2\sigma_p^2}.$$
#
# Under $q$, $\mathbb{E}_q[(z - \mu_q)^2] = \sigma_q^2$ and, writing $z - \mu_p = (z - \mu_q) + (\mu_q - \mu_p)$
# (the cross term has mean 0), $\mathbb{E}_q[(z - \mu_p)^2] = \sigma_q^2 + (\mu_q - \mu_p)^2$. So
#
# $$\mathrm{KL}(q\,\|\,p) = \tfrac12 \left[\log \frac{\sigma_p^2}{\sigma_q^2} + \frac{\sigma_q^2 + (\mu_q - \mu_p)^2}{\sigma_p^2} - 1\right]. \quad [2 \text{ points}]$$
#
# **Never negative.** With $t = \sigma_q^2 / \sigma_p^2 > 0$ it is
# $\tfrac12\big[(t - 1 - \log t) + (\mu_q - \mu_p)^2 / \sigma_p^2\big]$. Since $\log t \le t - 1$ (the
# logarithm is concave and touches its tangent at $t = 1$ only), the first bracket is $\ge 0$, with
# equality only at $t = 1$; the second is $\ge 0$, with equality only at $\mu_q = \mu_p$. So
# $\mathrm{KL} \ge 0$ [1 point], and $= 0$ exactly when $\sigma_q = \sigma_p$ and $\mu_q = \mu_p$,
# that is when $q = p$.
#
# **The check.** With $\mu_p = 0$, $\sigma_p^2 = 1$ and $q = \mathcal{N}(\mu, \sigma^2)$:
# $\tfrac12 (\mu^2 + \sigma^2 - 1 - \log \sigma^2) = -\tfrac12 (1 + \log\sigma^2 - \mu^2 - \sigma^2)$,
# the one-dimensional formula of section 5. [1 point for the equality case and the check]
# <!-- END SOLUTION -->

# %% [markdown]
# **Exercise 3 (code, then a number) [3 + 2 points].** (a) Turn your derivation into code:
# `kl_diagonal(mean_q, log_var_q, mean_p, log_var_p)`, the KL from
# $q = \mathcal{N}(\mu_q, \mathrm{diag}(\sigma_q^2))$ to $p = \mathcal{N}(\mu_p, \mathrm{diag}(\sigma_p^2))$ for
# each of the N rows of the four arrays of shape (N, latent_dim) (the log-variances hold
# $\log \sigma^2$): return shape (N,).

# %% nbgrader={"grade": false, "grade_id": "ex3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def kl_diagonal(mean_q, log_var_q, mean_p, log_var_p):
    ### BEGIN SOLUTION
    variance_ratio = np.exp(log_var_q - log_var_p)
    mean_term = (mean_q - mean_p) ** 2 / np.exp(log_var_p)
    return 0.5 * np.sum(log_var_p - log_var_q + variance_ratio + mean_term - 1.0, axis=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex3_check", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
exercises.check_kl_diagonal(kl_diagonal)
### BEGIN HIDDEN TESTS
exercises.require("kl_diagonal")
### END HIDDEN TESTS

# %% [markdown]
# (b) How many nats does the KL term cost per digit, on average, for the probabilistic PCA of
# section 4? Fit it, `ppca = fit_ppca(data.x_train, latent_dim=2, seed=0)` (a few seconds);
# `encode(ppca, x)` returns the mean and log-variance of $q(z|x)$ for the 500 digits in `x`, and
# the prior is $\mathcal{N}(0, I)$. Within 0.01 counts as right.

# %% nbgrader={"grade": false, "grade_id": "ex3b_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
kl_answer = (
    ### BEGIN SOLUTION
    np.mean(kl_diagonal(*encode(fit_ppca(data.x_train, latent_dim=2, seed=0), x), 0.0, 0.0))
    ### END SOLUTION
)

# %% nbgrader={"grade": true, "grade_id": "ex3b_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_mean_kl_to_prior(kl_answer, x)
### BEGIN HIDDEN TESTS
exercises.require("mean_kl_to_prior")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 4 (derivation, then code) [3 + 3 points].** (a) Derive the score-function identity
# of section 6 for $q_\mu = \mathcal{N}(\mu, \sigma^2)$:
# $\frac{d}{d\mu}\mathbb{E}_{q_\mu}[f(z)] = \mathbb{E}_{q_\mu}\!\big[f(z)\, \frac{d}{d\mu} \log q_\mu(z)\big]$, say
# which step needs an assumption on $f$, and compute $\frac{d}{d\mu} \log q_\mu(z)$. Then show that
# subtracting a constant $b$ from $f$ (a *baseline*) leaves the expectation unchanged.

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex4_written", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# <!-- BEGIN SOLUTION -->
# **Model answer.** Write the expectation as an integral and differentiate under it (this is the step
# that needs $f$ to be integrable against $q_\mu$ and its derivative in $\mu$, which holds for $f$ that
# grows slower than $e^{z^2/(2\sigma^2)}$; dominated convergence):
#
# $$\frac{d}{d\mu} \int f(z)\, q_\mu(z)\, dz = \int f(z)\, \frac{d q_\mu(z)}{d\mu}\, dz = \int f(z)\, q_\mu(z)\, \frac{d \log q_\mu(z)}{d\mu}\, dz = \mathbb{E}_{q_\mu}\!\Big[f(z)\, \frac{d}{d\mu}\log q_\mu(z)\Big],$$
#
# using $\frac{dq}{d\mu} = q\, \frac{d \log q}{d\mu}$. Only values of $f$ appear, never its slope. [1 point]
# With $\log q_\mu(z) = -\tfrac12 \log(2\pi\sigma^2) - (z - \mu)^2 / (2\sigma^2)$, the score is
# $\frac{d}{d\mu} \log q_\mu(z) = (z - \mu)/\sigma^2$, so the Monte Carlo estimate from draws
# $z_i = \mu + \sigma\varepsilon_i$ is $\frac1n \sum_i f(z_i)\,(z_i - \mu)/\sigma^2$. [1 point]
#
# **Baseline.** The score has mean zero: $\mathbb{E}_{q_\mu}[\frac{d}{d\mu}\log q_\mu] = \int \frac{dq_\mu}{d\mu} dz = \frac{d}{d\mu} \int q_\mu\, dz = \frac{d}{d\mu} 1 = 0$.
# So $\mathbb{E}[(f(z) - b)\frac{d}{d\mu}\log q_\mu(z)] = \mathbb{E}[f(z)\frac{d}{d\mu}\log q_\mu(z)]$ for any $b$
# that does not depend on $z$. A good $b$ (near $\mathbb{E}[f]$) lowers the variance. A baseline
# computed from the same draw it multiplies (the plain mean of the $f(z_i)$ over all draws) is
# correlated with that draw's score and biases the estimate, by a factor $1 - 1/n$; leaving draw
# $i$ out of its own baseline keeps it unbiased. [1 point]
# <!-- END SOLUTION -->

# %% [markdown]
# (b) Write the estimate, `score_function_gradient(f, mu, sigma, eps)`: from the draws
# $z = \mu + \sigma\varepsilon$ (`eps`, an array of standard normal draws) estimate
# $\frac{d}{d\mu}\mathbb{E}_{z \sim \mathcal{N}(\mu, \sigma^2)}[f(z)]$ using only values of `f` (a
# function that takes and returns arrays), and return one number. A baseline is welcome, as long
# as the estimate stays unbiased. Try it on `f = lambda z: -(z - 2)**2 / 2` with `mu = 0.5`,
# `sigma = 1`, whose exact gradient section 6 gives.

# %% nbgrader={"grade": false, "grade_id": "ex4b_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def score_function_gradient(f, mu, sigma, eps):
    ### BEGIN SOLUTION
    z = mu + sigma * np.asarray(eps)
    return float(np.mean(f(z) * (z - mu) / sigma**2))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex4b_check", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
exercises.check_score_function_gradient(score_function_gradient)
### BEGIN HIDDEN TESTS
exercises.require("score_function_gradient")
### END HIDDEN TESTS
