"""The exact limit: a linear-Gaussian VAE (probabilistic PCA), whose log p(x) is known in closed form.

Reports the ELBO and the importance-sampled estimate against the exact log p(x), for PPCA
fitted by maximum likelihood with the best diagonal encoder, the same with its encoder
variances tripled (a clear ELBO gap), and a linear VAE trained by gradient descent.

    python -m benchmarks.exact_limit           # target: |IS estimate - exact| <= 0.1 nats per example
"""

from __future__ import annotations

from benchmarks._common import parser, report, verdict

TARGET = 0.1


def main(argv=None):
    args = parser(__doc__).parse_args(argv)
    from vaebook.data import load_mnist
    from vaebook.evaluate import dataset_elbo, importance_log_likelihood
    from vaebook.linear_gaussian import build_linear_vae, fit_ppca, widen_encoder

    data = load_mnist("bundled", verbose=False)
    n_test, k, epochs = (50, 50, 1) if args.smoke else (1000, 5000, 30)
    x = data.x_test[:n_test]
    trained = build_linear_vae(latent_dim=2, seed=0, learning_rate=3e-3)
    trained.fit(data.x_train, epochs=epochs, batch_size=128, verbose=0)
    models = {
        "PPCA (max. likelihood), best diagonal encoder": fit_ppca(data.x_train, latent_dim=2, seed=0),
        "PPCA, encoder variances x3": widen_encoder(fit_ppca(data.x_train, latent_dim=2, seed=0), 3.0),
        f"linear VAE trained {epochs} epochs": trained,
    }
    rows = []
    for name, model in models.items():
        exact = float(model.exact_log_marginal(x).mean())
        elbo = dataset_elbo(model, x, samples=100)
        estimate = float(importance_log_likelihood(model, x, k=k).mean())
        error = abs(estimate - exact)
        rows.append({"model": name, "exact": exact, "elbo": elbo, "is_estimate": estimate, "abs_error": error,
                     "target": f"<= {TARGET:g}",
                     "result": "n/a (smoke)" if args.smoke else verdict(error <= TARGET, f"{error:.3f} nats")})
    conditions = {"data": f"bundled MNIST, grey levels as continuous values, first {n_test} test digits",
                  "latent_dim": 2, "k": k, "elbo_samples": 100, "units": "nats per example (log-densities)"}
    return report("exact_limit", args, rows, conditions, "python -m benchmarks.exact_limit")


if __name__ == "__main__":
    main()
