# %% [markdown]
# ## Exercises
#
# Three exercises, from a warm-up to a harder one, checked as before: one line says right,
# not done yet, or what is off (the answers are in `vaebook/solutions.py`; try first).
#
# **Exercise 1 (warm-up, code).** Write the interpolation of this notebook,
# `line_between(z_start, z_end, steps)`: `steps` codes evenly spaced on the straight line from
# `z_start` to `z_end` (two codes of shape (latent_dim,)), both ends included, as an array of
# shape (steps, latent_dim).

# %%
from vaebook import exercises


def line_between(z_start, z_end, steps):
    ...  # your code here


exercises.check_line_between(line_between)

# %% [markdown]
# **Exercise 2 (code).** Write the axis of the quantile grid, `prior_quantiles(n, eps)`: the
# values $\Phi^{-1}(p)$ for `n` probabilities p evenly spaced from `eps` to `1 - eps`, with
# $\Phi$ the standard normal CDF, in increasing order. `statistics.NormalDist().inv_cdf` or
# `scipy.stats.norm.ppf` gives $\Phi^{-1}$. Why does the grid stop at `eps` rather than 0?

# %%
def prior_quantiles(n, eps):
    ...  # your code here


exercises.check_prior_quantiles(prior_quantiles)

# %% [markdown]
# **Exercise 3 (harder, a number).** The samples above had too many 0s. Put a number on it:
# decode the 200 prior samples `prior_samples(200, latent_dim=2, seed=0)` with `vae`, read them
# with `read`, and give the share read as 0 (a number between 0 and 1; an even mix of digits
# would give about 0.1). The checker accepts it within 0.001.

# %%
zero_share_answer = ...  # your number

exercises.check_share_read_as_zero(zero_share_answer, vae, read)
