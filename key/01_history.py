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
# Four exercises, from a warm-up to a written one. This section runs on its own: its first cell
# loads everything the exercises use, so after a restart you can run it from here (the grader
# runs only this section). Write each answer where the `...` stands; the cell under it checks
# your answer on the spot and prints one line: right, not done yet, or a hint at what is off.
# The checker compares your answer with a reference computed inside `vaebook.exercises`, so any
# correct way of writing it passes, and it refuses a function that merely calls vaebook's own
# implementation. Written answers go in the cells that say *Your answer here*; your teacher grades
# them with the answer key. Points are in brackets.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from vaebook import exercises, pretrained
from vaebook.codes import encode
from vaebook.data import load_mnist

data = load_mnist()
vae = pretrained.model_for("mlp_beta1", data)
vae_codes = encode(vae, data.x_test)[0]  # the VAE's code of each test digit (its encoder mean), shape (1000, 2)

# %% [markdown]
# **Exercise 1 (warm-up, code) [2 points].** Write `share_within(codes, radius)`: the share of the
# codes, an array of shape (N, latent_dim), whose distance from the origin,
# $\|z\| = \sqrt{z_0^2 + z_1^2 + \dots}$, is at most `radius`. Return one number between 0 and 1.

# %% nbgrader={"grade": false, "grade_id": "ex1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def share_within(codes, radius):
    ### BEGIN SOLUTION
    distances = np.sqrt(np.sum(np.square(codes), axis=1))
    return float(np.mean(distances <= radius))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex1_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_share_within(share_within)
### BEGIN HIDDEN TESTS
exercises.require("share_within")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 2 (a number) [2 points].** Under the prior $\mathcal{N}(0, I)$ in two dimensions a
# share $1 - e^{-1/2}$ of the codes lies within radius 1 of the origin. What share of the VAE's
# test codes, `vae_codes`, lies there? Replace the `...` with your number (an expression, or a
# name you compute above it in this cell); within 0.001 counts as right.

# %% nbgrader={"grade": false, "grade_id": "ex2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
share_answer = (
    ### BEGIN SOLUTION
    share_within(vae_codes, 1.0)
    ### END SOLUTION
)

# %% nbgrader={"grade": true, "grade_id": "ex2_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_vae_share_within_one(share_answer, vae, data.x_test)
### BEGIN HIDDEN TESTS
exercises.require("vae_share_within_one")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 3 (a number) [2 points].** The dashed circle of the notebook holds 95% of the prior's
# samples. Which radius holds 95% of the VAE's test codes? Give the 0.95 quantile of their
# distances from the origin (NumPy's `np.quantile`, default method); within 0.01 counts as right.

# %% nbgrader={"grade": false, "grade_id": "ex3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
radius_answer = (
    ### BEGIN SOLUTION
    np.quantile(np.linalg.norm(vae_codes, axis=1), 0.95)
    ### END SOLUTION
)

# %% nbgrader={"grade": true, "grade_id": "ex3_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_vae_radius_95(radius_answer, vae, data.x_test)
### BEGIN HIDDEN TESTS
exercises.require("vae_radius_95")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 4 (written) [3 points].** (a) Set your answers to exercises 2 and 3 next to the
# prior's ($1 - e^{-1/2}$ within radius 1; 95% within the dashed circle): is the VAE's code cloud
# more or less concentrated near the origin than the prior, and which parts of the cloud do
# samples $z \sim \mathcal{N}(0, I)$ rarely reach? (b) In three or four sentences: why does
# decoding $z \sim \mathcal{N}(0, I)$ not give new digits from the autoencoder, and what does the
# KL term change?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex4_written", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# <!-- BEGIN SOLUTION -->
# **Model answer.** (a) Less concentrated: a smaller share of the VAE's codes than of the prior's
# lies within radius 1, and the radius that holds 95% of them is larger than the prior's (the
# notebook's spreads per axis, above 1, say the same). Samples from the prior fall mostly in the
# inner part of the cloud; the outer codes, beyond the dashed circle, are rarely sampled, so the
# digits encoded there come up less often than in the data. [1 point for the direction with the
# two numbers, 1 for the consequence for sampling.]
#
# (b) Nothing ties the autoencoder's codes to $\mathcal{N}(0, I)$: their scale and position are an
# accident of training, so prior samples land in a small patch of the code cloud (or outside it),
# where the decoder only ever saw a few digits or none, and decode to the same blurred blend. The
# KL term $\mathrm{KL}(q(z|x)\,\|\,p(z))$ charges every code for straying from the prior, so the
# encoded digits sit on the prior's scale and the prior's samples land where the decoder has
# learned to draw digits: the latent space becomes samplable. [1 point; a full answer names the
# scale/position and the KL's pull towards the prior.]
# <!-- END SOLUTION -->
