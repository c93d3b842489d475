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
# Four exercises on what the size of the latent space changes, from a warm-up to a written one.
# Besides the 2-d model of this notebook they use the series' 50-d model, `model_50d`: an MLP VAE
# with 50 latent dimensions, trained on binarized digits (in every batch, each pixel of each
# training image drawn afresh as black or white, on with its grey level as probability; notebook
# 05 says why, and evaluates the model's log-likelihood). This section runs on its own: its first cell loads everything the exercises use, so
# after a restart you can run it from here (the grader runs only this section). Write each answer
# where the `...` stands; the cell under it checks your answer on the spot and prints one line:
# right, not done yet, or not right yet, with a hint where it recognises a typical mistake. The
# checker compares your answer with a reference computed inside `vaebook.exercises`, so any
# correct way of writing it passes, and it refuses a function that merely calls vaebook's own
# implementation. Written answers go in the cells that say *Your answer here*; your teacher grades
# them with the answer key. Points are in brackets.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from vaebook import exercises, pretrained
from vaebook.codes import decode, encode
from vaebook.data import load_mnist
from vaebook.latent import prior_samples

data = load_mnist()
vae = pretrained.model_for("main", data)
binary = load_mnist(binarization="dynamic")
model_50d = pretrained.model_for("likelihood_50d", binary)

# %% [markdown]
# **Exercise 1 (warm-up, code) [2 points].** Write `log_prior_density(z)`: the log-density of the
# prior, $\log \mathcal{N}(z; 0, I)$, of each code (row) of `z`, an array of shape (N, latent_dim);
# return shape (N,).

# %% nbgrader={"grade": false, "grade_id": "ex1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def log_prior_density(z):
    ### BEGIN SOLUTION
    z = np.asarray(z, np.float64)
    return -0.5 * np.sum(z**2, axis=1) - 0.5 * z.shape[1] * np.log(2 * np.pi)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex1_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_log_prior_density(log_prior_density)
### BEGIN HIDDEN TESTS
exercises.require("log_prior_density")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 2 (code) [3 points].** The interpolation of this notebook walks a straight line.
# Write *spherical* interpolation, `slerp(z_start, z_end, steps)`: with $\Omega$ the angle between
# the two codes ($\cos \Omega = z_a \cdot z_b / (\|z_a\|\,\|z_b\|)$) and `steps` values of $t$ evenly
# spaced from 0 to 1 (both ends included), the codes
#
# $$z(t) = \frac{\sin((1 - t)\,\Omega)}{\sin \Omega}\, z_a + \frac{\sin(t\,\Omega)}{\sin \Omega}\, z_b,$$
#
# as an array of shape (steps, latent_dim). (Two codes pointing in the same or opposite
# directions have $\sin \Omega = 0$; the checker does not ask for them.)

# %% nbgrader={"grade": false, "grade_id": "ex2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def slerp(z_start, z_end, steps):
    ### BEGIN SOLUTION
    a, b = np.asarray(z_start, np.float64), np.asarray(z_end, np.float64)
    cos_omega = np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0)
    omega = np.arccos(cos_omega)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2_check", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
exercises.check_slerp(slerp)
### BEGIN HIDDEN TESTS
exercises.require("slerp")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 3 (a number) [2 points].** Does the 50-d model use all its dimensions? Burda et al.
# (2015) call latent dimension $j$ *active* when its encoder mean varies across the data:
# $\mathrm{Var}_x\big(\mathbb{E}_{q(z|x)}[z_j]\big) > 0.01$. Count the active dimensions of
# `model_50d` on the binarized test digits, `binary.x_test` (`encode` gives the encoder means).
# The answer is a whole number.

# %% nbgrader={"grade": false, "grade_id": "ex3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
active_answer = (
    ### BEGIN SOLUTION
    int(np.sum(encode(model_50d, binary.x_test)[0].var(axis=0) > 0.01))
    ### END SOLUTION
)

# %% nbgrader={"grade": true, "grade_id": "ex3_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_active_units(active_answer, model_50d, binary.x_test)
### BEGIN HIDDEN TESTS
exercises.require("active_units")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 4 (written) [4 points].** What does the latent size change? (a) Draw codes from the
# 50-d prior with `prior_samples(1000, latent_dim=50, seed=0)`: how long are they typically, and
# how long is the midpoint of the straight line between two of them? Which has the higher prior
# density (`log_prior_density`), an endpoint or the midpoint? How often does the prior produce a
# code as short as the midpoint? Reconcile the two answers. And what does `slerp`
# do about it? (b) Name two things the 50-d model gains over the 2-d one and two things it loses,
# using what you measured (exercise 3 among them).

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex4_written", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# <!-- BEGIN SOLUTION -->
# **Model answer.** (a) A code $z \sim \mathcal{N}(0, I_d)$ has $\mathbb{E}\|z\|^2 = d$, and its length
# concentrates near $\sqrt{d}$: the 1,000 samples' lengths average 7.0, with a spread of about 0.7.
# The midpoint of two independent samples, $(z_a + z_b)/2$, is $\mathcal{N}(0, \tfrac12 I)$, so its length
# is near $\sqrt{d/2}$, about 5.0: about one prior sample in a thousand is that short. The log
# prior density is $-\tfrac12\|z\|^2 - \tfrac{d}{2}\log 2\pi$: about $-71$ at the endpoints and $-58$ at a
# midpoint, about 12.6 nats *higher*. Density is not probability: the probability of a length is
# the density times the volume of the shell of codes with that length, and that volume grows like
# $r^{d-1}$. At radius 5 rather than 7 the density is $e^{12} \approx 1.6 \times 10^5$ times higher, but
# the shell has only $(5/7)^{49} \approx 7 \times 10^{-8}$ of the volume, so almost all the prior's
# mass lies in a thin shell of radius about $\sqrt{d}$ and codes of the midpoint's length are
# rare. The decoder was trained on codes from that shell, so the middle of a straight line can
# decode to atypical, washed-out images. `slerp` moves along the arc between the two codes and keeps
# the length between theirs, inside the shell. In 2-d the effect is small (lengths spread from 0 to
# about 2.5). [2 points: the lengths and densities, and volume against density as the reason; 1 of
# them for the reason alone.]
#
# (b) Gains: the code carries more information, so reconstructions keep more of each digit and
# the ELBO is higher (the rate can grow); unused capacity costs little, since the KL switches
# unneeded dimensions off. Losses: no 2-d map or explorer shows the whole space at once; the
# dimensions are not all used (exercise 3 counted the active ones; the rest are switched off and
# only add noise); samples depend on the whole 50-d prior, so gaps between the aggregate
# posterior and the prior are harder to see and to check; and interpolation needs care, as in
# (a). [2 points: two gains, two losses, one backed by a measurement.]
# <!-- END SOLUTION -->
