# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
# ---

# %% [markdown]
# # 4. The latent space, and generating digits
#
# **What you'll do:** encode the test set into the 2-d latent space of the model trained in
# notebook 03, map which digit lives where, decode a grid of codes, compare reconstructions
# with their originals, draw samples from the prior, walk a straight line between two digits,
# and move through the latent space with sliders.
#
# **What you'll learn:**
#
# - how the KL term shapes the latent space: the encoded digits spread over about the same
#   region as the prior N(0, I);
# - why the grid of decoded codes is laid out at Gaussian quantiles rather than evenly;
# - the difference between a reconstruction (encode a real digit, decode it) and a sample
#   (draw z from the prior, decode it);
# - what a decoded image is: pixel probabilities, the mean of p(x|z), not a binary sample.
#
# **What you'll need:** notebook 03 (the conv VAE and its training). The model comes from the
# cache; on a cold cache it is trained first (about 30 s). The explorer at the end needs a
# live kernel, in Jupyter Notebook or JupyterLab.

# %%
# NBVAL_IGNORE_OUTPUT
# Ignored: importing TensorFlow may write start-up lines to stderr, which vary by machine.
import matplotlib.pyplot as plt
import numpy as np

from vaebook.cache import train_or_load
from vaebook.configs import main_vae
from vaebook.data import load_mnist
from vaebook.latent import interpolate, prior_samples, quantile_grid, quantile_values
from vaebook.plotting import plot_latent_path, scatter_latent, show_images, show_manifold
from vaebook.widgets import LatentExplorer

# %%
data = load_mnist()

# %%
# NBVAL_IGNORE_OUTPUT
# Ignored: prints training progress when the cache is cold, and one line when it is warm.
trained = train_or_load(main_vae(data), data)
vae = trained.vae

# %% [markdown]
# ## Where the digits live
#
# The encoder maps each test image to q(z|x) = N(mean, diag(exp(log_var))). Its mean is the
# image's position in the latent space. `vae.encode` returns both parts for the whole test set.

# %%
means, log_vars = vae.encode(data.x_test)
print(f"{len(means):,} test images -> means of shape {means.shape}")

# %% [markdown]
# Each point is one test image, coloured by the digit it shows. The notebook this series grew
# from drew this plot with every point in the same blue, next to a colorbar: the colour
# encoded nothing, so the colorbar explained nothing. A label is a category, so it gets one
# distinct colour per digit and a legend.

# %%
scatter_latent(means, data.y_test)
plt.show()

# %% [markdown]
# The model was never told the labels, yet digits that look alike land close together. Where
# classes overlap, their images look alike too (4s and 9s are the classic pair), and the
# decoder has to draw something in between.
#
# The KL term pulls every q(z|x) towards the prior N(0, I), so the encoded test set should
# cover about the same region as the prior: centred near 0, with a spread of about 1 per
# dimension. Here it nearly does; the cloud sits half a unit up in the second dimension:

# %%
print(f"average of the means: {means.mean(axis=0).round(2)}")
print(f"spread (std) of the means: {means.std(axis=0).round(2)}")
print(f"typical posterior std exp(log_var / 2): {np.exp(0.5 * log_vars).mean(axis=0).round(2)}")

# %% [markdown]
# The last line is the width of each q(z|x): much narrower than the prior, so each image pins
# down its position in the latent space, but not to a point.

# %% [markdown]
# ## The decoded manifold
#
# The decoder turns any code z into an image. Decoding a grid of codes shows the whole map at
# once. The grid is laid out at **Gaussian quantiles**: its coordinates are Phi^{-1}(p) for 15
# evenly spaced probabilities p from 0.05 to 0.95, with Phi the standard normal CDF.

# %%
n = 15
coords = quantile_values(n)
print(f"grid coordinates: {coords.round(2)}")

# %% [markdown]
# Why quantiles? Under the prior, every row and every column of this grid covers the same
# share of probability, so the grid spends its cells where the codes actually are: densely
# near 0, sparsely in the tails. An evenly spaced grid over [-3, 3] would spend a third of its
# rows and columns beyond +-2, where less than 5% of the prior lies and the decoder has seen
# almost no codes.
#
# All 225 codes go through the decoder in **one batched call**: `vae.decode` runs the decoder
# once on the whole (225, 2) array, not once per cell.

# %%
grid = quantile_grid(n, latent_dim=2)
images = vae.decode(grid)
print(f"decoded {len(grid)} codes into images of shape {images.shape[1:]}")

# %%
show_manifold(images, coords, title="Decoded grid of latent codes at Gaussian quantiles")
plt.show()

# %% [markdown]
# The digits change smoothly from cell to cell, and the regions match the scatter plot above:
# the decoder has learned a continuous map from the plane to digit-like images. Each image is
# the decoder's output sigmoid(logits), the probability that each pixel is on, not a binary
# image.

# %% [markdown]
# ## Reconstructions
#
# A **reconstruction** encodes a real image and decodes its encoder mean. Here is the first
# test image of each digit (top) and its reconstruction (bottom).

# %%
first_of_each = [int(np.flatnonzero(data.y_test == digit)[0]) for digit in range(10)]
originals = data.x_test[first_of_each]
reconstructions = vae.reconstruct(originals)
show_images(
    np.concatenate([originals, reconstructions]),
    ncols=10,
    row_labels=["original", "reconstruction"],
    suptitle="Test digits and their reconstructions",
)
plt.show()

# %% [markdown]
# Two numbers per image are not much. The reconstructions keep the digit's rough shape and
# slant but lose the details, are blurry (they are averages over the images a code could have
# come from), and for digits in crowded regions of the map they can turn into a neighbour.

# %% [markdown]
# ## Samples from the prior
#
# A VAE is a generative model: draw z from the prior N(0, I) and decode it. These are
# **samples**: no test image was involved.

# %%
z = prior_samples(20, latent_dim=2, seed=0)
samples = vae.decode(z)
show_images(samples, ncols=10, suptitle="Samples: z ~ N(0, I), decoded (pixel probabilities)")
plt.show()

# %% [markdown]
# Most samples look like digits, because the KL term made the encoded data fill the prior.
# Some look like two digits at once: they fall between clusters. Strictly, a sample of the
# model is a binary image x ~ Bernoulli(p) drawn from these probabilities; the probabilities
# themselves are what people show, because the binary draws look speckled.

# %% [markdown]
# ## Interpolation
#
# A straight line between the codes of two test digits, decoded at 10 evenly spaced points
# (both ends included), shows how one digit turns into another. We go from the first 7 of the
# test set to its first 6.

# %%
start, end = int(np.flatnonzero(data.y_test == 7)[0]), int(np.flatnonzero(data.y_test == 6)[0])
path = interpolate(means[start], means[end], steps=10)
show_images(vae.decode(path), ncols=10, suptitle="Decoded along the line from a 7 (left) to a 6 (right)")
plt.show()

# %% [markdown]
# The path, drawn on the map of the test set, shows which regions it crosses:

# %%
ax = scatter_latent(means, data.y_test, title="The interpolation path through the latent space")
plot_latent_path(path, ax)
plt.show()

# %% [markdown]
# ## The latent explorer
#
# The sliders set the code z = (z0, z1). The middle image is the decoder's output at z, and
# the map on the right shows the encoded test set with a black dot at z. Move a slider and
# watch the digit change as the dot crosses from one cluster into another.
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
#   never saw a label, and the KL term keeps them on about the same scale as the prior.
# - A grid at Gaussian quantiles decodes the latent space where the prior puts its mass, in
#   one batched decoder call.
# - Reconstructions (encode, then decode) are blurry with two latent dimensions; samples
#   (z ~ N(0, I), then decode) mostly look like digits, and some fall between classes.
# - Decoded images are pixel probabilities: the mean of p(x|z).
# - `LatentExplorer` lets you move through the latent space with sliders.
#
# Next: [05_uses_and_limits.ipynb](05_uses_and_limits.ipynb), on what a VAE is good for and
# where it falls short.
