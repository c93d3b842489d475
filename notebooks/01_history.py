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
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Where the VAE comes from
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vaebook/vaebook/blob/main/notebooks/01_history.ipynb)
#
# **What you'll do:** follow the idea of the Variational Autoencoder (VAE) from the Helmholtz
# machine of 1995 to the autoencoder inside Stable Diffusion, then run a small experiment:
# the same network trained as a VAE and as a plain autoencoder, two models whose training
# losses differ by one term, the KL term (explained below).
#
# **What you'll learn:**
#
# - the problem the VAE solves: learning a generative model and an inference network together;
# - what a VAE is, in words: an encoder, a decoder, and a loss with two terms;
# - who contributed what, with full references;
# - what a plain autoencoder's latent space lacks for generation, what the VAE's KL term
#   does about it and what it leaves undone, shown on real MNIST digits.
#
# **What you'll need:** Python and a little probability: what a Gaussian is, and how to read
# $p(x \mid z)$, "the probability of $x$ given $z$". There are no derivations in this notebook;
# notebook 02 derives the objective. The two small models of the experiment come trained with
# `vaebook`, so nothing here waits for training.

# %%
# On Colab: install vaebook once (Colab's own TensorFlow, Keras and NumPy stay); elsewhere: nothing.
import importlib.util, subprocess, sys
if "google.colab" in sys.modules and importlib.util.find_spec("vaebook") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/vaebook/vaebook"], check=True)

# %%
import matplotlib.pyplot as plt
import numpy as np

from vaebook import pretrained
from vaebook.codes import decode, encode, reconstruct
from vaebook.data import load_mnist
from vaebook.evaluate import uncertain_pixel_fraction
from vaebook.history import plot_timeline, references
from vaebook.latent import prior_radius, prior_samples, share_in_prior_region
from vaebook.plotting import draw_prior_region, scatter_latent, show_images

# %% [markdown]
# ## The problem
#
# A generative model of images says how to *make* an image: draw a few hidden causes $z$ (the
# digit's identity, its slant, its stroke width) and turn them into pixels, drawing the image
# $x$ from $p(x \mid z)$. To learn such a model from images alone we need the reverse direction
# too: given an image, which $z$ could have produced it? That is inference, $p(z \mid x)$, and
# for a neural network $p(x \mid z)$ it is intractable. Nearly two decades of work on this
# question, from the Helmholtz machine of 1995, led to the VAE.
#
# ## The VAE in words
#
# A VAE has two networks. The **encoder** reads an image $x$ and answers with a Gaussian over
# codes, $q(z \mid x)$: a mean $\mu$ (where the image's code is) and a standard deviation
# $\sigma$ (how unsure it is). The **decoder** turns a code $z$ into an image. Training
# lowers, for each image, the sum of two terms:
#
# - the **reconstruction** term: how badly the decoder redraws the image from a code drawn
#   from $q(z \mid x)$;
# - the **KL term**, the Kullback-Leibler divergence from $q(z \mid x)$ to a fixed Gaussian,
#   the **prior** $p(z) = \mathcal{N}(0, I)$ (mean 0 and standard deviation 1 in every
#   direction). It is 0 when the two Gaussians coincide and grows as the encoder's mean moves
#   away from 0 or its standard deviation away from 1.
#
# A weight $\beta$ multiplies the KL term. $\beta = 1$ is the VAE; $\beta = 0$ drops the term
# and leaves a plain autoencoder. To make a new image, draw $z$ from the prior and decode it.
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
#   objective, the evidence lower bound (ELBO; the two-term loss above with $\beta = 1$ is
#   minus the ELBO), and one training method: with the *reparameterization trick*,
#   $z = \mu + \sigma \varepsilon$ with the noise $\varepsilon$ drawn from $\mathcal{N}(0, 1)$,
#   the gradient of the ELBO flows through the sampling step, and backpropagation trains both
#   networks at once.
# - **2014, stochastic backpropagation** (Rezende, Mohamed & Wierstra) reaches the same method
#   independently and at the same time, for deep latent Gaussian models.
# - **2015, importance weighted autoencoders** (Burda, Grosse & Salakhutdinov) use $k$ samples
#   of $z$ to tighten the bound. The same estimate gives the test-set log-likelihoods quoted
#   for VAEs ever since (notebook 05).
# - **2017, $\beta$-VAE** (Higgins et al.) weights the KL term by $\beta > 1$ to encourage
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
# digits: once as a VAE ($\beta = 1$), and once with the KL term switched off ($\beta = 0$).
# With $\beta = 0$ nothing stops the encoder's standard deviation from shrinking to nothing,
# and the model is a plain autoencoder in all but name. Both ship with `vaebook`, trained with
# the code of notebook 03 (the `VAE` class of `vaebook/model.py`, with small MLP networks) on
# batches of 128 with early stopping; each model's settings are in
# `vaebook/pretrained/manifest.json`.

# %%
data = load_mnist()

# %%
autoencoder = pretrained.model_for("autoencoder", data)
vae = pretrained.model_for("mlp_beta1", data)
models = {"autoencoder": autoencoder, "VAE": vae}

# %% [markdown]
# Both encoders map each test digit to a point in a 2-d latent space, the mean of its
# $q(z \mid x)$. Side by side, with the dashed circle that holds 95% of the prior
# $\mathcal{N}(0, I)$, where a generative model draws its codes from:

# %%
codes = {"autoencoder (beta = 0)": encode(autoencoder, data.x_test)[0], "VAE (beta = 1)": encode(vae, data.x_test)[0]}
fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
for ax, means, title in zip(axes, codes.values(), (r"autoencoder ($\beta = 0$)", r"VAE ($\beta = 1$)")):
    scatter_latent(means, data.y_test, ax=ax, title=title)
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
# whatever training happened to produce: a spread (standard deviation) of 10 to 11 along each
# axis. The VAE's KL term pulls every $q(z \mid x)$ towards the prior, and its codes stay on the
# prior's scale: a spread of about 1.4 to 1.5 along each axis, against the prior's 1. That is the same
# scale, but a wider cloud than the prior.
#
# That matters as soon as we want *new* images. A generative model draws $z$ from a simple
# distribution, here $\mathcal{N}(0, I)$, and decodes it. So ask the question that does not
# depend on the scale of the codes: how much of each code cloud lies where the prior puts 95%
# of its samples, inside the circle of radius 2.45?

# %%
print(f"95% of prior samples fall within radius {prior_radius(0.95, 2):.2f} of the origin, 5% outside")
for name, means in codes.items():
    inside = share_in_prior_region(means, 0.95)
    print(f"{name:>22}: {inside:.0%} of the test digits' codes lie inside it, {1 - inside:.0%} outside")

# %% [markdown]
# The prior covers only a small patch of the autoencoder's code cloud, and which digits meet in
# that patch is an accident of training: most of what the autoencoder has learned is out of
# the prior's reach.
#
# The prior reaches most of the VAE's cloud, but not all of it: 24% of the codes lie outside
# the circle, where only 5% of prior samples land. Which digits are they?

# %%
outside = np.linalg.norm(codes["VAE (beta = 1)"], axis=1) > prior_radius(0.95, 2)
print("VAE codes outside the circle, by digit: " + ", ".join(f"{d}: {outside[data.y_test == d].mean():.0%}" for d in range(10)))

# %% [markdown]
# The 0s, 1s and 7s sit on the rim of the VAE's cloud, more than half of each outside the
# circle; of every other digit, at least 80% lie inside. Only 5% of prior samples land out
# there. So samples from the prior cover the middle of what the model learned, and reach the
# outer parts of the 0s', 1s' and 7s' regions only seldom: the KL term ties the codes to the
# prior's scale, not exactly to the prior (notebook 04 counts what this does to the samples
# of the series' main model).
#
# Here are 10 **samples**, the same 10 codes $z \sim \mathcal{N}(0, I)$ decoded by both models:

# %%
z10 = prior_samples(10, latent_dim=2, seed=1)
samples = {name: decode(model, z10) for name, model in models.items()}
show_images(
    np.concatenate(list(samples.values())),
    row_labels=list(samples),
    suptitle=r"Samples: the same 10 codes $z \sim \mathcal{N}(0, I)$, decoded by each model",
)
plt.show()

# %% [markdown]
# All ten autoencoder samples come from that one small patch, where several digits meet, so
# they decode to nearly the same blurred blend of them. The VAE's samples vary. Are they
# digits? Some are; others are blends of two digits, and a blend hedges between their
# strokes, so many of its pixels are grey, neither ink nor paper. Count, for each image, the
# share of its pixels with a value between 0.1 and 0.9 (`uncertain_pixel_fraction`), and
# compare it with each model's reconstructions of the 1,000 real test digits (encode a digit,
# decode its code): those are as crisp as the model draws a digit it has seen.

# %%
def grey_shares(images):
    return np.array([uncertain_pixel_fraction(image[None]) for image in images])


for name, model in models.items():
    typical = np.median(grey_shares(reconstruct(model, data.x_test)))
    shares = grey_shares(samples[name])
    print(f"{name:>11}: grey pixels in the median reconstruction {typical:.0%}, in the samples {shares.min():.0%} "
          f"to {shares.max():.0%}; samples with no more grey than the median reconstruction: {np.sum(shares <= typical)} of 10")

# %% [markdown]
# None of the autoencoder's samples is as crisp as its typical reconstruction. Of the VAE's,
# fewer than half are, and they are among the clearest digits in the row above; most of the
# others look like blends. The VAE's samples are blurry (notebook 05 explains why), but they
# vary, and some are digits. The KL term is what makes the latent space *samplable*: it ties
# the codes to a distribution we know how to draw from.

# %% [markdown]
# ## Summary
#
# - The VAE solves an old problem, learning a generative network and an inference network
#   together, which the Helmholtz machine and wake-sleep first posed in 1995.
# - Its loss has two terms: a reconstruction term, and the KL term, which pulls each image's
#   $q(z \mid x)$ towards the prior $\mathcal{N}(0, I)$; $\beta$ weights the KL term.
# - Kingma & Welling (2013) and Rezende et al. (2014) made it trainable by backpropagation on
#   one objective, the ELBO, through the reparameterization trick.
# - IWAE, $\beta$-VAE, VQ-VAE, NVAE and latent diffusion built on it, up to today's image
#   generators.
# - Without the KL term, an autoencoder's codes float at an arbitrary scale, and samples from
#   a fixed prior reach only a small, arbitrary patch of them. With it, the codes stay on the
#   prior's scale and the prior reaches most of them, but not all: the digits on the rim of
#   the cloud lie mostly outside the prior's 95% circle. Some of the VAE's samples are
#   recognisable digits, others blends.
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
# loads everything the exercises use, so after a restart you can run it from here (the grader runs
# only this section). Write each answer where the `...` stands; the cell under it checks your
# answer on the spot and prints one line: right, not done yet, or not right yet, with a hint where
# it recognises a typical mistake. The checker compares your answer with a reference computed
# inside `vaebook.exercises`, so any correct way of writing it passes, and it refuses a function
# that merely calls vaebook's own implementation. Written answers go in the cells that say *Your
# answer here*; your teacher grades them with the answer key. Points are in brackets.

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

# %% [markdown] deletable=false nbgrader={"cell_type": "markdown", "checksum": "bd9385791e071dd50a29ece0ac60f511", "grade": true, "grade_id": "ex4_written", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# *Your answer here.*
