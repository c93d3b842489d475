# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: nbgrader,deletable,editable,tags,nbval_reason,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
# ---

# %% [markdown]
# # 1. Where the VAE comes from
#
# **What you'll do:** follow the idea of the Variational Autoencoder (VAE) from the Helmholtz
# machine of 1995 to the autoencoder inside Stable Diffusion, then run a small experiment:
# the same network trained with and without the KL term, a plain autoencoder against a VAE.
#
# **What you'll learn:**
#
# - the problem the VAE solves: learning a generative model and an inference network together;
# - who contributed what, with full references;
# - what a plain autoencoder's latent space lacks for generation, and how the VAE's KL term
#   fixes it, shown on real MNIST digits.
#
# **What you'll need:** Python and a little probability (what a Gaussian is). No maths beyond
# that in this notebook; notebook 02 derives the objective. The two small models of the
# experiment come trained with `vaebook`, so nothing here waits for training.

# %%
import matplotlib.pyplot as plt
import numpy as np

from vaebook import pretrained
from vaebook.codes import decode, encode
from vaebook.data import load_mnist
from vaebook.history import plot_timeline, references
from vaebook.latent import prior_radius, prior_samples, share_in_prior_region
from vaebook.plotting import draw_prior_region, scatter_latent, show_images

# %% [markdown]
# ## The problem
#
# A generative model of images says how to *make* an image: draw a few hidden causes z (the
# digit's identity, its slant, its stroke width) and turn them into pixels, x ~ p(x|z). To
# learn such a model from images alone we need the reverse direction too: given an image,
# which z could have produced it? That is inference, p(z|x), and for a neural network p(x|z)
# it is intractable. Thirty years of work on this question lead to the VAE.
#
# ## A timeline

# %%
plot_timeline()
plt.show()

# %% [markdown]
# - **1995, the Helmholtz machine** (Dayan, Hinton, Neal & Zemel) pairs the generative network
#   with a *recognition* network that guesses the causes of an image. This is the encoder and
#   decoder pair of every VAE since.
# - **1995, wake-sleep** (Hinton, Dayan, Frey & Neal) trains the pair in two alternating
#   phases: in the "wake" phase the recognition network's guesses train the generator; in the
#   "sleep" phase the generator's dreams train the recognition network. The two phases do not
#   optimise one common objective.
# - **2013, the VAE** (Kingma & Welling, *Auto-Encoding Variational Bayes*) gives the pair one
#   objective, the evidence lower bound (ELBO), and one training method: with the
#   *reparameterization trick*, z = mean + sigma * eps, the gradient of the ELBO flows through
#   the sampling step, and backpropagation trains both networks at once.
# - **2014, stochastic backpropagation** (Rezende, Mohamed & Wierstra) reaches the same method
#   independently and at the same time, for deep latent Gaussian models.
# - **2015, importance weighted autoencoders** (Burda, Grosse & Salakhutdinov) use k samples
#   of z to tighten the bound. The same estimate gives the test-set log-likelihoods quoted
#   for VAEs ever since (notebook 05).
# - **2017, beta-VAE** (Higgins et al.) weights the KL term by beta > 1 to encourage
#   disentangled latent factors, and **VQ-VAE** (van den Oord, Vinyals & Kavukcuoglu) replaces
#   the Gaussian code with a discrete codebook and a learned prior.
# - **2020, NVAE** (Vahdat & Kautz) stacks many layers of latent variables and produces sharp
#   samples of faces: hierarchy answers much of the VAE's blur.
# - **2022, latent diffusion** (Rombach et al.) uses a VAE-style autoencoder to compress images
#   into a small latent space where a diffusion model generates. The VAE is inside Stable
#   Diffusion.

# %% [markdown]
# ## An experiment: why not a plain autoencoder?
#
# An autoencoder also has an encoder and a decoder. Why isn't it a generative model? The same
# small network (one hidden layer of 256 units, a 2-d code) was trained twice on real MNIST
# digits: once as a VAE (beta = 1), and once with the KL term switched off (beta = 0). With
# beta = 0 the encoder's noise can shrink to nothing and the model is a plain autoencoder in
# all but name. Both ship with `vaebook`, trained with the recipe of notebook 03 (their code:
# the `VAE` class of notebook 03, `vaebook/model.py`, with small MLP networks).

# %%
data = load_mnist()

# %%
autoencoder = pretrained.model_for("autoencoder", data)
vae = pretrained.model_for("mlp_beta1", data)

# %% [markdown]
# Both encoders map each test digit to a point in a 2-d latent space. Side by side, with the
# dashed circle that holds 95% of the prior N(0, I), where a generative model would draw its
# codes from:

# %%
codes = {"autoencoder (beta = 0)": encode(autoencoder, data.x_test)[0], "VAE (beta = 1)": encode(vae, data.x_test)[0]}
fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
for ax, (name, means) in zip(axes, codes.items()):
    scatter_latent(means, data.y_test, ax=ax, title=name)
    draw_prior_region(ax, 0.95)
fig.tight_layout()
plt.show()

# %% [markdown]
# Look at the axes first. The numbers say where each encoder puts the codes:

# %%
for name, means in codes.items():
    print(f"{name:>22}: codes from {means.min(axis=0).round(1)} to {means.max(axis=0).round(1)}, std {means.std(axis=0).round(2)}")

# %% [markdown]
# Nothing tells the autoencoder where to put its codes, so their scale and position are
# whatever training happened to produce. The VAE's KL term pulls every code towards the prior
# N(0, I), so its codes fill a region of the same size as the prior.
#
# That matters as soon as we want *new* images. A generative model draws z from a simple
# distribution, here N(0, I), and decodes it. So ask the question that does not depend on
# the scale of the codes: how much of each code cloud lies where the prior puts 95% of its
# samples (inside a circle of radius 2.45)?

# %%
print(f"95% of prior samples fall within radius {prior_radius(0.95, 2):.2f} of the origin")
for name, means in codes.items():
    print(f"{name:>22}: {share_in_prior_region(means, 0.95):.0%} of the test digits' codes lie inside it")

# %% [markdown]
# The VAE's codes cover about the region the prior covers: most of them lie inside the
# circle, and their spread is a little wider than the prior's. So samples from the prior reach
# every digit this model knows. The prior covers only a small patch of the autoencoder's
# code cloud, and which digits meet in that patch is an accident of training: most of what
# the autoencoder has learned is out of the prior's reach. Here are 10 **samples**, the same
# codes z ~ N(0, I) decoded by both models:

# %%
z10 = prior_samples(10, latent_dim=2, seed=1)
show_images(
    np.concatenate([decode(autoencoder, z10), decode(vae, z10)]),
    row_labels=["autoencoder", "VAE"],
    suptitle="Samples: the same 10 codes z ~ N(0, I), decoded by each model",
)
plt.show()

# %% [markdown]
# All ten autoencoder samples come from that one small patch, where several digits meet, so
# they decode to nearly the same blurred blend of them. The VAE's samples are blurry too
# (notebook 05 explains why), but they vary, and most look like digits. The KL term is what
# makes the latent space *samplable*: it ties the codes to a distribution we know how to draw
# from.

# %% [markdown]
# ## Summary
#
# - The VAE solves an old problem, learning a generative network and an inference network
#   together, which the Helmholtz machine and wake-sleep first posed in 1995.
# - Kingma & Welling (2013) and Rezende et al. (2014) made it trainable by backpropagation on
#   one objective, the ELBO, through the reparameterization trick.
# - IWAE, beta-VAE, VQ-VAE, NVAE and latent diffusion built on it, up to today's image
#   generators.
# - Without the KL term, an autoencoder's codes float at an arbitrary scale, and samples from
#   a fixed prior reach only a small, arbitrary patch of them. With it, the codes fill the
#   prior, and sampling reaches every part of what the model learned.
#
# Next: [02_elbo.ipynb](02_elbo.ipynb), where we derive the ELBO and check each step in code.
#
# ## References

# %%
print(references())

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

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "a699053a1c12b6fdd8c629961e72012a", "grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
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

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "bf886c7a119da7db40a3075ea526a226", "grade": false, "grade_id": "ex1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def share_within(codes, radius):
    ...  # your code here


# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "1699a72a6464e415f780e9396a90c5d1", "grade": true, "grade_id": "ex1_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_share_within(share_within)

# %% [markdown]
# **Exercise 2 (a number) [2 points].** Under the prior $\mathcal{N}(0, I)$ in two dimensions a
# share $1 - e^{-1/2}$ of the codes lies within radius 1 of the origin. What share of the VAE's
# test codes, `vae_codes`, lies there? Replace the `...` with your number (an expression, or a
# name you compute above it in this cell); within 0.001 counts as right.

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "581f214fef0d1b4e359d7f6985b684d9", "grade": false, "grade_id": "ex2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
share_answer = (
    ...  # your code here
)

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "2f9f5ad59161f8c66504fb25f877c195", "grade": true, "grade_id": "ex2_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_vae_share_within_one(share_answer, vae, data.x_test)

# %% [markdown]
# **Exercise 3 (a number) [2 points].** The dashed circle of the notebook holds 95% of the prior's
# samples. Which radius holds 95% of the VAE's test codes? Give the 0.95 quantile of their
# distances from the origin (NumPy's `np.quantile`, default method); within 0.01 counts as right.

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "46a279ea939db599aebb585bf6e23e4c", "grade": false, "grade_id": "ex3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
radius_answer = (
    ...  # your code here
)

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "9235e863e865797fb8282d0969b21a7f", "grade": true, "grade_id": "ex3_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_vae_radius_95(radius_answer, vae, data.x_test)

# %% [markdown]
# **Exercise 4 (written) [3 points].** (a) Set your answers to exercises 2 and 3 next to the
# prior's ($1 - e^{-1/2}$ within radius 1; 95% within the dashed circle): is the VAE's code cloud
# more or less concentrated near the origin than the prior, and which parts of the cloud do
# samples $z \sim \mathcal{N}(0, I)$ rarely reach? (b) In three or four sentences: why does
# decoding $z \sim \mathcal{N}(0, I)$ not give new digits from the autoencoder, and what does the
# KL term change?

# %% [markdown] deletable=false nbgrader={"cell_type": "markdown", "checksum": "bd9385791e071dd50a29ece0ac60f511", "grade": true, "grade_id": "ex4_written", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# *Your answer here.*
