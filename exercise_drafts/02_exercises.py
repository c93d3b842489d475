# %% [markdown]
# ## Exercises
#
# Four exercises, from a warm-up to the hardest, checked as in notebook 01: the checker runs
# your function on random inputs and compares the results with a reference solution (in
# `vaebook/solutions.py`; try first), so any correct way of writing it passes. Write the
# functions with NumPy (or `keras.ops`); the inputs are NumPy arrays.
#
# **Exercise 1 (warm-up, code).** Write the closed-form KL of section 5,
# `kl_to_prior(mean, log_var)`: for `mean` and `log_var` of shape (N, latent_dim), return
# $\mathrm{KL}(\mathcal{N}(\mu, \mathrm{diag}(\sigma^2))\,\|\,\mathcal{N}(0, I))$ for each of the N
# rows, an array of shape (N,). Mind the sign.

# %%
from vaebook import exercises


def kl_to_prior(mean, log_var):
    ...  # your code here


exercises.check_kl_to_prior(kl_to_prior)

# %% [markdown]
# **Exercise 2 (a number).** Use your `kl_to_prior` on the PPCA encoder: `ppca.encode(x)`
# returns the mean and the log-variance of q(z|x) for the 500 digits in `x`. How many nats does
# the KL term cost per digit, on average? (The checker accepts your number within 0.01.)

# %%
kl_answer = ...  # your number

exercises.check_mean_kl_to_prior(kl_answer, ppca, x)

# %% [markdown]
# **Exercise 3 (code).** Write the reparameterization of section 6,
# `reparameterize(mean, log_var, eps)`: the code z drawn from
# $\mathcal{N}(\mu, \mathrm{diag}(\sigma^2))$ for a given standard normal noise `eps` (all three
# arrays of one shape). Use the `eps` you are given; draw no noise of your own.

# %%
def reparameterize(mean, log_var, eps):
    ...  # your code here


exercises.check_reparameterize(reparameterize)

# %% [markdown]
# **Exercise 4 (harder, code).** Write the score-function estimate of section 6,
# `score_function_gradient(f, mu, sigma, eps)`: from the draws $z = \mu + \sigma\varepsilon$
# (`eps` is an array of standard normal draws), estimate
# $\frac{d}{d\mu}\mathbb{E}_{z \sim \mathcal{N}(\mu, \sigma^2)}[f(z)]$ using only values of `f`
# (a function that takes and returns arrays), and return one number. You need
# $\frac{d}{d\mu} \log \mathcal{N}(z; \mu, \sigma^2)$; derive it first. Then try your estimate on
# `f = lambda z: -(z - 2)**2 / 2` with `mu = 0.5`, `sigma = 1`: does it come near 1.5?

# %%
def score_function_gradient(f, mu, sigma, eps):
    ...  # your code here


exercises.check_score_function_gradient(score_function_gradient)
