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
# # 4. The latent space, and generating digits
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vaebook/vaebook/blob/main/notebooks/04_latent_space.ipynb)
#
# **What you'll do:** encode the test set into the 2-d latent space of the series' main model
# (notebook 03), map which digit lives where, decode a grid of codes, compare reconstructions
# with their originals, draw samples from the prior, walk a straight line between two digits,
# and move through the latent space with sliders.
#
# **What you'll learn:**
#
# - how the KL term shapes the latent space: it keeps the encoded digits on the prior's
#   scale, but their cloud is not the prior $\mathcal{N}(0, I)$;
# - why the grid of decoded codes is laid out at Gaussian quantiles rather than evenly;
# - the difference between a reconstruction (encode a real digit, decode it) and a sample
#   (draw $z$ from the prior, decode it); how often a reconstruction keeps its digit, and
#   which digits the samples show, and how often;
# - why samples do not come in the data's mix of digits;
# - what a decoded image is: pixel probabilities, the mean of $p(x \mid z)$, not a binary sample.
#
# **What you'll need:** notebook 03 (the conv VAE and its training). The model is the one
# shipped with `vaebook`, trained with the recipe of notebook 03; it loads in under a second.
# The explorer at the end needs a live kernel, in Jupyter Notebook or JupyterLab.

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
from vaebook.evaluate import code_knn_accuracy, digit_reader, sample_digit_shares
from vaebook.latent import grid_axes, interpolate, prior_samples, quantile_grid, quantile_values
from vaebook.plotting import plot_latent_path, scatter_latent, show_images, show_manifold
from vaebook.widgets import LatentExplorer

# %%
data = load_mnist()

# %% [markdown]
# `pretrained.model_for` returns the model shipped with `vaebook` for the bundled data (for
# full MNIST it trains the same configuration on first use). It is the `VAE` class of notebook
# 03, trained with its recipe; the package's copy of that class is in `vaebook/model.py`.

# %%
vae = pretrained.model_for("main", data)

# %% [markdown]
# ## Where the digits live
#
# The encoder maps each test image $x$ to $q(z \mid x) = \mathcal{N}\big(\mu(x), \mathrm{diag}(\sigma^2(x))\big)$,
# returned as the mean $\mu$ and the log-variance $\log \sigma^2$. The mean is the image's
# position in the latent space. `encode(vae, x)` returns both parts for the whole test set.

# %%
means, log_vars = encode(vae, data.x_test)
print(f"{len(means):,} test images -> means of shape {means.shape}")

# %% [markdown]
# Each point is one test image, coloured by the digit it shows. A label is a category, so it
# gets one distinct colour per digit and a legend (a continuous colormap with a colorbar would
# suggest that a 4 lies between a 3 and a 5).

# %%
scatter_latent(means, data.y_test)
plt.show()

# %% [markdown]
# The model was never told the labels, yet digits that look alike land close together. Where
# classes overlap, their images look alike too (4s and 9s are the classic pair), and the
# decoder has to draw something in between. A number for "close together": a 5-nearest-
# neighbour classifier, fitted on the codes of the training digits, reads the digit of each
# test digit from its code alone:

# %%
train_means, _ = encode(vae, data.x_train)
print(f"5-NN accuracy on the 2-d test codes: {code_knn_accuracy(train_means, data.y_train, means, data.y_test):.0%} (chance: 10%)")

# %% [markdown]
# The KL term pulls every $q(z \mid x)$ towards the prior $\mathcal{N}(0, I)$. That keeps the codes
# on the prior's scale, but it does not force the encoded test set, as a whole, to fill the
# prior:

# %%
print(f"average of the means: {means.mean(axis=0).round(2)}")
print(f"spread (std) of the means: {means.std(axis=0).round(2)}")
print(f"codes range from {means.min(axis=0).round(2)} to {means.max(axis=0).round(2)}")
print(f"typical posterior std exp(log_var / 2): {np.exp(0.5 * log_vars).mean(axis=0).round(2)}")

# %% [markdown]
# The cloud has about the prior's spread and sits near its centre (its average is a fraction
# of a unit away from 0), but its edges reach beyond $\pm 2$ on both axes, where the prior has
# little mass. And no single $q(z \mid x)$ is close to the prior: its standard deviations
# average 0.07 and 0.06 over the test images (the last line), against the prior's 1. The KL term pulls each
# $q(z \mid x)$ towards the prior, the reconstruction term pulls it narrow, and each image ends
# up pinned to a small region of the latent space, though not to a point.

# %% [markdown]
# ## The decoded manifold
#
# The decoder turns any code $z$ into an image. Decoding a grid of codes shows the whole map
# at once. A grid at **Gaussian quantiles** has coordinates $\Phi^{-1}(p)$ for 15 evenly spaced
# probabilities $p$ from 0.05 to 0.95, with $\Phi$ the standard normal CDF:

# %%
n = 15
coords = quantile_values(n)
print(f"grid coordinates: {coords.round(2)}")

# %% [markdown]
# The rows (and the columns) of this grid sit at evenly spaced quantiles of the prior, so
# neighbouring rows are the same prior probability apart, and this grid shows the latent space the
# way sampling from the prior sees it: densely near 0, sparsely in the tails. (An evenly spaced
# grid over $[-3, 3]$ would spend many of its rows and columns beyond $\pm 2$, where the prior has
# little mass.)
#
# All 225 codes go through the decoder in **one batched call**: `decode(vae, z)` runs the decoder
# once on the whole (225, 2) array, not once per cell.

# %%
grid = quantile_grid(n, latent_dim=2)
images = decode(vae, grid)
print(f"decoded {len(grid)} codes into images of shape {images.shape[1:]}")

# %%
show_manifold(images, coords, title="Decoded grid at the prior's quantiles (what prior samples see)")
plt.show()

# %% [markdown]
# The grid spans $\pm 1.64$ in both directions, the central 90% of the prior along each axis.
# The digits change smoothly from cell to cell: 0s along the bottom, 2s and 3s on the left of
# the middle, 5s on the right, 8s above them, 9s, 4s and 7s towards the top. Does every digit
# get its share of the grid? To count, we need a reader: a 5-nearest-neighbour classifier on
# the pixels of the 4,000 training digits, which names the real digits an image looks most
# like. It is no perfect judge; on the real test digits it scores:

# %%
read = digit_reader(data.x_train, data.y_train)
print(f"the reader on real test digits: {np.mean(read(data.x_test) == data.y_test):.0%} right")

# %%
print("grid cells read as each digit: " + ", ".join(f"{d}: {c}" for d, c in enumerate(np.bincount(read(images), minlength=10))))

# %% [markdown]
# The 0s, 5s and 9s take the most cells. The 1s get only 5, in the two top corners, and the
# 6s 13, down the left edge, and both are faint blends with their neighbours there rather
# than clear digits. The square does not hold the whole cloud, and what it misses is mostly
# 1s and 6s. How much of the data it covers, digit by digit:

# %%
inside = np.all(np.abs(means) <= coords[-1], axis=1)
print(f"test codes inside the grid's square: {inside.mean():.0%}")
print("outside it, by digit: " + ", ".join(f"{d}: {1 - inside[data.y_test == d].mean():.0%}" for d in range(10)))

# %% [markdown]
# To see the map where the data is, lay the grid at the quantiles of the codes themselves
# (the same probabilities, 0.05 to 0.95, of the test set's encoder means along each axis):

# %%
xs, ys = grid_axes(n, codes=means)
data_images = decode(vae, quantile_grid(n, latent_dim=2, codes=means))
show_manifold(data_images, xs, ycoords=ys, title="Decoded grid at the quantiles of the test codes")
plt.show()

# %% [markdown]
# This is the map of what the model learned, edges included: the 1s along the top and the 6s
# down the left side, the digits the prior's grid mostly missed (the scatter plot shows them
# on the outskirts of the cloud), and the same blend of the other digits in between, with
# every cell a smooth blend of its neighbours. Each image is the decoder's output
# $\mathrm{sigmoid}(\text{logits})$, the probability that each pixel is on, not a binary image.

# %% [markdown]
# ## Reconstructions
#
# A **reconstruction** encodes a real image and decodes its encoder mean. Here is the first
# test image of each digit (top) and its reconstruction (bottom), each reconstruction read by
# the reader:

# %%
first_of_each = [int(np.flatnonzero(data.y_test == digit)[0]) for digit in range(10)]
originals = data.x_test[first_of_each]
reconstructions = reconstruct(vae, originals)
show_images(
    np.concatenate([originals, reconstructions]),
    ncols=10,
    row_labels=["original", "reconstruction"],
    suptitle="Test digits and their reconstructions",
)
plt.show()
print(f"read as:        {read(reconstructions)}")
print(f"reconstructions that keep their digit: {np.sum(read(reconstructions) == np.arange(10))} of 10")

# %% [markdown]
# Two numbers per image are not much. The reconstructions keep the digit's rough shape and
# slant but lose the details, are blurry (they are averages over the images a code could have
# come from), and some turn into another digit. How many, over the whole test set, and which?

# %%
read_back = read(reconstruct(vae, data.x_test))
print(f"reconstructions of the 1,000 test digits that keep their digit: {np.mean(read_back == data.y_test):.0%}")
for digit in range(10):
    readings = read_back[data.y_test == digit]
    others = np.bincount(readings[readings != digit], minlength=10)
    print(f"  {digit}: {np.mean(readings == digit):4.0%} keep it; read as {others.argmax()} in {others.max()} of {len(readings)}")

# %% [markdown]
# 58% keep their digit, against the reader's 94% on the real digits: most of the losses
# happen in the round trip through two numbers, not in the reader. They are not spread evenly.
# The digits with a region of the map to themselves, the 0s, 1s and 6s, keep their identity
# in 89% of cases or more. The digits in the crowded middle keep it in only 28% (the 4s) to
# 59% (the 9s) of cases, and each loses it to a neighbour on the map: 4s and 7s come back as
# 9s, 2s as 3s, 3s and 5s as 8s. This is the same limit the 5-nearest-neighbour classifier
# on the codes found above (57%): where the codes of two digits overlap, the decoder cannot
# tell which one to draw.

# %% [markdown]
# ## Samples from the prior
#
# A VAE is a generative model: draw $z$ from the prior $\mathcal{N}(0, I)$ and decode it. These
# are **samples**: no test image was involved.

# %%
z = prior_samples(20, latent_dim=2, seed=0)
samples = decode(vae, z)
show_images(samples, ncols=10, suptitle=r"Samples: $z \sim \mathcal{N}(0, I)$, decoded (pixel probabilities)")
plt.show()
print(f"read as: {read(samples)}")

# %% [markdown]
# Some samples are clear digits, others blends of two neighbours on the map; the reader
# names a digit for every one of them, blends included. Do the digits come as often as in the
# data, where each is a tenth of the training images? Read 2,000 samples and count:

# %%
print("share of each digit in the training data: " + ", ".join(f"{d}: {s:.0%}" for d, s in enumerate(np.bincount(data.y_train) / len(data.y_train))))
shares = sample_digit_shares(vae, read, samples=2000, seed=1)
print("share of 2,000 samples read as each digit: " + ", ".join(f"{d}: {share:.0%}" for d, share in enumerate(shares)))

# %% [markdown]
# No. The 0s, 5s, 9s and 8s come out more often than a tenth of the time, the 1s, 2s, 4s, 6s
# and 7s less often, for two different reasons:
#
# - the 1s and 6s lie on the outskirts of the cloud (most of their codes outside the prior
#   grid's square, as counted above), where the prior has little mass, so few samples land
#   among them;
# - the 2s, 4s and 7s lie in the middle, where the prior has the most mass, but their codes
#   overlap their neighbours', and there the decoder draws blends that the reader takes for
#   the neighbour: the confusion that turns their reconstructions into 3s and 9s above.
#
# A digit's share of the samples is the prior mass of the region where the decoder draws
# something that reads as that digit, not its share of the data. The KL term pulls each $q(z \mid x)$ towards the prior,
# and so, on average, the codes of all images together (the "aggregate posterior") too; but
# the reconstruction term pulls the other way, and the trained model's codes do not match the
# prior, so sampling from the prior does not reproduce the data's mix of digits. The Bernoulli
# decoder is a distribution over binary images (notebook 03, "Grey levels"), so strictly, a
# sample of the model is a binary image $x \sim \mathrm{Bernoulli}(p)$ drawn from these
# probabilities; the probabilities themselves are what people show, because the binary draws
# look speckled.

# %% [markdown]
# ## Interpolation
#
# A straight line between the codes of two test digits, decoded at 10 evenly spaced points
# (both ends included), shows how one digit turns into another. We go from the first 7 of the
# test set to its first 6.

# %%
start, end = int(np.flatnonzero(data.y_test == 7)[0]), int(np.flatnonzero(data.y_test == 6)[0])
path = interpolate(means[start], means[end], steps=10)
path_images = decode(vae, path)
show_images(path_images, ncols=10, suptitle="Decoded along the line from a 7 (left) to a 6 (right)")
plt.show()
print(f"read as: {read(path_images)}")

# %% [markdown]
# The line starts as a 7 and ends as a 6; on the way it crosses the 9s and an 8, which lie
# between the 7s and the 6s on the map, drawn with the path here:

# %%
ax = scatter_latent(means, data.y_test, title="The interpolation path through the latent space")
plot_latent_path(path, ax, start="start: the first test 7", end="end: the first test 6")
plt.show()

# %% [markdown]
# ## The latent explorer
#
# The sliders set the code $z = (z_0, z_1)$. The middle image is the decoder's output at $z$,
# and the map on the right shows the encoded test set with a black dot at $z$. Move a slider
# and watch the digit change as the dot crosses from one cluster into another.
#
# The explorer needs a live kernel. In a static view of this notebook (GitHub, nbviewer) you
# see only a one-line description of it.

# %%
explorer = LatentExplorer(vae, means, data.y_test)

# %%
explorer

# %% [markdown]
# The explorer can also be moved from code. `set_point` moves it to any code, here the mean
# of the 7 the interpolation started from, and `current_code` reads the position back.

# %%
explorer.set_point(means[start])
print(f"z = {explorer.current_code().round(2)}")

# %% [markdown]
# For a model with more than two latent dimensions, `LatentExplorer` gives a slider to each of
# the leading dimensions (up to 8) and two dropdowns choosing which pair the map shows.

# %% [markdown]
# ## Summary
#
# - The encoder means of the test set, coloured by digit, cluster by digit although the model
#   never saw a label, and the KL term keeps them on about the prior's scale and near its
#   centre; the outer digits (1s, 6s) lie where the prior has little mass. Each image's own
#   $q(z \mid x)$ is far narrower than the prior.
# - A grid at the prior's quantiles shows the latent space as prior samples see it; a grid at
#   the codes' quantiles shows where the data is. Either is one batched decoder call.
# - Reconstructions (encode, then decode) are blurry with two latent dimensions. 58% keep
#   their digit: the digits with a region of the map to themselves nearly always, those whose
#   codes overlap their neighbours' in 28% to 59% of cases.
# - Samples ($z \sim \mathcal{N}(0, I)$, then decode) are digits or blends of two, and not in the
#   data's proportions: the outer digits (1s, 6s) come out half as often as in the data, and
#   some of the overlapping ones (2s, 4s, 7s) are drawn as their neighbours. The aggregate
#   posterior is not the prior.
# - Decoded images are pixel probabilities: the mean of $p(x \mid z)$.
# - `LatentExplorer` lets you move through the latent space with sliders.
#
# Next: [05_uses_and_limits.ipynb](05_uses_and_limits.ipynb), on what a VAE is good for and
# where it falls short.

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

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "1a57c3c65900e42e8d50b0ba28869dd5", "grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
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

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "c70bfb87f83161d14742d404f18d143a", "grade": false, "grade_id": "ex1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def log_prior_density(z):
    ...  # your code here


# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "91654f4af2f7923e688cc79dfd49b64e", "grade": true, "grade_id": "ex1_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_log_prior_density(log_prior_density)


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

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "70aba76be3f7880a72ab4d6677caf0c6", "grade": false, "grade_id": "ex2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def slerp(z_start, z_end, steps):
    ...  # your code here


# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "fbfb5a00145aaa3b64e1ba10ebedef5b", "grade": true, "grade_id": "ex2_check", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
exercises.check_slerp(slerp)

# %% [markdown]
# **Exercise 3 (a number) [2 points].** Does the 50-d model use all its dimensions? Burda et al.
# (2015) call latent dimension $j$ *active* when its encoder mean varies across the data:
# $\mathrm{Var}_x\big(\mathbb{E}_{q(z|x)}[z_j]\big) > 0.01$. Count the active dimensions of
# `model_50d` on the binarized test digits, `binary.x_test` (`encode` gives the encoder means).
# The answer is a whole number.

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "e675d55b4f1d5c3e1cc554ce74f6918c", "grade": false, "grade_id": "ex3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
active_answer = (
    ...  # your code here
)

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "65c3d33714383eea286755630266b8a4", "grade": true, "grade_id": "ex3_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_active_units(active_answer, model_50d, binary.x_test)

# %% [markdown]
# **Exercise 4 (written) [4 points].** What does the latent size change? (a) Draw codes from the
# 50-d prior with `prior_samples(1000, latent_dim=50, seed=0)`: how long are they typically, and
# how long is the midpoint of the straight line between two of them? Which has the higher prior
# density (`log_prior_density`), an endpoint or the midpoint? How often does the prior produce a
# code as short as the midpoint? Reconcile the two answers. And what does `slerp`
# do about it? (b) Name two things the 50-d model gains over the 2-d one and two things it loses,
# using what you measured (exercise 3 among them).

# %% [markdown] deletable=false nbgrader={"cell_type": "markdown", "checksum": "ae1035122d0614a0c40682ad1a63b7c8", "grade": true, "grade_id": "ex4_written", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# *Your answer here.*
