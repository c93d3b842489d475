"""The history of the VAE: the milestones of notebook 01, their references, and a timeline figure."""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt


@dataclasses.dataclass(frozen=True)
class Milestone:
    """One paper: its year, a short name, what it contributed, and the full reference."""

    year: int
    name: str
    idea: str
    reference: str


MILESTONES = (
    Milestone(
        1995,
        "Helmholtz machine",
        "a recognition network learns to infer the latent causes a generative network uses",
        "Dayan, P., Hinton, G. E., Neal, R. M., & Zemel, R. S. (1995). The Helmholtz Machine. "
        "Neural Computation, 7(5), 889-904.",
    ),
    Milestone(
        1995,
        "Wake-sleep",
        "train the generative and recognition networks in alternating phases",
        "Hinton, G. E., Dayan, P., Frey, B. J., & Neal, R. M. (1995). The \"wake-sleep\" algorithm for "
        "unsupervised neural networks. Science, 268(5214), 1158-1161.",
    ),
    Milestone(
        2013,
        "VAE (AEVB)",
        "the reparameterization trick: one objective, the ELBO, trains both networks by backpropagation",
        "Kingma, D. P., & Welling, M. (2013). Auto-Encoding Variational Bayes. arXiv:1312.6114 "
        "(ICLR 2014).",
    ),
    Milestone(
        2014,
        "Stochastic\nbackpropagation",
        "the same idea, found concurrently: deep latent Gaussian models trained by backpropagation",
        "Rezende, D. J., Mohamed, S., & Wierstra, D. (2014). Stochastic Backpropagation and Approximate "
        "Inference in Deep Generative Models. ICML 2014, arXiv:1401.4082.",
    ),
    Milestone(
        2015,
        "IWAE",
        "k importance samples give a tighter bound, and an estimate of log p(x)",
        "Burda, Y., Grosse, R., & Salakhutdinov, R. (2015). Importance Weighted Autoencoders. "
        "arXiv:1509.00519 (ICLR 2016).",
    ),
    Milestone(
        2017,
        r"$\beta$-VAE",
        "weight the KL term by beta > 1 for disentangled latent factors",
        "Higgins, I., Matthey, L., Pal, A., Burgess, C., Glorot, X., Botvinick, M., Mohamed, S., & "
        "Lerchner, A. (2017). beta-VAE: Learning Basic Visual Concepts with a Constrained Variational "
        "Framework. ICLR 2017.",
    ),
    Milestone(
        2017,
        "VQ-VAE",
        "a discrete latent code from a learned codebook, with a learned prior",
        "van den Oord, A., Vinyals, O., & Kavukcuoglu, K. (2017). Neural Discrete Representation "
        "Learning. NeurIPS 2017, arXiv:1711.00937.",
    ),
    Milestone(
        2020,
        "NVAE",
        "a deep hierarchy of latent variables: sharp VAE samples of faces",
        "Vahdat, A., & Kautz, J. (2020). NVAE: A Deep Hierarchical Variational Autoencoder. "
        "NeurIPS 2020, arXiv:2007.03898.",
    ),
    Milestone(
        2022,
        "Latent diffusion",
        "a VAE compresses images; a diffusion model generates in its latent space (Stable Diffusion)",
        "Rombach, R., Blattmann, A., Lorenz, D., Esser, P., & Ommer, B. (2022). High-Resolution Image "
        "Synthesis with Latent Diffusion Models. CVPR 2022, arXiv:2112.10752.",
    ),
)


def references(milestones=MILESTONES) -> str:
    """The full references, numbered in time order, one per line."""
    ordered = sorted(milestones, key=lambda m: m.year)
    return "\n".join(f"[{i}] {m.reference}" for i, m in enumerate(ordered, start=1))


def plot_timeline(milestones=MILESTONES, ax=None):
    """A timeline: one marker per milestone at its year, labelled with its name, alternating above and below."""
    ordered = sorted(milestones, key=lambda m: m.year)
    if not ordered:
        raise ValueError("No milestones to draw; pass at least one Milestone.")
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 3.6))
    years = [m.year for m in ordered]
    ax.axhline(0, color="grey", lw=1, zorder=0)
    ax.scatter(years, [0] * len(years), s=40, color="black", zorder=2)
    seen = {}
    for i, m in enumerate(ordered):
        # Cycle through four label heights (above, below, higher, lower) so neighbours don't overlap;
        # papers of one year on one side stack further out.
        side = 1 if i % 2 == 0 else -1
        level = (i // 2) % 2 + seen.get((m.year, side), 0)
        seen[(m.year, side)] = seen.get((m.year, side), 0) + 2
        height = side * (1.0 + 0.9 * level)
        ax.plot([m.year, m.year], [0, height], color="grey", lw=0.8, zorder=1)
        ax.annotate(
            f"{m.name}\n{m.year}", (m.year, height), ha="center", va="bottom" if side > 0 else "top", fontsize=9
        )
    ax.set_ylim(-4.6, 4.6)
    ax.set_xlim(min(years) - 2, max(years) + 2)
    ax.set_yticks([])
    for spine in ("left", "right", "top"):
        ax.spines[spine].set_visible(False)
    ax.set_title("From the Helmholtz machine to latent diffusion")
    return ax
