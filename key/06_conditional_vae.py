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
# Four exercises: the conditional ELBO on paper, your own MLP networks conditioned on the label
# and trained in this notebook's `ConditionalVAE`, and Bayes' rule turned into a classifier. This
# section runs on its own: its first cell loads everything the exercises use, so after a restart
# you can run it from here (the grader runs only this section). Write each answer where the `...`
# stands; the cell under it checks your answer on the spot and prints one line: right, not done
# yet, or not right yet, with a hint where it recognises a typical mistake. The checker compares
# your answer with a reference computed inside `vaebook.exercises`, so any correct way of writing
# it passes, and it refuses code that merely calls vaebook's own implementation. Written answers
# go in the cells that say *Your answer here*; your teacher grades them with the answer key.
# Points are in brackets.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from vaebook import exercises, pretrained
from vaebook.conditional import log_likelihood_under_every_label
from vaebook.data import binarize, load_mnist

import keras
from keras import layers

data = load_mnist()
cvae = pretrained.model_for("cvae", data)  # the conditional VAE of this notebook, trained
x100 = binarize(data.x_test, seed=1)[:100]  # the first 100 test digits, binarized once (seed 1) as in section 6
y100 = data.y_test[:100]

# %% [markdown]
# **Exercise 1 (derivation) [3 points].** Derive the bound of section 1 for a conditional VAE
# whose prior does not depend on the label, $p(z|y) = p(z)$: show that
#
# $$\log p(x|y) = \mathbb{E}_{q(z|x,y)}[\log p(x|z,y)] - \mathrm{KL}(q(z|x,y)\,\|\,p(z)) + \mathrm{KL}(q(z|x,y)\,\|\,p(z|x,y)),$$
#
# and conclude that the conditional ELBO is a lower bound on $\log p(x|y)$. Where exactly does the
# assumption $p(z|y) = p(z)$ enter?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex1_written", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# <!-- BEGIN SOLUTION -->
# **Model answer.** Bayes' rule with $y$ given throughout, $p(z|x,y) = p(x|z,y)\,p(z|y) / p(x|y)$, gives
# for every $z$
#
# $$\log p(x|y) = \log p(x|z,y) + \log p(z|y) - \log p(z|x,y).$$
#
# Add and subtract $\log q(z|x,y)$ and take the expectation over $z \sim q(z|x,y)$ (the left side does
# not depend on $z$):
#
# $$\log p(x|y) = \mathbb{E}_q[\log p(x|z,y)] - \mathbb{E}_q\Big[\log \frac{q(z|x,y)}{p(z|y)}\Big] + \mathbb{E}_q\Big[\log \frac{q(z|x,y)}{p(z|x,y)}\Big]. \quad [1 \text{ point}]$$
#
# The assumption enters in the middle term: with $p(z|y) = p(z)$ it is $\mathrm{KL}(q(z|x,y)\,\|\,p(z))$,
# the closed-form KL to $\mathcal{N}(0, I)$ that the model computes; without it the model would need a
# prior network $p(z|y)$. [1 point] The last term is a KL divergence, never negative, so
# $\log p(x|y) \ge \mathbb{E}_q[\log p(x|z,y)] - \mathrm{KL}(q(z|x,y)\,\|\,p(z)) = \mathrm{ELBO}(x|y)$, with equality
# when the encoder equals the true posterior $p(z|x,y)$. [1 point]
# <!-- END SOLUTION -->

# %% [markdown]
# **Exercise 2 (conditioning a model you wrote) [5 points].** Condition the MLP VAE of notebook 03's
# Exercise 1 (`build_mlp_encoder`, `build_mlp_decoder`) on the digit. Write
# `build_conditional_mlp_encoder(latent_dim, num_classes, hidden)`: inputs `[image, label]` in that
# order (the label one-hot, shape `(num_classes,)`), the flattened image joined to the label
# (`layers.Concatenate`), one `Dense(hidden)` layer with a ReLU, and the two heads of `latent_dim`
# units; and `build_conditional_mlp_decoder(latent_dim, num_classes, hidden)`: inputs `[z, label]`,
# $z$ joined to the label, one `Dense(hidden)` layer with a ReLU, a `Dense(784)` layer of logits,
# reshaped to $28 \times 28 \times 1$. The page's `ConditionalVAE` hands each network its inputs in
# exactly that order. The checker builds a `ConditionalVAE` (the package's copy of the page's class)
# with your networks, checks that both use the label, compares the loss on fixed weights, inputs and
# noise with the reference, and trains it briefly on labelled digits. Then try your networks
# yourself: `ConditionalVAE(build_conditional_mlp_encoder(2), build_conditional_mlp_decoder(2),
# seed=0)`, compiled and fitted on `(data.x_train, data.y_train)` as the notebook's model is.

# %% nbgrader={"grade": false, "grade_id": "ex2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_conditional_mlp_encoder(latent_dim=2, num_classes=10, hidden=256):
    """q(z|x, y): [image, one-hot label] -> Flatten, joined to the label -> Dense(hidden, relu) -> (z_mean, z_log_var)."""
    image = keras.Input(shape=(28, 28, 1), name="image")
    label = keras.Input(shape=(num_classes,), name="label")
    ### BEGIN SOLUTION
    h = layers.Concatenate(name="with_label")([layers.Flatten(name="flatten")(image), label])
    h = layers.Dense(hidden, activation="relu", name="hidden")(h)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model([image, label], [z_mean, z_log_var], name="encoder")
    ### END SOLUTION


def build_conditional_mlp_decoder(latent_dim=2, num_classes=10, hidden=256):
    """p(x|z, y): [z, one-hot label] -> joined -> Dense(hidden, relu) -> Dense(784) logits -> 28x28x1."""
    z = keras.Input(shape=(latent_dim,), name="z")
    label = keras.Input(shape=(num_classes,), name="label")
    ### BEGIN SOLUTION
    h = layers.Concatenate(name="with_label")([z, label])
    h = layers.Dense(hidden, activation="relu", name="hidden")(h)
    logits = layers.Dense(28 * 28, name="logits")(h)
    return keras.Model([z, label], layers.Reshape((28, 28, 1), name="image")(logits), name="decoder")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
exercises.check_conditional_mlp(build_conditional_mlp_encoder, build_conditional_mlp_decoder)
### BEGIN HIDDEN TESTS
exercises.require("conditional_mlp")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 3 (code) [3 points].** Turn the scores of section 6 into probabilities. Write
# `label_posterior(log_liks, log_prior)`: for estimates of $\log p(x|y)$ of shape (N, K), one column
# per label, and the prior's $\log p(y)$ of shape (K,), return $p(y|x)$ by Bayes' rule, an array of
# shape (N, K) whose rows sum to 1. The log-likelihoods can be -1000 or lower, where `np.exp`
# gives 0: make it work there too.

# %% nbgrader={"grade": false, "grade_id": "ex3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def label_posterior(log_liks, log_prior):
    ### BEGIN SOLUTION
    scores = np.asarray(log_liks, np.float64) + np.asarray(log_prior, np.float64)
    scores = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=1, keepdims=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex3_check", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
exercises.check_label_posterior(label_posterior)
### BEGIN HIDDEN TESTS
exercises.require("label_posterior")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 4 (a number) [2 points].** How sure is the trained model of the digits it reads?
# As section 6 does, score **binarized** digits: on grey levels the Bernoulli formula is no
# normalized density, so its scores are no log-likelihoods. `x100` holds the first 100 test
# digits binarized once with seed 1, each pixel drawn as $x_{\text{bin}} \sim \text{Bernoulli}(x)$
# from its grey level $x$, exactly the
# first 100 of section 6's `x_bin`. Score them under every label with
# `log_likelihood_under_every_label(cvae, x100, k=5)` (a few seconds), turn the scores into
# $p(y|x)$ with your `label_posterior` and a uniform prior, and give the average, over the 100
# digits, of the probability of the true label `y100`. Within 0.005 counts as right.

# %% nbgrader={"grade": false, "grade_id": "ex4_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
true_label_answer = (
    ### BEGIN SOLUTION
    label_posterior(log_likelihood_under_every_label(cvae, x100, k=5), np.log(np.full(10, 0.1)))[np.arange(100), y100].mean()
    ### END SOLUTION
)

# %% nbgrader={"grade": true, "grade_id": "ex4_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_true_label_probability(true_label_answer, cvae, x100, y100)
### BEGIN HIDDEN TESTS
exercises.require("true_label_probability")
### END HIDDEN TESTS
