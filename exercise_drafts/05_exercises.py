# %% [markdown]
# ## Exercises
#
# The series' last three exercises, from a warm-up to a harder one, checked as before (the
# answers are in `vaebook/solutions.py`; try first).
#
# **Exercise 1 (warm-up, a number: reading the beta sweep).** From the rate-distortion
# `points` of section 2: how many nats per test image is the negative ELBO, D + R, higher at
# beta = 4 than at beta = 1? Read it from the table or compute it from `points`; within 0.1
# counts as right. Which of the two terms moved more?

# %%
from vaebook import exercises

sweep_answer = ...  # your number

exercises.check_negative_elbo_increase(sweep_answer, points, BETAS)

# %% [markdown]
# **Exercise 2 (a number).** Section 1 found that the ELBO partly measures how complex an image
# is. Try a detector that knows nothing *but* complexity: score each test image by its total
# ink, the sum of its pixel values (more ink, higher score), and compute the ROC AUC of that
# score for "is a 7" with `roc_auc(is_seven, score)`. How does it compare with the AUC of
# -ELBO? The checker accepts your AUC within 0.005.

# %%
ink_answer = ...  # your number

exercises.check_ink_auc(ink_answer, data.x_test, data.y_test)

# %% [markdown]
# **Exercise 3 (harder, code).** Write the importance-weighted bound of section 4,
# `importance_weighted_bound(log_w)`. Its input holds the log weights
# $\log w_{i,n} = \log p(x_n|z_i) + \log p(z_i) - \log q(z_i|x_n)$ of k samples
# $z_i \sim q(z|x_n)$ for each of N images, an array of shape (k, N); return
# $\log \frac{1}{k} \sum_i w_{i,n}$ for each image, shape (N,). Log weights of a 784-pixel image
# can be -1000 or lower, where `np.exp` gives 0: make it work there too.

# %%
def importance_weighted_bound(log_w):
    ...  # your code here


exercises.check_importance_weighted_bound(importance_weighted_bound)
