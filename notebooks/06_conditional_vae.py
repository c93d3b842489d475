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
# # 6. The conditional VAE: asking for a digit
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vaebook/vaebook/blob/main/notebooks/06_conditional_vae.ipynb)
#
# **What you'll do:** give the series' VAE the digit label as a second input to its encoder and
# decoder; ask it for any digit; decode one code as all ten digits; compare its latent map with
# notebook 04's; turn it into a classifier; and move through its latent space with a digit
# chooser and sliders.
#
# **What you'll learn:**
#
# - what conditioning changes in the ELBO: every term is given the label $y$, and the bound is
#   on $\log p(x|y)$ instead of $\log p(x)$;
# - how the work divides once the label is given: the label says *which* digit, the code $z$
#   says *how* it is written (its style);
# - how to check that a sample is the digit asked for, with a digit reader whose own errors are
#   measured first;
# - why the 2-d latent map stops sorting the digits when the label no longer has to live in $z$;
# - what the model still says about an image without its label, and what conditioning costs:
#   labelled training data.
#
# **What you'll need:** notebooks 03 and 04 (the conv VAE, its training recipe, its latent
# space). The conditional model ships with `vaebook`, trained with notebook 03's recipe.

# %%
# On Colab: install vaebook once (Colab's own TensorFlow, Keras and NumPy stay); elsewhere: nothing.
import importlib.util, subprocess, sys
if "google.colab" in sys.modules and importlib.util.find_spec("vaebook") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/vaebook/vaebook"], check=True)

# %%
import matplotlib.pyplot as plt
import numpy as np

from vaebook import pretrained
from vaebook.codes import decode, encode
from vaebook.conditional import decode_under_every_label, label_free_bound, log_likelihood_under_every_label
from vaebook.data import binarize, blur, load_mnist
from vaebook.evaluate import (code_knn_accuracy, digit_reader, elbo_per_example, importance_log_likelihood,
                              reading_errors, shape_reader)
from vaebook.latent import prior_radius, prior_samples
from vaebook.model import VAE
from vaebook.plotting import draw_prior_region, scatter_latent, show_images
from vaebook.widgets import LatentExplorer

# Imported after vaebook, which keeps TensorFlow's start-up lines out of this cell.
import keras
from keras import layers, ops

# %%
data = load_mnist()

# %% [markdown]
# ## 1. What conditioning changes
#
# A conditional VAE (Sohn et al. 2015) keeps everything of the VAE and adds the label $y$ to
# both networks: the encoder becomes $q(z|x, y)$, the decoder $p(x|z, y)$. The prior stays
# $p(z) = \mathcal{N}(0, I)$, the same for every digit. The ELBO is the one of notebook 02,
# with $y$ given everywhere:
#
# $$\text{ELBO}(x|y) = \mathbb{E}_{q(z|x,y)}[\log p(x|z,y)] - \text{KL}(q(z|x,y)\,\|\,p(z)) \;\le\; \log p(x|y).$$
#
# It bounds $\log p(x|y)$: how likely the image is *for a digit we already know*.
#
# In code, the label is one more input of each network: a one-hot vector of ten numbers (a 1 at
# the digit's place), joined to the flattened image features in the encoder and to $z$ in the
# decoder. Everything else is notebook 03's: the same layers, the same loss, and the same
# `VAE` class with two methods changed, the two places where a network runs. These definitions
# are `vaebook`'s own (`vaebook/conditional.py`; a test fails if the two differ).

# %%
def build_conditional_encoder(latent_dim=2, num_classes=10):
    """q(z|x, y): notebook 03's conv encoder, with the one-hot label joined to the flattened features."""
    image = keras.Input(shape=(28, 28, 1), name="image")
    label = keras.Input(shape=(num_classes,), name="label")
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv_1")(image)
    h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv_2")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Concatenate(name="with_label")([h, label])
    h = layers.Dense(16, activation="relu", name="hidden")(h)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model([image, label], [z_mean, z_log_var], name="encoder")


def build_conditional_decoder(latent_dim=2, num_classes=10):
    """p(x|z, y): notebook 03's conv decoder, with the one-hot label joined to z."""
    z = keras.Input(shape=(latent_dim,), name="z")
    label = keras.Input(shape=(num_classes,), name="label")
    h = layers.Concatenate(name="with_label")([z, label])
    h = layers.Dense(7 * 7 * 64, activation="relu", name="hidden")(h)
    h = layers.Reshape((7, 7, 64), name="reshape")(h)
    h = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu", name="deconv_1")(h)
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu", name="deconv_2")(h)
    logits = layers.Conv2DTranspose(1, 3, padding="same", name="logits")(h)
    return keras.Model([z, label], logits, name="decoder")


# %% [markdown]
# The model's input is now the pair (images, labels). `call` hands the label to the encoder,
# `log_likelihood` hands it to the decoder, and notebook 03's `compute_loss`, unchanged, turns
# them into $-\log p(x|z,y)$ summed over pixels plus the KL summed over latent dimensions,
# averaged over the batch. So `fit((x, labels))` trains it, on any backend.

# %%
@keras.saving.register_keras_serializable(package="vaebook")
class ConditionalVAE(VAE):
    """A VAE whose encoder and decoder also take the digit label: its inputs are pairs (images, labels).

    It trains with ``fit((x, labels), validation_data=((x_val, labels_val),))``; the loss is the
    VAE's, and with beta = 1 it estimates -ELBO(x|y).
    """

    @property
    def num_classes(self):
        return self.encoder.inputs[1].shape[-1]

    def with_label(self, t, labels):
        """The input of a network that also takes the label: [t, one-hot labels]."""
        return [ops.convert_to_tensor(t, "float32"), ops.one_hot(ops.cast(labels, "int32"), self.num_classes)]

    def call(self, inputs, training=False):
        """q(z|x, y): the encoder's (mean, log_var) for the pairs (images, labels)."""
        images, labels = inputs
        return self.encoder(self.with_label(images, labels), training=training)

    def log_likelihood(self, inputs, z, training=False):
        """log p(x|z, y) per image: the decoder is given the label with the code."""
        images, labels = inputs
        return super().log_likelihood(images, self.with_label(z, labels), training=training)


# %% [markdown]
# `vaebook` ships this model trained with notebook 03's recipe (KL warm-up, batches of 32,
# early stopping) on the training images with their labels. Build the class defined above and
# give it the shipped weights; notebook 04's VAE comes along for comparisons (its code is
# notebook 03's, `vaebook/model.py`).

# %%
cvae = ConditionalVAE(build_conditional_encoder(latent_dim=2), build_conditional_decoder(latent_dim=2))
cvae.set_weights(pretrained.model_for("cvae", data).get_weights())
vae = pretrained.model_for("main", data)
for name, net in (("encoder", cvae.encoder), ("decoder", cvae.decoder)):
    print(f"{name} inputs:", ", ".join(f"{t.name} {tuple(t.shape[1:])}" for t in net.inputs))

# %% [markdown]
# Does the model use the label? Score the test digits with their true labels, and again with
# each label shifted by one (every 3 called a 4, ...), one $z$ per image: a model that ignored
# the label would not notice. The score is the ELBO on grey levels, notebook 03's training
# objective in nats (a likelihood comes in section 6, on binarized digits).

# %%
true_elbo = elbo_per_example(cvae, data.x_test, labels=data.y_test)
shifted_elbo = elbo_per_example(cvae, data.x_test, labels=(data.y_test + 1) % 10)
print(f"mean ELBO(x|y), true labels:    {true_elbo.mean():7.1f} nats")
print(f"mean ELBO(x|y), shifted labels: {shifted_elbo.mean():7.1f} nats")

# %% [markdown]
# The model relies on the label: told the wrong digit, it explains the image far worse, because
# its decoder draws the digit it is told (the next section shows it).
#
# ## 2. Any digit on demand
#
# To ask for a digit, draw $z \sim p(z)$ and decode it with the label you want. Below, each
# column is one code $z$ from the prior, each row one label: every row is a set of **samples**
# of one digit, and each column shows the same $z$ as all ten digits.

# %%
z = prior_samples(10, 2, seed=0)
samples = decode_under_every_label(cvae, z)  # row i: z_i as 0, 1, ..., 9
grid = samples.reshape(10, 10, 28, 28).transpose(1, 0, 2, 3)  # row: digit, column: code
show_images(grid.reshape(-1, 28, 28), ncols=10, row_labels=[f"y = {d}" for d in range(10)],
            suptitle="Samples: one prior code per column, one label per row")
plt.show()

# %% [markdown]
# Are they the digits asked for? That needs a **reader**: a classifier that has never seen the
# model. Notebook 04 used five nearest neighbours on the pixels of the real training digits. A
# model's images are smoother and paler than real digits, though, and a reader has biases of
# its own on such images; they would be blamed on the model. So measure the reader first, on
# real test digits, on the same digits blurred (a Gaussian of 1.5 pixels, `blur`) and on the
# same digits with half their ink. We measure a second reader next to it, the reader of notebook
# 05 that compares *shapes* (`shape_reader`): every image, reference and query alike, is
# smoothed by a Gaussian of one pixel and scaled to length 1, and the five nearest training
# digits by cosine similarity vote.

# %%
readers = {"pixels": digit_reader(data.x_train, data.y_train), "shapes": shape_reader(data.x_train, data.y_train)}
tests = {"real": data.x_test, "blurred (1.5 pixels)": blur(data.x_test, 1.5), "faint (half the ink)": 0.5 * data.x_test}
print("reader   test digits            read right   errors   errors read as 1   the two digits most errors are read as")
for name, read in readers.items():
    for what, x in tests.items():
        e = reading_errors(read(x), data.y_test)
        top = np.argsort(-e["read_as"], kind="stable")[:2]
        print(f"{name:8} {what:22} {e['accuracy']:8.0%}   {e['errors']:6d}   {e['read_as'][1]:16d}   "
              + ", ".join(f"{d} ({e['read_as'][d]})" for d in top))

# %% [markdown]
# The pixel reader reads blurred and faint digits as 1s: a 1 has the least ink of any digit, so
# in pixel distance a pale or spread-out image is nearest to a 1, whatever its shape. That is
# the reader's bias, and on a model's smooth output it would pass for the model's. The shape
# reader does not see how dark an image is (scaling to length 1 removes it: a faint digit
# reads exactly as the digit itself), and blur costs it fewer digits, which it reads as 9s and
# 8s far more often than as 1s. Now read 100 samples of each label (100 codes from the prior,
# the same for every label) with both readers:

# %%
z100 = prior_samples(100, 2, seed=1)
samples100 = np.stack([decode(cvae, z100, labels=np.full(100, digit)) for digit in range(10)])  # (label, code, ...)
shown = {name: np.stack([read(s) for s in samples100]) for name, read in readers.items()}  # (label, code)
print("            shape reader                    pixel reader")
print("asked for   read as asked   most misread as   read as asked   most misread as (how often)")
for digit in range(10):
    cells = []
    for name in ("shapes", "pixels"):
        e = reading_errors(shown[name][digit], np.full(100, digit))
        most = f"{e['read_as'].argmax()} ({e['read_as'].max()})" if e["errors"] else "-"
        cells.append(f"{e['accuracy']:13.0%}   {most:15}")
    print(f"{digit:9d}   {'   '.join(cells)}".rstrip())

# %% [markdown]
# Notebook 04's VAE could not be asked: a sample's digit depended on where $z$ fell, and some
# digits came up far more often than others. Here the label chooses the digit, and the shape
# reader agrees with it for most samples of every label. Many of the pixel reader's "1s" were
# its own bias: it reads far more of the 2s as 1 than the shape reader does. The shape reader
# still reads some samples as 1. Are they? They are not spread evenly over the codes:

# %%
misread = shown["shapes"] != np.arange(10)[:, None]  # (label, code)
worst = np.argsort(-misread.sum(axis=0), kind="stable")[:5]
print(f"{misread.sum()} of the 1,000 samples misread; the 5 codes misread most often account for {misread[:, worst].sum()}")
print(f"their distance from the prior's centre, |z|: {', '.join(f'{np.linalg.norm(z100[i]):.1f}' for i in worst)} "
      f"(95% of prior samples lie within {prior_radius(0.95, 2):.2f})")
show_images(decode_under_every_label(cvae, z100[worst]), ncols=10,
            titles=[f"y={d}: read {shown['shapes'][d, i]}" for i in worst for d in range(10)],
            row_labels=[f"code {i}" for i in worst],
            suptitle="Samples: the five codes misread most often, decoded under every label (title: the shape reader's reading)")
plt.show()

# %% [markdown]
# Most of these codes lie near or beyond the edge of the prior's 95% circle. Decoded under any
# label they give a thin stroke: some are still legible as the digit asked for (look at the 3s
# and the 7s), many are hard to tell from a 1, by eye as by the reader. So in these five codes,
# which hold many of the misreads (printed above), what the shape reader calls a 1 is the
# model's doing, and it comes from a style, not from a label: the narrowest style squeezes
# every digit towards a 1.
#
# ## 3. Style and identity
#
# If the label carries the digit, what is left for $z$? Encode real test digits, each with its
# own label, and decode each one's code under all ten labels. Each row starts from one real
# digit (left); the other ten images are its code decoded as the digits 0 to 9.

# %%
picks = [int(np.flatnonzero(data.y_test == d)[0]) for d in (0, 2, 4, 7, 9)]
codes, _ = encode(cvae, data.x_test[picks], labels=data.y_test[picks])
rows = decode_under_every_label(cvae, codes).reshape(len(picks), 10, 28, 28)
show_images(np.concatenate([data.x_test[picks].reshape(-1, 1, 28, 28), rows], axis=1).reshape(-1, 28, 28), ncols=11,
            titles=["real"] + [f"as {d}" for d in range(10)] + [""] * 11 * (len(picks) - 1),
            suptitle="Left: a real test digit. Right: its code $z$, decoded under every label")
plt.show()

# %% [markdown]
# The digit changes with the label, while the thickness of the stroke and the slant stay
# with the code: $z$ holds the **style**, the label $y$ the **identity**. This is the "analogy"
# experiment of Kingma et al. (2014): the same $z$, a different digit.
#
# ## 4. The latent map, with the label elsewhere
#
# In notebook 04 the main VAE had to fit everything about an image, its identity included,
# into two numbers, so the encoded test digits formed clusters by digit. The conditional VAE
# gets the identity for free. Its encoder means (each image given its label) next to the
# main model's:

# %%
vae_means, _ = encode(vae, data.x_test)
cvae_means, _ = encode(cvae, data.x_test, labels=data.y_test)
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
scatter_latent(vae_means, data.y_test, ax=axes[0], title="VAE (notebook 04): means of $q(z|x)$")
scatter_latent(cvae_means, data.y_test, ax=axes[1], title="Conditional VAE: means of $q(z|x, y)$")
for ax in axes:
    draw_prior_region(ax)
plt.show()

# %% [markdown]
# How much of the digit is still in the code? Fit a 5-nearest-neighbour classifier on the
# training codes and score it on the test codes, for both models:

# %%
vae_train, _ = encode(vae, data.x_train)
cvae_train, _ = encode(cvae, data.x_train, labels=data.y_train)
knn_vae = code_knn_accuracy(vae_train, data.y_train, vae_means, data.y_test)
knn_cvae = code_knn_accuracy(cvae_train, data.y_train, cvae_means, data.y_test)
print(f"digit read from the code by 5-NN: VAE {knn_vae:.0%}, conditional VAE {knn_cvae:.0%} (chance: about 10%)")
print("standard deviation of the test codes, per dimension: VAE", np.round(vae_means.std(axis=0), 2),
      " conditional VAE", np.round(cvae_means.std(axis=0), 2))

# %% [markdown]
# In the conditional VAE's map the digits lie on top of one another, and the code says much less
# about which digit an image is: that information has moved to the label. Both latent dimensions
# are still in use (their spread, printed above, is of the order of the prior's 1, not the 0.1 of
# the dimension that the run with batches of 128 switched off in notebook 03): they now hold
# style, shared by all digits. A code of the right-hand map means roughly the same kind of stroke
# whichever digit it is decoded as, which is what made section 3 work.
#
# ## 5. Exploring: a digit chooser and two sliders
#
# The latent explorer of notebook 04, now with a digit chooser: the sliders move $z$ (the
# style), the buttons choose $y$ (the identity), and the image is the decoder's pixel
# probabilities for that pair. The map shows the encoder means of the test set, each given
# its label, with the black dot at $z$.

# %%
explorer = LatentExplorer(cvae, cvae_means, data.y_test, digit=3)
explorer

# %% [markdown]
# ## 6. Without the label: a classifier, and a bound on $\log p(x)$
#
# The model can score an image under *every* label, and the scores this section compares are
# log-likelihoods. On grey levels the Bernoulli formula is no normalized density (notebook 03),
# so, as notebook 05 does where it quotes a likelihood, the test digits are **binarized**: each
# pixel drawn once, $x_{\text{bin}} \sim \text{Bernoulli}(x)$ with $x$ its grey level (seed 1:
# the binary test digits of notebook 05). Both models were trained on grey levels, and that is
# a sound way to fit a model of binary digits: the Bernoulli log-likelihood is linear in $x$, so
# for any $z$ the grey-level reconstruction term of an image is exactly the average of
# $\log p(x_{\text{bin}}|z)$ over its binarizations. Their encoders only ever saw grey levels,
# so on a binary digit $q(z|x)$ is a rougher proposal: that makes the estimate looser, never
# too high on average.
#
# The score is the importance-sampled estimate of $\log p(x|y)$ of notebook 05, with $k = 5$
# draws of $z$ from $q(z|x, y)$. An image is explained best, as a rule, by its own digit, so
# the label with the highest score is a guess of the digit: Bayes' rule with $p(y) = 1/10$ for
# every digit. Scoring 200 binarized test digits under all ten labels:

# %%
n = 200
x_bin = binarize(data.x_test, seed=1)[:n]  # x_bin ~ Bernoulli(grey level), drawn once
log_liks = log_likelihood_under_every_label(cvae, x_bin, k=5)  # (200, 10): log p(x_bin|y), y = 0..9
guess = log_liks.argmax(axis=1)
print(f"data: the first {n} test digits, binarized once (seed 1); k = 5 draws of z per image and label")
print(f"highest log p(x|y) at the true label: {np.mean(guess == data.y_test[:n]):.0%} of {n} test digits")

# %% [markdown]
# The model was never trained to classify, yet it names most digits. The same table gives a
# bound on $\log p(x)$ that uses no label at all. With $p(y) = 1/10$ the model's density of
# an image is a mixture over the digits, $p(x) = \sum_y p(y)\,p(x|y)$. Each estimate
# $\hat p(x|y)$ is unbiased, so their average over the labels is an unbiased estimate of
# $p(x)$, and its log is, on average, below $\log p(x)$ (Jensen's inequality, as for the ELBO
# in notebook 02, section 3):
#
# $$\log p(x) \;\ge\; \mathbb{E}\Big[\log \sum_y \tfrac{1}{10}\, \hat p(x|y)\Big].$$
#
# Like the main VAE's $k = 5$ importance-sampled estimate, it is on average a lower bound on
# $\log p(x)$ of a binarized digit under its model, and it uses no label, so the two models can
# be compared on the same binarized test digits with the same $k$:

# %%
bound_cvae = label_free_bound(log_liks)
estimate_vae = importance_log_likelihood(vae, x_bin, k=5)
true_label = log_liks[np.arange(n), data.y_test[:n]]
print(f"on the same {n} binarized test digits, k = 5, nats per image:")
print(f"VAE:             log p(x), k = 5 estimate:        {estimate_vae.mean():7.1f}")
print(f"conditional VAE: log p(x), k = 5, no label:       {bound_cvae.mean():7.1f}")
print(f"conditional VAE: log p(x|y), the true label:      {true_label.mean():7.1f}")
right = guess == data.y_test[:n]
print(f"true label minus the bound: {np.mean(true_label[right] - bound_cvae[right]):+.1f} nats on the {right.sum()} digits "
      f"guessed right, {np.mean(true_label[~right] - bound_cvae[~right]):+.1f} on the {(~right).sum()} guessed wrong")

# %% [markdown]
# How much is knowing the label worth? For any model, Bayes' rule gives
# $\log p(x|y) - \log p(x) = \log p(y|x) - \log p(y) = \log p(y|x) + \log 10$ when
# $p(y) = 1/10$: at most $\log 10 \approx 2.3$ nats, when the model is sure of
# the digit, and less, even below zero, for an image the model finds more likely as another
# digit. The last line shows both (for estimates rather than exact values): close to $+2.3$ on
# the digits the model reads right, far below zero on those it misreads. So the label itself
# is worth little in nats. The gap between the two models is not the label's information:
# the conditional VAE is a mixture of ten decoders, one per digit, sharing a 2-d style code,
# and that fits the digits better than one decoder that must also place the ten digits in its
# two dimensions (both numbers are $k = 5$ bounds, so part of the gap may be how loose each
# is). Training it that way took the labels.
#
# ## 7. What is lost
#
# - **Labels.** Training needs a label for every image (here all 4,000 bundled digits have
#   one). The main VAE learned from images alone and still sorted the digits in its map.
# - **Encoding needs $y$ too.** $q(z|x, y)$ cannot encode an image of unknown digit; section 6
#   had to score it under every label instead.
# - **Only the labels it was trained on.** The model can be asked for the ten digits and
#   nothing else; a property that was not labelled (thickness, slant) has no button, only a
#   region of $z$, found by exploring as in notebook 04.
# - **What the code means depends on the label.** The same $z$ is a similar style for every
#   digit here, but nothing in the loss forces that: it is learned, and can fail for rare
#   combinations.
#
# When only some images have labels, Kingma et al. (2014) treat the missing label as one more
# latent variable and train on labelled and unlabelled digits together (their model M2).

# %% [markdown]
# ## Summary
#
# - A conditional VAE gives the label to the encoder and the decoder; its ELBO bounds
#   $\log p(x|y)$, with the same prior $p(z)$ and the same loss code.
# - Decoding a prior sample with a chosen label draws that digit on demand, as a digit reader
#   whose own errors were measured first confirms for most samples; the same $z$ decoded under
#   all ten labels keeps its style: $z$ holds style, $y$ holds identity.
# - The 2-d code no longer sorts the digits; both dimensions hold style.
# - Without a label, the scores under every label classify the image and, on binarized digits,
#   give a bound on $\log p(x)$ comparable with the VAE's.
# - The price: labelled training data, and a label to encode.
#
# Back to the start of the series: [01_history.ipynb](01_history.ipynb); or to the uses and
# limits of the plain VAE: [05_uses_and_limits.ipynb](05_uses_and_limits.ipynb).
#
# ### References
#
# - Sohn, K., Lee, H., & Yan, X. (2015). Learning Structured Output Representation using Deep
#   Conditional Generative Models. NeurIPS 2015.
# - Kingma, D. P., Rezende, D. J., Mohamed, S., & Welling, M. (2014). Semi-supervised Learning
#   with Deep Generative Models. NeurIPS 2014.

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

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "1c1426849572ccff279478768cfbc25f", "grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
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

# %% [markdown] deletable=false nbgrader={"cell_type": "markdown", "checksum": "3ab8ae70b7c76944d95d620d41ada0fb", "grade": true, "grade_id": "ex1_written", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# *Your answer here.*

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

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "26eb90f651ea6fddeb5d32b9746b3906", "grade": false, "grade_id": "ex2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_conditional_mlp_encoder(latent_dim=2, num_classes=10, hidden=256):
    """q(z|x, y): [image, one-hot label] -> Flatten, joined to the label -> Dense(hidden, relu) -> (z_mean, z_log_var)."""
    image = keras.Input(shape=(28, 28, 1), name="image")
    label = keras.Input(shape=(num_classes,), name="label")
    ...  # your code here


def build_conditional_mlp_decoder(latent_dim=2, num_classes=10, hidden=256):
    """p(x|z, y): [z, one-hot label] -> joined -> Dense(hidden, relu) -> Dense(784) logits -> 28x28x1."""
    z = keras.Input(shape=(latent_dim,), name="z")
    label = keras.Input(shape=(num_classes,), name="label")
    ...  # your code here


# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "acebb8d714b85fdff80a647a4288e76f", "grade": true, "grade_id": "ex2_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
exercises.check_conditional_mlp(build_conditional_mlp_encoder, build_conditional_mlp_decoder)


# %% [markdown]
# **Exercise 3 (code) [3 points].** Turn the scores of section 6 into probabilities. Write
# `label_posterior(log_liks, log_prior)`: for estimates of $\log p(x|y)$ of shape (N, K), one column
# per label, and the prior's $\log p(y)$ of shape (K,), return $p(y|x)$ by Bayes' rule, an array of
# shape (N, K) whose rows sum to 1. The log-likelihoods can be -1000 or lower, where `np.exp`
# gives 0: make it work there too.

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "c90910c27bc0dafe884d94ee8b47b4f3", "grade": false, "grade_id": "ex3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def label_posterior(log_liks, log_prior):
    ...  # your code here


# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "858876bac2994e9617efc2702e425f89", "grade": true, "grade_id": "ex3_check", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
exercises.check_label_posterior(label_posterior)

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

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "4ed2bd5efb1cf15c539efd5decea42f5", "grade": false, "grade_id": "ex4_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
true_label_answer = (
    ...  # your code here
)

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "a2d0c671869b09739a179d081a85c57e", "grade": true, "grade_id": "ex4_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_true_label_probability(true_label_answer, cvae, x100, y100)
