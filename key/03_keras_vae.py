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
# Three exercises: MLP networks for the page's `VAE`, a `FreeBitsVAE` with another KL term, and a
# written comparison of free bits with the KL warm-up. This section runs on its own: its first
# cell imports what the exercises use, and takes the `VAE` class you defined above (run on its
# own, as the grader runs it, the section takes the package's copy of the same code), so after a
# restart you can run it from here. Write each answer where the `...` stands; the cell under it
# checks your answer on the spot and prints one line: right, not done yet, or not right yet, with
# a hint where it recognises a typical mistake. The checker runs your code on fixed weights and
# inputs of its own against a reference computed inside `vaebook.exercises`, and trains your model
# for a few seconds; it refuses code that merely calls vaebook's own builders. Written answers go
# in the cells that say *Your answer here*; your teacher grades them with the answer key. Points
# are in brackets.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from vaebook import exercises

import keras
from keras import layers, ops

try:
    VAE  # the class defined on this page, above
except NameError:  # this section run on its own: the package holds the same code
    from vaebook import model

    VAE = model.VAE

# %% [markdown]
# **Exercise 1 (warm-up, code) [2 points].** A VAE needs no convolutions. Write the networks of
# an MLP VAE, with the functional API as in `build_conv_encoder` above:
# `build_mlp_encoder(latent_dim, hidden)` flattens the image, applies one `Dense(hidden)` layer
# with a ReLU, and has two heads of `latent_dim` units, the mean and the log-variance of
# $q(z|x)$; `build_mlp_decoder(latent_dim, hidden)` applies one `Dense(hidden)` layer with a ReLU
# to $z$, then a `Dense(784)` layer whose outputs are the logits, reshaped to $28 \times 28 \times 1$.

# %% nbgrader={"grade": false, "grade_id": "ex1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_mlp_encoder(latent_dim=2, hidden=256):
    """q(z|x): 28x28x1 -> Flatten -> Dense(hidden, relu) -> (z_mean, z_log_var), Dense(latent_dim) each."""
    image = keras.Input(shape=(28, 28, 1), name="image")
    ### BEGIN SOLUTION
    h = layers.Flatten(name="flatten")(image)
    h = layers.Dense(hidden, activation="relu", name="hidden")(h)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)  # no activation: any real mean
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)  # no activation: any real log-variance
    return keras.Model(image, [z_mean, z_log_var], name="encoder")
    ### END SOLUTION


def build_mlp_decoder(latent_dim=2, hidden=256):
    """p(x|z): z -> Dense(hidden, relu) -> Dense(784) logits -> 28x28x1."""
    z = keras.Input(shape=(latent_dim,), name="z")
    ### BEGIN SOLUTION
    h = layers.Dense(hidden, activation="relu", name="hidden")(z)
    logits = layers.Dense(28 * 28, name="logits")(h)  # no activation: logits, not probabilities
    return keras.Model(z, layers.Reshape((28, 28, 1), name="image")(logits), name="decoder")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex1_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_mlp_networks(build_mlp_encoder, build_mlp_decoder)
### BEGIN HIDDEN TESTS
exercises.require("mlp_networks")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 2 (a VAE of your own) [5 points].** *Free bits* (Kingma et al. 2016) fight posterior
# collapse by not charging for the first few nats of each latent dimension. Write
# `FreeBitsVAE`, a subclass of the page's `VAE` whose `compute_loss` returns
#
# $$\text{loss} = \frac{1}{B}\sum_{n=1}^{B} \big[-\log p(x_n|z_n)\big] + w \sum_{j=1}^{d} \max\!\Big(\lambda,\ \frac{1}{B}\sum_{n=1}^{B} \mathrm{KL}_{nj}\Big),$$
#
# where $\mathrm{KL}_{nj} = \mathrm{KL}(q(z_j|x_n)\,\|\,\mathcal{N}(0, 1))$ is the KL of latent dimension
# $j$ for image $n$ of the batch, $\lambda$ is `free_bits`, and $w$ is `self.kl_weight` in training
# and `self.beta` in evaluation, as in `VAE`. The skeleton samples $z$ for you; use
# `self.log_likelihood` for the reconstruction term and `keras.ops` for the rest, and update the
# two metrics as `VAE.compute_loss` does (with the clamped KL). The checker compares your loss
# with the reference on fixed weights, inputs and noise, in training and in evaluation, then
# trains your class briefly on real digits (with MLP networks like yours) and checks that the
# loss falls.

# %% nbgrader={"grade": false, "grade_id": "ex2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
class FreeBitsVAE(VAE):
    """A VAE whose KL term charges each latent dimension at least ``free_bits`` nats (batch average)."""

    def __init__(self, encoder, decoder, free_bits=0.5, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        self.free_bits = free_bits

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        mean, log_var = y_pred
        z = self.sampling(mean, log_var)
        ### BEGIN SOLUTION
        reconstruction = ops.mean(-self.log_likelihood(x, z, training=training))
        kl_per_dimension = 0.5 * (ops.square(mean) + ops.exp(log_var) - 1.0 - log_var)  # (B, d)
        kl = ops.sum(ops.maximum(ops.mean(kl_per_dimension, axis=0), self.free_bits))
        batch_size = ops.shape(mean)[0]
        self.reconstruction_tracker.update_state(reconstruction, sample_weight=batch_size)
        self.kl_tracker.update_state(kl, sample_weight=batch_size)
        return reconstruction + (self.kl_weight if training else self.beta) * kl
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
exercises.check_free_bits_vae(FreeBitsVAE)
### BEGIN HIDDEN TESTS
exercises.require("free_bits_vae")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 3 (written) [3 points].** (a) Why does a latent dimension whose KL is near 0 for every
# image carry no information about the image? (b) With free bits, what does the optimizer gain by
# pushing a dimension's batch-average KL below $\lambda$, and what does that leave the dimension
# free to do? (c) The KL warm-up of this page fights collapse too: how do the two differ in the
# objective the finished model has optimized, and what does that mean for the loss numbers you
# would report? (You may train your `FreeBitsVAE` with `build_mlp_encoder(8)` and
# `build_mlp_decoder(8)`, next to a plain `VAE`, and look at each dimension's KL; it is not
# required.)

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex3_written", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# <!-- BEGIN SOLUTION -->
# **Model answer.** (a) $\mathrm{KL}(q(z_j|x)\,\|\,\mathcal{N}(0,1)) = 0$ only when $q(z_j|x) = \mathcal{N}(0, 1)$; if
# that holds for every image, the distribution of $z_j$ is the same whatever the image, so $z_j$ is
# noise that tells the decoder nothing about $x$ (the information it carries,
# $I(x; z_j) \le \mathbb{E}_x \mathrm{KL}_j$, is 0), and the decoder learns to ignore it. [1 point]
#
# (b) Nothing: below $\lambda$ the term $\max(\lambda, \overline{\mathrm{KL}}_j)$ is constant, so its gradient
# with respect to the encoder is zero. The pressure towards the prior stops at $\lambda$ nats, and
# the dimension may carry up to $\lambda$ nats about the images for free, so the decoder has a
# reason to use it instead of the encoder switching it off early in training. [1 point]
#
# (c) A warm-up changes the KL weight only in the first epochs; after it the model optimizes the
# ($\beta$-)ELBO itself, and its loss (for $\beta = 1$) is a one-sample estimate of $-\mathrm{ELBO}$.
# Free bits change the objective for good: the loss is at least $-\mathrm{ELBO}$ (it charges
# $\lambda$ where the true KL is smaller), so it is no estimate of a bound; report the ELBO
# computed with the plain KL (the VAE's own loss in evaluation, or `dataset_elbo`) next to it.
# [1 point]
# <!-- END SOLUTION -->
