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
# # 5. What a VAE is good for, and where it falls short
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/vaebook/vaebook/blob/main/notebooks/05_uses_and_limits.ipynb)
#
# **What you'll do:** use a VAE as an anomaly detector and score it with a ROC curve; compare
# the same VAE trained with several values of $\beta$ and plot the rate-distortion trade-off,
# with error bars; find out, with numbers, why VAE images are blurry; estimate the
# log-likelihood of binarized test digits by importance sampling and set it next to the published figure.
#
# **What you'll learn:**
#
# - how the ELBO scores how typical an image is, and why a raw ELBO score is fooled by simple
#   images;
# - what $\beta$ trades: the rate (the KL term, the information in the code) against the
#   distortion (the reconstruction term), and why a small $\beta$ gives good reconstructions
#   but poor samples;
# - why blur is what the Bernoulli decoder *should* produce, not a bug in the training;
# - how to quote a log-likelihood honestly: data, binarization, $k$, latent size, budget.
#
# **What you'll need:** notebooks 02 to 04. The seven models here ship with `vaebook`, trained
# with the recipe of notebook 03, so nothing waits for training.

# %%
# On Colab: install vaebook once (Colab's own TensorFlow, Keras and NumPy stay); elsewhere: nothing.
import importlib.util, subprocess, sys
if "google.colab" in sys.modules and importlib.util.find_spec("vaebook") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/vaebook/vaebook"], check=True)

# %%
import matplotlib.pyplot as plt
import numpy as np

from vaebook import pretrained
from vaebook.anomaly import elbo_scores, roc_auc
from vaebook.codes import decode, encode, reconstruct
from vaebook.configs import BETAS, SWEEP_PATIENCE
from vaebook.data import binarize, load_mnist
from vaebook.evaluate import (elbo_per_example, importance_log_likelihood, mean_and_error, rate_distortion, shape_reader,
                              uncertain_pixel_fraction)
from vaebook.latent import nearest_codes, prior_samples, share_in_prior_region
from vaebook.plotting import plot_rate_distortion, plot_roc_curves, plot_score_histograms, show_images
from vaebook.widgets import LatentExplorer

# %%
data = load_mnist()

# %% [markdown]
# ## 1. Anomaly detection
#
# Train a VAE on every digit **except 7**, and the 7s of the test set become anomalies: images
# of a kind the model never saw. The model here is a small MLP VAE (one hidden layer of 256
# units, a 2-d latent space): small enough that `vaebook` ships several variants of it. It is
# notebook 03's `VAE` class (`vaebook/model.py`) with MLP networks (`vaebook/architectures.py`).

# %%
no_sevens = pretrained.model_for("without_7", data)

# %% [markdown]
# The anomaly score of an image is its negative ELBO under this model, averaged over 10
# draws of $z$: the worse the model explains the image, the higher the score.

# %%
is_seven = data.y_test == 7
elbo_score = elbo_scores(no_sevens, data.x_test)
print(f"{is_seven.sum()} sevens among {len(is_seven):,} test digits")
print(f"ROC AUC of -ELBO for 'is a 7': {roc_auc(is_seven, elbo_score):.2f}")

# %% [markdown]
# An AUC of 1 would rank every 7 above every other digit; 0.5 is chance. The score is better
# than chance but far from perfect. The reason shows in the average ELBO of each digit:

# %%
for digit in range(10):
    mark = "  <- never seen in training" if digit == 7 else ""
    print(f"digit {digit}: mean ELBO {-elbo_score[data.y_test == digit].mean():7.1f} nats{mark}")

# %% [markdown]
# The unseen 7s are explained badly, but they are not the worst: the 2s, which the model did
# see, cost more nats. The ELBO measures how many nats it takes to describe an image, so it
# also measures how *complex* the image is: a 1 has few ink pixels and gets by far the highest
# ELBO of any digit. Likelihood-based detectors have this flaw in general: deep generative
# models can even give higher likelihood to another dataset than to their own (Nalisnick et
# al. 2019).
#
# The ELBO here is computed on grey-level pixels, where the Bernoulli formula is a loss and not
# a normalized log-density (notebook 03), so $-$ELBO ranks images by how badly the model fits
# them; it is not a probability of the image.
#
# A standard repair is a **likelihood ratio** (Ren et al. 2019): compare the ELBO under this
# model with the ELBO under a **background model** that has learned the generic statistics of
# the images (how much ink, how smooth) but not the shapes of the digits. Complexity affects
# both models alike and cancels; what is left is how well the digit shapes fit. Ren et al.
# train the background model on the same training images, perturbed. Ours is the same network,
# trained on the same images without 7s, in which a random 20% of the pixels were replaced by
# uniform noise. Neither model has seen a 7, so the detector still knows nothing about the
# anomaly it is scored on.

# %%
background = pretrained.model_for("background_without_7", data)
ratio_score = elbo_scores(no_sevens, data.x_test, reference=background)
print(f"ROC AUC of the likelihood ratio for 'is a 7': {roc_auc(is_seven, ratio_score):.2f}")

# %% [markdown]
# For comparison, an **oracle baseline**: the same ratio with a reference model trained on all
# ten digits, 7s included. No real detector has that reference, since it has seen the
# anomaly, so this is a point of comparison, not a method. Nor is it the best a ratio could
# do: a reference that knew *only* 7s might separate them better still.

# %%
oracle = pretrained.model_for("mlp_beta1", data)
oracle_score = elbo_scores(no_sevens, data.x_test, reference=oracle)
print(f"ROC AUC of the oracle baseline (a ratio whose reference has seen the 7s): {roc_auc(is_seven, oracle_score):.2f}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
plot_score_histograms(elbo_score, is_seven, axes[0], "score = $-$ELBO")
plot_score_histograms(ratio_score, is_seven, axes[1], "score = ELBO(background) $-$ ELBO(model)")
plot_roc_curves(
    {"$-$ELBO": (is_seven, elbo_score), "likelihood ratio": (is_seven, ratio_score),
     "oracle baseline (reference saw the 7s)": (is_seven, oracle_score)},
    axes[2],
)
fig.tight_layout()
plt.show()

# %% [markdown]
# The honest ratio lifts the AUC above the raw score's, and stays well below the oracle
# baseline's: a background model that has not seen the anomaly removes some of the complexity
# effect, not all of it. Where did the model put the 7s? The explorer shows the latent space of
# the model that never saw a 7, with the test set's encoder means coloured by digit; it starts
# at the code of the first 7 of the test set. The decoded image at that code is the model's
# best guess at a 7: it can only draw what it was trained on.

# %%
means, _ = encode(no_sevens, data.x_test)
explorer = LatentExplorer(no_sevens, means, data.y_test)
first_seven = int(np.flatnonzero(is_seven)[0])
explorer.set_point(means[first_seven])
explorer

# %% [markdown]
# The same story, as reconstructions: test 7s (top), reconstructed by the model trained on all
# ten digits (middle) and by the model that never saw a 7 (bottom).

# %%
sevens = data.x_test[is_seven][:10]
show_images(
    np.concatenate([sevens, reconstruct(oracle, sevens), reconstruct(no_sevens, sevens)]),
    row_labels=["test 7s", "all digits", "no 7s"],
    suptitle="Test 7s and their reconstructions by two models",
)
plt.show()

# %% [markdown]
# ## 2. The $\beta$ trade-off: rate against distortion
#
# Split the negative ELBO into its two terms, each averaged over the images:
#
# - the **rate** $R = \mathrm{KL}(q(z|x)\,\|\,p(z))$: an upper bound on how many nats the code
#   carries about the image (the mutual information $I(x; z)$; Alemi et al. 2018);
# - the **distortion** $D = \mathbb{E}_{q(z|x)}[-\log p(x|z)]$: how many nats the
#   reconstruction still misses.
#
# A $\beta$-VAE minimises $D + \beta R$. With $\beta = 1$ that is the negative ELBO; $\beta > 1$
# makes information in the code expensive, $\beta < 1$ makes it cheap. On grey-level pixels $D$
# is the Bernoulli loss, not a true negative log-likelihood (notebook 03), so the curve below
# trades two terms of the training objective; on binarized images it would be a
# rate-distortion curve in the strict sense.
#
# Why should a larger $\beta$ give a lower rate and a higher distortion? Take two models, $a$
# trained with $\beta_a$ and $b$ with $\beta_b > \beta_a$, each at the minimum of its own
# objective over the same networks and data. Then $D_a + \beta_a R_a \le D_b + \beta_a R_b$ and
# $D_b + \beta_b R_b \le D_a + \beta_b R_a$; adding the two gives
# $(\beta_b - \beta_a)(R_a - R_b) \ge 0$, so $R_b \le R_a$, and the first inequality then gives
# $D_b \ge D_a$. The same two inequalities say more: the distortion saved per nat of rate,
# $(D_b - D_a)/(R_a - R_b)$, lies between $\beta_a$ and $\beta_b$. All this holds *at the
# minimum*, on the data the models were fitted to. Trained networks are only near their
# minimum, and we measure on test images, so the measurement has to show it.
#
# The same small VAE was trained with four values of $\beta$ (all four ship with `vaebook`).
# The sweep compares where training ends, so each model trained until its validation loss had
# not improved for longer than the recipe usually waits (its patience):

# %%
sweep = {beta: pretrained.model_for(f"mlp_beta{beta:g}", data) for beta in BETAS}
for beta in BETAS:
    info = pretrained.info(f"mlp_beta{beta:g}")
    print(f"beta = {beta:5.2f}: stopped after {info['epochs_run']} epochs, the last {info['epochs_run'] - info['best_epoch']} "
          f"without a better validation loss (patience {SWEEP_PATIENCE}); weights of epoch {info['best_epoch']}")
print(f"the recipe's usual patience, as for the other models here: {pretrained.config('without_7').patience} epochs")

# %% [markdown]
# Rate and distortion on the 1,000 test images (10 draws of $z$ per image), each with its
# standard error over the images:

# %%
points = [rate_distortion(sweep[beta], data.x_test, samples=10) for beta in BETAS]
print(" beta   rate R         distortion D    D + R = -ELBO   (nats per test image, +- one standard error)")
for beta, p in zip(BETAS, points):
    print(f"{beta:5.2f}   {p['rate']:5.2f} +- {p['rate_se']:.2f}   {p['distortion']:5.1f} +- {p['distortion_se']:.1f}   "
          f"{p['rate'] + p['distortion']:13.1f}")

# %%
plot_rate_distortion(points, BETAS)
plt.show()

# %% [markdown]
# The error bars of $D$ are wide because digits differ: a 1 costs far fewer nats than an 8,
# whatever the model. All four models describe the same 1,000 images, though, so compare them
# image by image: the change from one $\beta$ to the next, per image, averaged, with the
# standard error of that average; and the distortion each nat of rate was worth.

# %%
for (b_a, a), (b_b, b) in zip(zip(BETAS, points), zip(BETAS[1:], points[1:])):
    rate, rate_se = mean_and_error(b["rates"] - a["rates"])
    distortion, distortion_se = mean_and_error(b["distortions"] - a["distortions"])
    total, total_se = mean_and_error(b["rates"] + b["distortions"] - a["rates"] - a["distortions"])
    print(f"beta {b_a:g} -> {b_b:g}: R {rate:+6.2f} +- {rate_se:.2f}, D {distortion:+6.2f} +- {distortion_se:.2f}, "
          f"D + R {total:+6.2f} +- {total_se:.2f}; D per nat of R: {-distortion / rate:5.2f}")

# %% [markdown]
# Each step to a larger $\beta$ lowers the rate, by many standard errors, and raises the
# distortion: as $\beta$ grows, the rate falls and the distortion rises, a real trade-off on
# images the models never saw. The distortion each nat of rate was worth lies between the two
# $\beta$s of its step, as it would at the minimum. So the trade is far from even along the
# curve: near $\beta = 16$ a nat of rate saves about ten nats of distortion, near
# $\beta = 0.25$ about a third of a nat, and the step between $\beta = 0.25$ and $1$ changes
# the distortion by less than two standard errors. This is the usual shape of a
# rate-distortion curve: steep where the code is nearly empty, flat where it already carries
# much.
#
# The total $D + R$ moves too. Only $\beta = 1$ has the negative ELBO itself as its objective,
# so, by the argument above with $D + R$ in place of $D + \beta R$, no other model can have a
# lower $D + R$ than the $\beta = 1$ model *at the minimum, on its training data*. Here, on test
# images, it has the lowest total of the four, though the step to $\beta = 4$ costs only a
# little over one nat. What the trade-off looks like, as reconstructions of test digits and as
# samples, at the two ends of the sweep:

# %%
originals = data.x_test[:10]
z = prior_samples(10, latent_dim=2, seed=1)
low, high = sweep[BETAS[0]], sweep[BETAS[-1]]
show_images(
    np.concatenate([originals, reconstruct(low, originals), reconstruct(high, originals), decode(low, z), decode(high, z)]),
    row_labels=[
        "test digits",
        f"rec. $\\beta$={BETAS[0]:g}",
        f"rec. $\\beta$={BETAS[-1]:g}",
        f"samp. $\\beta$={BETAS[0]:g}",
        f"samp. $\\beta$={BETAS[-1]:g}",
    ],
    suptitle="Reconstructions (rec.) of 10 test digits, and samples (samp.): the same 10 codes $z \\sim \\mathcal{N}(0, I)$ decoded by both models",
)
plt.show()

# %% [markdown]
# How many reconstructions keep their digit? A digit reader answers: the five nearest real
# training digits vote, compared by shape (`shape_reader`: each image smoothed and scaled to
# length 1, so that a blurred, pale reconstruction is not mistaken for a 1; notebook 06
# measures its errors on blurred and faint digits).

# %%
read = shape_reader(data.x_train, data.y_train)
print(f"test digits read right:       {np.sum(read(originals) == data.y_test[:10])} of the 10 shown, "
      f"{np.mean(read(data.x_test) == data.y_test):.0%} of the 1,000")
for beta in (BETAS[0], BETAS[-1]):
    kept = read(reconstruct(sweep[beta], data.x_test)) == data.y_test
    print(f"reconstructions, beta = {beta:5.2f}: {kept[:10].sum()} of the 10 shown, {kept.mean():.0%} of the 1,000 keep their digit")

# %% [markdown]
# A small $\beta$ keeps more of each digit in its reconstruction, though with two latent
# dimensions even a cheap code loses many of them. Its samples are another matter: most are
# blotchy overlaps of strokes that are no digit, a few pass for a 3 or a 5, while its
# reconstructions, drawn by the same decoder, are far cleaner. Good reconstructions with poor
# samples is the classic sign of a small $\beta$. The reason is where the codes lie. A sample
# starts from $z \sim p(z)$, but with the KL term weighted by only $\beta$, little holds the
# encoder's codes to the prior:

# %%
for beta in BETAS:
    codes, _ = encode(sweep[beta], data.x_test)
    print(f"beta = {beta:5.2f}: test codes' standard deviation {np.round(codes.std(axis=0), 2)}, "
          f"{share_in_prior_region(codes):.0%} of them inside the circle that holds 95% of the prior's samples")

# %% [markdown]
# At $\beta = 0.25$ the codes spread about twice as wide as the prior, and half of the test
# digits are encoded outside the circle that holds 95% of the prior's samples. Sampling from
# the prior then does not sample the codes the decoder learned to draw: it crowds into the
# middle of the code cloud, and what the decoder draws there is the overlap of strokes in the
# figure. The larger $\beta$, the closer the codes stay to the prior. At $\beta = 16$ the code
# carries about one nat (the table above), and reconstructions and samples alike come out as a
# few blurred shapes, much the same whatever the original digit: the encoder's output has
# nearly collapsed onto the prior.

# %% [markdown]
# ## 3. Why VAE images are blurry
#
# VAE reconstructions and samples are famously blurry. The cause is not a training problem:
# it is what the model is asked to output. Take one code $z$, here one sample from the prior,
# and look at three things: the decoder's output, which is the mean $p$ of the Bernoulli
# $p(x|z)$; three binary images drawn from that Bernoulli; and the average of the 10 training
# digits whose codes lie nearest to $z$.

# %%
model = sweep[1.0]
z = prior_samples(1, latent_dim=2, seed=3)
p = decode(model, z)
draws = binarize(np.repeat(p, 3, axis=0), seed=0)  # three draws x ~ Bernoulli(p)
train_means, _ = encode(model, data.x_train)
neighbours = data.x_train[nearest_codes(train_means, z[0], n=10)]
show_images(
    np.concatenate([p, draws, neighbours.mean(axis=0, keepdims=True)]),
    ncols=5,
    titles=["decoder mean $p$", "draw 1", "draw 2", "draw 3", "mean of 10 nearest"],
    suptitle="One sample $z \\sim \\mathcal{N}(0, I)$: decoded, drawn from $p(x|z)$, and its training neighbours averaged",
    size=1.6,
)
plt.show()

# %% [markdown]
# The decoder's output looks like the average of the training digits that were encoded near
# $z$, and that is no coincidence. For a Bernoulli decoder, the reconstruction term is
# maximised when $p$ is the average of all the images whose posteriors $q(z|x)$ cover $z$.
# Many different images, and in the crowded middle several different digits, share each region
# of a 2-d latent space, so the best $p$ is a smooth
# average of them. Drawing from the Bernoulli does not help: the draws are speckled, because
# the model treats pixels as independent given $z$ and has no way to say "these pixels go on
# together".
#
# A number makes it concrete: the share of pixels that are neither clearly ink nor clearly
# background (grey value strictly between 0.1 and 0.9).

# %%
real = uncertain_pixel_fraction(data.x_test)
print(f"test images:            {real:.1%} of pixels uncertain")
for beta in BETAS:
    recon = uncertain_pixel_fraction(reconstruct(sweep[beta], data.x_test))
    samples = uncertain_pixel_fraction(decode(sweep[beta], prior_samples(1000, latent_dim=2, seed=0)))
    print(f"beta = {beta:5.2f}: reconstructions {recon:.1%}, samples {samples:.1%} "
          f"({recon / real:.1f} and {samples / real:.1f} times the test images')")

# %% [markdown]
# Real MNIST digits are nearly black and white; the reconstructions and the samples hedge on
# more than three times as many pixels, whatever the $\beta$. Sharper VAEs change the
# model, not the training: more latent dimensions, decoders that model pixels jointly
# (autoregressive decoders such as PixelVAE), hierarchical latents (NVAE), or a discrete code
# with a powerful prior (VQ-VAE).

# %% [markdown]
# ## 4. The log-likelihood of test digits
#
# Losses are bounds. To quote a log-likelihood we estimate $\log p(x)$ itself, with the
# importance-sampled estimate of notebook 02 (Burda et al. 2015), from $k$ draws
# $z_1, \dots, z_k \sim q(z|x)$:
#
# $$\log p(x) \approx \log \frac{1}{k} \sum_{i=1}^{k} \frac{p(x|z_i)\,p(z_i)}{q(z_i|x)}.$$
#
# Log-likelihoods are only comparable on binary data and under stated conditions. Here they
# are: **dynamically binarized** MNIST (training images are re-binarized,
# $x_{\text{bin}} \sim \text{Bernoulli}(x)$ with $x$ the grey level, in every batch; the test
# images are binarized once), and the network of Burda et al.'s Table 1: one stochastic layer
# of **50 latent units**, two hidden layers of 200 tanh units.

# %%
binary = load_mnist(binarization="dynamic")

# %%
model_50d = pretrained.model_for("likelihood_50d", binary)
config = pretrained.config("likelihood_50d")

# %% [markdown]
# With $k = 5000$ samples per image, the estimate is expensive, so this notebook evaluates the
# first 25 test digits (all ten classes appear among them); `python -m benchmarks.likelihood`
# runs the whole test set. On average the estimate grows with $k$ towards $\log p(x)$; at
# $k = 1$ it is the ELBO itself, from a single draw of $z$ per image. Next to it, the ELBO
# averaged over 100 draws:

# %%
x_eval = binary.x_test[:25]
print(f"how many of each digit 0-9 the {len(x_eval)} test digits hold: {np.bincount(binary.y_test[:25], minlength=10).tolist()}")
ks = (1, 10, 100, 5000)
estimates = {k: importance_log_likelihood(model_50d, x_eval, k=k, seed=0).mean() for k in ks}
elbo = elbo_per_example(model_50d, x_eval, samples=100).mean()
print(f"ELBO (100 draws of z per image): {elbo:.1f} nats")
for k in ks:
    print(f"importance-sampled estimate, k = {k:4d}: {estimates[k]:.1f} nats")

# %% [markdown]
# The $k = 1$ line is a one-draw ELBO on 25 digits, so it misses the 100-draw ELBO by Monte
# Carlo noise, here falling a little below it; only the expectation of the estimate grows with
# $k$. From $k = 10$ on, the estimate sits clearly above the ELBO. The quoted number is the one
# with the largest $k$:

# %%
info = pretrained.info("likelihood_50d")
print(f"log p(x) ≈ {estimates[5000]:.1f} nats per image")
print(f"  data: {binary.source} MNIST, the first {len(x_eval)} of {len(binary.x_test):,} test digits, dynamic binarization")
print(f"  model: {config.describe()}, trained on {info['data']['train_images'] * 9 // 10:,} images "
      f"for {info['epochs_run']} epochs (weights of epoch {info['best_epoch']}); estimate with k = 5000")
print("  published (Burda et al. 2015, Table 1): -86.76 nats, full MNIST (60,000 training digits),")
print("  dynamic binarization, the same network, k = 5000, 3,280 training epochs")

# %% [markdown]
# The two numbers are **not** measured under the same conditions, and the gap is expected.
# Burda et al. trained on 60,000 digits for 3,280 epochs; with the bundled data this model saw
# 3,600 digits until early stopping ended its training, and 25 test digits are a noisy
# sample. What the comparison does show is the method: the estimate sits above the ELBO, as it
# must on average. Their difference estimates how far $q(z|x)$ is from the true posterior:
# $\log p(x) - \text{ELBO}$ is the average $\mathrm{KL}(q(z|x)\,\|\,p(z|x))$ (notebook 02), and
# since the $k = 5000$ estimate is itself still a little below $\log p(x)$, the difference is a
# lower bound on that KL, up to the noise of the two estimates:

# %%
print(f"estimate (k = 5000) - ELBO = {estimates[5000] - elbo:.1f} nats: the average KL(q(z|x) || p(z|x)) is at least about this")

# %% [markdown]
# `benchmarks/README.md` gives the command that reproduces the published setting on full
# MNIST.

# %% [markdown]
# ## 5. Pros and cons
#
# **What a VAE does well**
#
# - It learns an encoder and a decoder together, with a principled objective, the ELBO, and
#   trains as stably as any autoencoder: no adversary, no mode collapse.
# - Its latent space is smooth and regular: nearby codes decode to similar images, and the
#   prior can be sampled, though the codes need not fill it evenly (notebook 04, and section 2
#   for a small $\beta$).
# - On binary data it gives a lower bound on $\log p(x)$ for every input, and a tighter estimate
#   with importance sampling: useful for model comparison and, with care, anomaly detection.
# - $\beta$ gives an explicit handle on how much information the code keeps.
#
# **Where it falls short**
#
# - Samples and reconstructions are blurry with a factorized decoder (section 3).
# - The ELBO is a bound; the gap depends on how well $q(z|x)$ fits the true posterior.
# - Likelihoods reward simple images, so raw ELBO anomaly scores need a correction (section 1).
# - Parts of the code can switch off during training ("posterior collapse", notebook 03); a
#   powerful decoder can ignore the code altogether, and a large $\beta$ pushes the same way
#   (section 2).
# - On images, GANs and diffusion models produce sharper samples; the VAE lives on inside
#   them, as the autoencoder of latent diffusion (Rombach et al. 2022).

# %% [markdown]
# ## Summary
#
# - The ELBO scores how well a VAE explains an image. As an anomaly score it is fooled by
#   simple images; a likelihood ratio against a background model is the standard repair
#   (section 1 shows how much it recovered here, next to an oracle baseline whose reference has
#   seen the anomaly).
# - $\beta$ trades rate (KL) against distortion (reconstruction): on test images, with error
#   bars, a larger $\beta$ gives a lower rate and a higher distortion. A small $\beta$ gives
#   better reconstructions and worse samples, because its codes stray from the prior;
#   $\beta = 1$ is the one whose objective is the ELBO.
# - Blur is the Bernoulli decoder doing its job: its output is the average of the images that
#   share a region of the latent space.
# - A log-likelihood comes from the importance-sampled estimate, quoted with its data,
#   binarization, $k$, latent size and training budget, and compared only under the same
#   conditions.
#
# Next, the last notebook: [06_conditional_vae.ipynb](06_conditional_vae.ipynb) gives the VAE
# the digit label, so that it draws the digit asked for, and shows what that changes.
#
# ### References
#
# - Burda, Y., Grosse, R., & Salakhutdinov, R. (2015). Importance Weighted Autoencoders.
#   arXiv:1509.00519 (ICLR 2016).
# - Nalisnick, E., Matsukawa, A., Teh, Y. W., Gorur, D., & Lakshminarayanan, B. (2019). Do
#   Deep Generative Models Know What They Don't Know? ICLR 2019.
# - Ren, J., Liu, P. J., Fertig, E., Snoek, J., Poplin, R., DePristo, M., Dillon, J., &
#   Lakshminarayanan, B. (2019). Likelihood Ratios for Out-of-Distribution Detection.
#   NeurIPS 2019.
# - Higgins, I., et al. (2017). beta-VAE: Learning Basic Visual Concepts with a Constrained
#   Variational Framework. ICLR 2017.
# - Alemi, A., et al. (2018). Fixing a Broken ELBO. ICML 2018 (the rate-distortion view).
# - Rombach, R., Blattmann, A., Lorenz, D., Esser, P., & Ommer, B. (2022). High-Resolution
#   Image Synthesis with Latent Diffusion Models. CVPR 2022.

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

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "c72645376ba89c903fc774536f161dbe", "grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
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

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "04cc282b36635333562eeb47c32cd216", "grade": false, "grade_id": "ex1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
ink_answer = (
    ...  # your code here
)

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "53ca58d2322d60bccc91bf627709b141", "grade": true, "grade_id": "ex1_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_ink_auc(ink_answer, data.x_test, data.y_test)


# %% [markdown]
# **Exercise 2 (code) [3 points].** Write the importance-weighted bound of section 4,
# `importance_weighted_bound(log_w)`. Its input holds the log weights
# $\log w_{i,n} = \log p(x_n|z_i) + \log p(z_i) - \log q(z_i|x_n)$ of $k$ samples
# $z_i \sim q(z|x_n)$ for each of $N$ images, an array of shape $(k, N)$; return
# $\log \frac{1}{k} \sum_i w_{i,n}$ for each image, shape $(N,)$. Log weights of a 784-pixel image
# can be -1000 or lower, where `np.exp` gives 0: make it work there too.

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "95af6dc0e7d968625dfe8a6b1c6748da", "grade": false, "grade_id": "ex2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def importance_weighted_bound(log_w):
    ...  # your code here


# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "1ba309fabc856e7471ef8d2c4186aa16", "grade": true, "grade_id": "ex2_check", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
exercises.check_importance_weighted_bound(importance_weighted_bound)

# %% [markdown]
# **Exercise 3 (an experiment: a number, then a reading) [2 + 3 points].** Which term of the ELBO
# flags the 7s? Split the score of section 1 in two, under `no_sevens`: the **rate** of each test
# image, $R(x) = \mathrm{KL}(q(z|x)\,\|\,p(z))$ (in closed form, from `encode(no_sevens, data.x_test)`),
# and the **distortion**, $D(x) = -\log p(x|z)$ at the encoder mean (`no_sevens.log_likelihood(x, z)`
# gives $\log p(x|z)$ for images `x` and codes `z`, as tensors: `ops.convert_to_numpy` turns its
# output into NumPy). (a) Give the ROC AUC of the rate score for "is a 7" (more nats, more
# anomalous); within 0.005 counts as right.

# %% deletable=false nbgrader={"cell_type": "code", "checksum": "6f279db98c279fe19145ef2dbdf1e5eb", "grade": false, "grade_id": "ex3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
...  # your code here
rate_answer = (
    ...  # your code here
)

# %% deletable=false editable=false nbgrader={"cell_type": "code", "checksum": "d137055ac9d79dc58b23442d1b3ca5cb", "grade": true, "grade_id": "ex3_check", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
exercises.check_rate_auc(rate_answer, no_sevens, data.x_test, data.y_test)

# %% [markdown]
# (b) Compute the distortion's AUC too, and set both next to the AUC of -ELBO of section 1. Which
# term carries the signal that the model never saw a 7, and why would the other one not? What does
# that suggest for a detector built from this model?

# %% [markdown] deletable=false nbgrader={"cell_type": "markdown", "checksum": "50af8bd22b32b9302fa1a111416d2052", "grade": true, "grade_id": "ex3_written", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# *Your answer here.*

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

# %% [markdown] deletable=false nbgrader={"cell_type": "markdown", "checksum": "ae1035122d0614a0c40682ad1a63b7c8", "grade": true, "grade_id": "ex4_written", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# *Your answer here.*
