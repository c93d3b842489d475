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
# loads everything the exercises use, so after a restart you can run it from here (the grader runs
# only this section). Write each answer where the `...` stands; the cell under it checks your
# answer on the spot and prints one line: right, not done yet, or not right yet, with a hint where
# it recognises a typical mistake. The checker compares your answer with a reference computed
# inside `vaebook.exercises`, so any correct way of writing it passes, and it refuses a function
# that merely calls vaebook's own implementation. Written answers go in the cells that say *Your
# answer here*; your teacher grades them with the answer key. Points are in brackets.

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
# **Exercise 4 (written) [3 points].** Answer from your own numbers of exercises 2 and 3.
# (a) Set them next to the prior's, a share $1 - e^{-1/2} \approx 0.39$ within radius 1 and 95%
# within radius 2.45, and say what each comparison shows about the VAE's code cloud. (b) In two dimensions the prior puts a share $1 - e^{-r^2/2}$ of its samples within
# radius $r$. With $r$ your radius of exercise 3: what share of the prior's samples lands beyond
# it, where 5% of the VAE's test codes lie? How does the rate at which prior samples reach that
# outer part of the cloud compare with the test digits' (a ratio), and what does that mean
# for the digits encoded there? (c) A prediction: the same network trained with the KL term
# weighted four times as much ($\beta = 4$). Would your two numbers move towards the prior's or
# away from them? Say why in one or two sentences. (You may check your prediction with
# `pretrained.model_for("mlp_beta4", data)` and your `share_within`; the reasoning earns the
# point, not the check.)

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex4_written", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# <!-- BEGIN SOLUTION -->
# **Model answer.** (Numbers for the shipped model: 0.278 within radius 1, and a 95% radius of
# 3.80.) (a) Less concentrated: a smaller share of the VAE's codes than of the prior's samples
# lies within radius 1 (0.28 against 0.39), and the radius that holds 95% of them is larger than
# the prior's (3.80 against 2.45). [1 point for the direction, backed by both numbers.]
#
# (b) $1 - e^{-3.80^2/2} \approx 0.9993$: only about 0.07% of the prior's samples land beyond
# radius 3.80, where 5% of the test codes lie, so sampling reaches that outer part of the cloud
# about 70 times less often than the data does (5% / 0.07%). The digits encoded out there (the
# page found mostly 0s, 1s and 7s on the rim) are generated far less often than they occur, and
# their outermost styles almost never. [1 point for the share from the student's own radius and
# the ratio, with the consequence for sampling; accept any ratio consistent with their numbers.]
#
# (c) Towards the prior's: a larger $\beta$ charges more for every $q(z|x)$ that strays from
# $\mathcal{N}(0, I)$, so the encoder means are pulled towards the origin (and the encoder's
# variances towards 1); the cloud of means shrinks, the share within radius 1 rises and the 95%
# radius falls. The shipped $\beta = 4$ model gives 0.36 and 2.56. A full answer may add that the
# means can overshoot: with a very large $\beta$ each $q(z|x)$ approaches the prior itself and the
# means crowd near 0, more concentrated than the prior's samples. [1 point for the direction with
# the KL's pull as the reason.]
# <!-- END SOLUTION -->
