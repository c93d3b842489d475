# %% [markdown]
# ## Exercises
#
# Three exercises, from a warm-up to a harder one. After each, a checker from
# `vaebook.exercises` prints one line: right, not done yet, or a hint at what is off. It tests
# your function on random inputs, or compares your number with the one computed from the same
# model and data. The answers are in `vaebook/solutions.py`; try first.
#
# **Exercise 1 (warm-up, code).** Write `share_within(codes, radius)`: the share of the
# codes, an array of shape (N, latent_dim), whose distance from the origin,
# $\|z\| = \sqrt{z_0^2 + z_1^2 + \dots}$, is at most `radius`. Return one number between 0 and 1.

# %%
from vaebook import exercises


def share_within(codes, radius):
    ...  # your code here


exercises.check_share_within(share_within)

# %% [markdown]
# **Exercise 2 (a number).** The prior N(0, I) puts $1 - e^{-1/2} \approx 39\%$ of its samples
# within radius 1 of the origin. What share of the VAE's test codes, `codes["VAE (beta = 1)"]`,
# lies there? Is the VAE's code cloud more or less concentrated near 0 than the prior?
# Give the share as a number between 0 and 1; the checker accepts it within 0.001.

# %%
share_answer = ...  # your number

exercises.check_vae_share_within_one(share_answer, vae, data.x_test)

# %% [markdown]
# **Exercise 3 (harder, a number).** The dashed circle's radius, 2.45, came from a chi-square
# quantile. Find it by sampling instead: draw `z = prior_samples(100_000, latent_dim=2, seed=0)`
# and find the radius within which 95% of these codes lie. Answers within 0.02 of the exact
# radius count as right. (Why is it larger than 1.96, the familiar 95% bound of one Gaussian
# coordinate?)

# %%
radius_answer = ...  # your number

exercises.check_prior_radius_estimate(radius_answer)
