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
# Four exercises: an anomaly detector to beat, the importance-weighted bound in code, an anomaly
# experiment you run and read, and a derivation. This section runs on its own: its first cell
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
from vaebook.anomaly import roc_auc
from vaebook.codes import encode
from vaebook.data import load_mnist

from keras import ops

data = load_mnist()
no_sevens = pretrained.model_for("without_7", data)  # the VAE of section 1, trained without the 7s
is_seven = data.y_test == 7

# %% [markdown]
# **Exercise 1 (warm-up, a number) [2 points].** Section 1 found that the ELBO partly measures how
# complex an image is. Try a detector that knows nothing *but* complexity: score each test image
# by its total ink, the sum of its pixel values (more ink, higher score), and compute the ROC AUC
# of that score for "is a 7" with `roc_auc(is_seven, score)`. Within 0.005 counts as right. Is it
# better than chance?

# %% nbgrader={"grade": false, "grade_id": "ex1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
ink_answer = (
    ### BEGIN SOLUTION
    roc_auc(is_seven, data.x_test.reshape(len(data.x_test), -1).sum(axis=1))
    ### END SOLUTION
)

# %% nbgrader={"grade": true, "grade_id": "ex1_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_ink_auc(ink_answer, data.x_test, data.y_test)
### BEGIN HIDDEN TESTS
exercises.require("ink_auc")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 2 (code) [3 points].** Write the importance-weighted bound of section 4,
# `importance_weighted_bound(log_w)`. Its input holds the log weights
# $\log w_{i,n} = \log p(x_n|z_i) + \log p(z_i) - \log q(z_i|x_n)$ of $k$ samples
# $z_i \sim q(z|x_n)$ for each of $N$ images, an array of shape $(k, N)$; return
# $\log \frac{1}{k} \sum_i w_{i,n}$ for each image, shape $(N,)$. Log weights of a 784-pixel image
# can be -1000 or lower, where `np.exp` gives 0: make it work there too.

# %% nbgrader={"grade": false, "grade_id": "ex2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def importance_weighted_bound(log_w):
    ### BEGIN SOLUTION
    log_w = np.asarray(log_w, np.float64)
    top = log_w.max(axis=0)
    return top + np.log(np.mean(np.exp(log_w - top), axis=0))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2_check", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
exercises.check_importance_weighted_bound(importance_weighted_bound)
### BEGIN HIDDEN TESTS
exercises.require("importance_weighted_bound")
### END HIDDEN TESTS

# %% [markdown]
# **Exercise 3 (an experiment: a number, then a reading) [2 + 3 points].** Which term of the ELBO
# flags the 7s? Split the score of section 1 in two, under `no_sevens`: the **rate** of each test
# image, $R(x) = \mathrm{KL}(q(z|x)\,\|\,p(z))$ (in closed form, from `encode(no_sevens, data.x_test)`),
# and the **distortion**, $D(x) = -\log p(x|z)$ at the encoder mean (`no_sevens.log_likelihood(x, z)`
# gives $\log p(x|z)$ for images `x` and codes `z`, as tensors: `ops.convert_to_numpy` turns its
# output into NumPy). (a) Give the ROC AUC of the rate score for "is a 7" (more nats, more
# anomalous); within 0.005 counts as right.

# %% nbgrader={"grade": false, "grade_id": "ex3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
means, log_vars = encode(no_sevens, data.x_test)
rate = 0.5 * np.sum(means**2 + np.exp(log_vars) - 1.0 - log_vars, axis=1)
distortion = -ops.convert_to_numpy(no_sevens.log_likelihood(data.x_test, ops.convert_to_tensor(means)))
for name, score in (("rate", rate), ("distortion", distortion)):
    print(f"{name:>10}: AUC {roc_auc(is_seven, score):.2f}; mean over the 7s {score[is_seven].mean():6.1f}, "
          f"over the other digits {score[~is_seven].mean():6.1f} nats")
### END SOLUTION
rate_answer = (
    ### BEGIN SOLUTION
    roc_auc(is_seven, rate)
    ### END SOLUTION
)

# %% nbgrader={"grade": true, "grade_id": "ex3_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_rate_auc(rate_answer, no_sevens, data.x_test, data.y_test)
### BEGIN HIDDEN TESTS
exercises.require("rate_auc")
### END HIDDEN TESTS

# %% [markdown]
# (b) Compute the distortion's AUC too, and set both next to the AUC of -ELBO of section 1. Which
# term carries the signal that the model never saw a 7, and why would the other one not? What does
# that suggest for a detector built from this model?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex3_written", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# <!-- BEGIN SOLUTION -->
# **Model answer.** (Numbers: the key's cell above prints them for the shipped models; section 1
# prints the -ELBO's.) The distortion's AUC is about the same as the -ELBO's, and the rate's is
# *below* 0.5: the distortion
# carries all of the ELBO's signal, and the rate ranks the 7s, if anything, as less unusual than
# the other digits. [1 point for the numbers and the comparison.]
#
# Why: the distortion measures how well the decoder can redraw the image; it never learned the
# shape of a 7, so it redraws a 7 as one of the digits it knows and pays for every
# pixel that differs. The rate measures how far the encoder's $q(z|x)$ moves from the prior: how
# confidently the encoder places the image. An unfamiliar image does not make the encoder more
# confident (it lands among the 9s and 4s like any other ambiguous digit), so its rate is
# ordinary, while simple, distinctive digits (1s, 0s) get the largest rates. [1 point]
#
# So a detector should look at the reconstruction term (or the full ELBO) and correct it for
# complexity (the likelihood ratio of section 1), not at the KL term; the rate adds noise, not
# signal, for this kind of anomaly. [1 point]
# <!-- END SOLUTION -->

# %% [markdown]
# **Exercise 4 (derivation) [4 points].** Section 2 calls the rate an upper bound on the
# information the code carries about the image. Show it. With the data distribution $p(x)$, the
# encoder $q(z|x)$, and the *aggregate posterior* $q(z) = \mathbb{E}_{p(x)}[q(z|x)]$, prove
#
# $$R = \mathbb{E}_{p(x)}\big[\mathrm{KL}(q(z|x)\,\|\,p(z))\big] = I_q(x; z) + \mathrm{KL}(q(z)\,\|\,p(z)),$$
#
# where $I_q(x; z) = \mathbb{E}_{p(x)}\big[\mathrm{KL}(q(z|x)\,\|\,q(z))\big]$ is the mutual information between
# images and codes under the encoder. When is the bound $R \ge I_q(x; z)$ tight, and what does
# notebook 04's finding that prior samples do not reproduce the data's mix of digits say about it?

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex4_written", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# <!-- BEGIN SOLUTION -->
# **Model answer.** Multiply and divide by $q(z)$ inside the logarithm:
#
# $$R = \mathbb{E}_{p(x)}\,\mathbb{E}_{q(z|x)}\Big[\log \frac{q(z|x)}{p(z)}\Big]
# = \mathbb{E}_{p(x)}\,\mathbb{E}_{q(z|x)}\Big[\log \frac{q(z|x)}{q(z)}\Big] + \mathbb{E}_{p(x)}\,\mathbb{E}_{q(z|x)}\Big[\log \frac{q(z)}{p(z)}\Big]. \quad [1 \text{ point}]$$
#
# The first term is $I_q(x; z)$ by definition. In the second the integrand depends on $z$ only, and
# $\mathbb{E}_{p(x)}\mathbb{E}_{q(z|x)}[g(z)] = \mathbb{E}_{q(z)}[g(z)]$ by the definition of $q(z)$, so it is
# $\mathbb{E}_{q(z)}[\log q(z)/p(z)] = \mathrm{KL}(q(z)\,\|\,p(z))$. [2 points] A KL divergence is never negative, so
# $R \ge I_q(x; z)$, with equality exactly when the aggregate posterior equals the prior,
# $q(z) = p(z)$. Notebook 04 found that prior samples come out with another mix of digits than the
# data, so there $q(z) \ne p(z)$: part of the rate pays for that mismatch, not for information
# about the image, and the rate overstates the information in the code. [1 point]
# <!-- END SOLUTION -->
