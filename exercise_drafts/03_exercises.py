# %% [markdown]
# ## Exercises
#
# Three exercises, from a warm-up to a harder one, checked as in notebooks 01 and 02 (the
# answers are in `vaebook/solutions.py`; try first).
#
# **Exercise 1 (warm-up, code).** Write the KL warm-up's schedule,
# `warmup_weight(epoch, beta, warmup_epochs)`: the KL weight of epoch `epoch` (counted from 0),
# which rises linearly over the first `warmup_epochs` epochs, reaches beta at the last of them
# and stays there. `warmup_epochs = 0` means no warm-up. Compare with the `KLWarmup` source above.

# %%
from vaebook import exercises


def warmup_weight(epoch, beta, warmup_epochs):
    ...  # your code here


exercises.check_warmup_weight(warmup_weight)

# %% [markdown]
# **Exercise 2 (code).** Write the reconstruction term from logits,
# `log_likelihood_from_logits(x, logits)`: the Bernoulli $\log p(x|z)$ of each image, for `x`
# and `logits` of one shape, (N, 28, 28, 1) or (N, 784). Return shape (N,). It must stay finite
# for a confident decoder (logits of $\pm 40$), so do not go through probabilities. NumPy's
# `np.logaddexp(0, l)` computes softplus(l) = log(1 + exp(l)) without overflow.

# %%
def log_likelihood_from_logits(x, logits):
    ...  # your code here


exercises.check_log_likelihood_from_logits(log_likelihood_from_logits)

# %% [markdown]
# **Exercise 3 (harder, a number).** The KL of a diagonal Gaussian is a sum over the latent
# dimensions, so each dimension has its own share. For the shipped model, which of its two
# latent dimensions carries more information about the test digits, and how many nats does it
# cost, averaged over the 1,000 test images? `main_model.encode(data.x_test)` gives the mean
# and log-variance of q(z|x); `vaebook.losses.gaussian_kl` (or your `kl_to_prior` of notebook
# 02) gives the KL. The checker accepts your number within 0.01 nats.

# %%
main_model = pretrained.load("main")
dimension_kl_answer = ...  # your number

exercises.check_largest_dimension_kl(dimension_kl_answer, main_model, data.x_test)
