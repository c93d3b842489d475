"""Plant each bug that a unit test is named for, run that test, and check that it fails.

    python -m benchmarks.planted_bugs            # every plant (about 15 minutes on 2 CPUs)
    python -m benchmarks.planted_bugs sign-flip  # the plants whose name contains the word

A test that passes with its bug planted asserts less than its name says. Each plant replaces
one exact piece of source text (so a plant that no longer applies is reported, not skipped),
runs the named tests in a fresh interpreter, and puts the file back, also on Ctrl-C. The
working tree must be clean of other changes to the planted files.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, file, original text, planted text, tests that must fail)
PLANTS = [
    ("likelihood-ratio sign-flip", "vaebook/anomaly.py",
     "score += elbo_per_example(reference", "score -= elbo_per_example(reference",
     ["tests/test_anomaly.py::test_likelihood_ratio_is_reference_elbo_minus_model_elbo"]),
    ("dynamic binarization ignored in training", "vaebook/model.py",
     "if training and self.dynamic_binarization:", "if False and self.dynamic_binarization:",
     ["tests/test_model.py::test_training_binarizes_dynamically_and_validation_runs_in_inference_mode"]),
    ("test_step in training mode", "vaebook/model.py",
     "reconstruction, kl = self.loss_terms(x, training=False, labels=labels)",
     "reconstruction, kl = self.loss_terms(x, training=True, labels=labels)",
     ["tests/test_model.py::test_training_binarizes_dynamically_and_validation_runs_in_inference_mode"]),
    ("exclude_digit ignored", "vaebook/training.py",
     "keep = slice(None) if config.exclude_digit is None else data.y_train != config.exclude_digit",
     "keep = slice(None)",
     ["tests/test_cache.py::test_training_split_leaves_out_the_excluded_digit"]),
    ("mean and log-variance swapped from the encoder", "vaebook/model.py",
     "mean, log_var = self.encoder(self.with_labels(x, labels), training=training)\n        z = self.sampling",
     "log_var, mean = self.encoder(self.with_labels(x, labels), training=training)\n        z = self.sampling",
     ["tests/test_model.py::test_loss_terms_use_the_encoder_mean_and_log_variance_in_their_places"]),
    ("mean and log-variance swapped in the KL", "vaebook/model.py",
     "return -self.log_likelihood_of_output(x, logits), gaussian_kl(mean, log_var)",
     "return -self.log_likelihood_of_output(x, logits), gaussian_kl(log_var, mean)",
     ["tests/test_model.py::test_loss_terms_use_the_encoder_mean_and_log_variance_in_their_places"]),
    ("mean and log-variance swapped in the sampling", "vaebook/model.py",
     "z = self.sampling(mean, log_var)", "z = self.sampling(log_var, mean)",
     ["tests/test_model.py::test_loss_terms_use_the_encoder_mean_and_log_variance_in_their_places"]),
    ("beta (kl_weight) left out of the gradient, kept in the metrics", "vaebook/model.py",
     "            loss = reconstruction + self.kl_weight * kl\n        grads = tape.gradient(loss,",
     "            loss = reconstruction + self.kl_weight * kl\n        grads = tape.gradient(reconstruction + kl,",
     ["tests/test_model.py::test_beta_weights_the_kl_term_in_the_gradient"]),
    ("bernoulli log-likelihood returns 0", "vaebook/losses.py",
     "    return _sum_all_but_batch(x * logits - ops.softplus(logits))",
     "    return 0.0 * _sum_all_but_batch(x * logits - ops.softplus(logits))",
     ["tests/test_losses.py::test_bernoulli_log_likelihood_is_finite_for_saturated_logits"]),
    ("KL is a zeros stub", "vaebook/losses.py",
     "    return 0.5 * ops.sum(ops.square(mean) + variance_term, axis=-1)",
     "    return 0.0 * ops.sum(ops.square(mean) + variance_term, axis=-1)",
     ["tests/test_losses.py::test_kl_is_never_negative", "tests/test_losses.py::test_kl_is_never_negative_near_the_prior",
      "tests/test_losses.py::test_kl_near_the_prior_is_small_but_positive"]),
    ("Gaussian log-density without log(2 pi)", "vaebook/losses.py",
     "return -0.5 * ops.sum(LOG_2PI + log_var +", "return -0.5 * ops.sum(0.0 + log_var +",
     ["tests/test_losses.py::test_gaussian_log_density_matches_scipy"]),
    ("ROC AUC squared", "vaebook/anomaly.py",
     "return float(roc_auc_score(is_anomaly, scores))", "return float(roc_auc_score(is_anomaly, scores) ** 2)",
     ["tests/test_anomaly.py::test_noise_images_score_as_anomalies"]),
    ("rate from a swapped KL", "vaebook/evaluate.py",
     "kls.append(ops.convert_to_numpy(gaussian_kl(mean, log_var)))",
     "kls.append(ops.convert_to_numpy(gaussian_kl(log_var, mean)))",
     ["tests/test_anomaly.py::test_rate_distortion_is_the_split_elbo"]),
    ("bundled arrays not cached", "vaebook/data.py",
     "@functools.lru_cache(maxsize=None)\ndef _load_bundled():", "def _load_bundled():",
     ["tests/test_data.py::test_loaded_arrays_are_cached_and_protected"]),
    ("VAEBOOK_DATA ignored", "vaebook/data.py",
     "os.environ.get(ENV_VAR) or \"bundled\"", "None or \"bundled\"",
     ["tests/test_data.py::test_environment_variable_chooses_source"]),
    ("estimators draw separate noise", "vaebook/estimators.py",
     "return {\"score_function\": score_function_terms(f, z, mu, sigma),",
     "z2 = mu + sigma * np.random.default_rng(seed + 1).standard_normal(samples)\n"
     "    return {\"score_function\": score_function_terms(quadratic(z2, target)[0], z2, mu, sigma),",
     ["tests/test_history_estimators.py::test_estimators_share_the_noise_and_check_inputs"]),
    ("foreign model not recognised", "vaebook/model.py",
     "if not registered.startswith(f\"{PACKAGE}>\"):", "if False:",
     ["tests/test_model.py::test_corrupt_or_foreign_model_file"]),
    ("load_vae swallows every error", "vaebook/model.py",
     "    model = keras.saving.load_model(path)\n",
     "    try:\n        model = keras.saving.load_model(path)\n    except Exception as err:\n"
     "        raise ValueError(f\"{path} is corrupt\") from err\n",
     ["tests/test_model.py::test_load_vae_lets_errors_that_are_not_about_the_file_surface"]),
    ("VAE called in training mode by default", "vaebook/model.py",
     "def call(self, inputs, training=False):", "def call(self, inputs, training=True):",
     ["tests/test_model.py::test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode"]),
    ("codes decoded in training mode", "vaebook/model.py",
     "output = self.decoder(self.with_labels(ops.reshape(z, (-1, self.latent_dim)), labels), training=False)",
     "output = self.decoder(self.with_labels(ops.reshape(z, (-1, self.latent_dim)), labels), training=True)",
     ["tests/test_model.py::test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode"]),
    ("evaluation (ELBO, importance sampling) encodes in training mode", "vaebook/evaluate.py",
     "mean, log_var = model.encoder(inputs, training=False)",
     "mean, log_var = model.encoder(inputs, training=True)",
     ["tests/test_model.py::test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode"]),
    ("conditional: train_step ignores the labels", "vaebook/model.py",
     "reconstruction, kl = self.loss_terms(x, training=True, labels=labels)",
     "reconstruction, kl = self.loss_terms(x, training=True, labels=ops.zeros_like(labels))",
     ["tests/test_conditional.py::test_training_step_uses_the_labels_it_is_given"]),
    ("conditional: test_step ignores the labels", "vaebook/model.py",
     "reconstruction, kl = self.loss_terms(x, training=False, labels=labels)",
     "reconstruction, kl = self.loss_terms(x, training=False, labels=ops.zeros_like(labels))",
     ["tests/test_conditional.py::test_validation_loss_uses_the_validation_labels"]),
    ("conditional: conv decoder ignores the label", "vaebook/model.py",
     'h = layers.Dense(7 * 7 * 64, activation="relu", name="hidden")(_join(inputs[0], inputs, "with_label"))',
     'h = layers.Dense(7 * 7 * 64, activation="relu", name="hidden")(inputs[0])',
     ["tests/test_conditional.py::test_both_networks_take_the_one_hot_label[conv]"]),
    ("conditional: conv encoder ignores the label", "vaebook/model.py",
     'h = _join(layers.Flatten(name="flatten")(h), inputs, "with_label")', 'h = layers.Flatten(name="flatten")(h)',
     ["tests/test_conditional.py::test_both_networks_take_the_one_hot_label[conv]"]),
    ("conditional: evaluation pairs batches with the first labels", "vaebook/evaluate.py",
     'given = {} if labels is None else {"labels": labels[start : start + batch_size]}',
     'given = {} if labels is None else {"labels": labels[:batch_size][: len(xb)]}',
     ["tests/test_conditional.py::test_evaluation_slices_the_labels_with_the_images"]),
    ("conditional: codes decoded under the labels in the wrong order", "vaebook/conditional.py",
     "labels=np.tile(np.arange(k), len(z)))", "labels=np.repeat(np.arange(k), len(z)))",
     ["tests/test_conditional.py::test_decode_under_every_label_is_row_major_by_code"]),
    ("conditional: label-free bound without - log K", "vaebook/conditional.py",
     "return logsumexp(log_liks, axis=1) - math.log(log_liks.shape[1])", "return logsumexp(log_liks, axis=1)",
     ["tests/test_conditional.py::test_scores_under_every_label_and_the_label_free_bound"]),
    ("explorer: a click on a digit does not update", "vaebook/widgets.py",
     '        self._label = int(change["new"])\n        self._update()', '        self._label = int(change["new"])',
     ["tests/test_widgets.py::test_a_conditional_vae_gets_a_digit_chooser_that_sets_the_decoder_label"]),
    ("explorer: always decodes digit 0", "vaebook/widgets.py",
     'given = {"labels": [self._label]} if', 'given = {"labels": [0]} if',
     ["tests/test_widgets.py::test_a_conditional_vae_gets_a_digit_chooser_that_sets_the_decoder_label"]),
    ("cache key ignores the training code", "vaebook/cache.py",
     "        \"code\": training_code_fingerprint(),\n", "",
     ["tests/test_cache.py::test_key_depends_on_the_training_code"]),
    # Found by the mutation run (benchmarks/README.md, "Mutation testing"):
    ("elbo_terms: the ELBO off by 1/samples nats", "vaebook/evaluate.py", "        total = 0.0", "        total = 1.0",
     ["tests/test_evaluate.py::test_elbo_terms_of_a_nearly_certain_posterior_are_log_p_x_given_its_mean_and_the_closed_form_kl"]),
    ("elbo_terms: a batch of 1 refused", "vaebook/evaluate.py",
     'whole_number("batch_size", batch_size, 1)', 'whole_number("batch_size", batch_size, 2)',
     ["tests/test_evaluate.py::test_the_smallest_sizes_work_and_zero_is_refused"]),
    ("reparameterize: mean - sigma * eps", "vaebook/losses.py",
     "return mean + ops.exp(0.5 * log_var) * eps", "return mean - ops.exp(0.5 * log_var) * eps",
     ["tests/test_losses.py::test_reparameterize_is_mean_plus_sigma_times_the_given_eps"]),
    ("KL summed over axis 1, not the latent axis", "vaebook/losses.py", "variance_term, axis=-1)", "variance_term, axis=1)",
     ["tests/test_losses.py::test_kl_sums_the_latent_axis_for_any_leading_shape"]),
    ("one code per image sent down the k-draw path", "vaebook/model.py",
     "if len(z.shape) == 2:", "if len(z.shape) < 2:",
     ["tests/test_model.py::test_log_likelihood_of_codes_takes_one_code_or_k_codes_per_image"]),
    ("one code per image decoded in training mode", "vaebook/model.py",
     "return self.log_likelihood_of_output(x, self.decoder(self.with_labels(z, labels), training=False))",
     "return self.log_likelihood_of_output(x, self.decoder(self.with_labels(z, labels), training=True))",
     ["tests/test_model.py::test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode"]),
    ("log_likelihood_of_codes: codes of the wrong shape let through", "vaebook/model.py",
     "if len(z.shape) not in (2, 3) or z.shape[-2:] != (len(x), self.latent_dim):", "if False:",
     ["tests/test_model.py::test_log_likelihood_of_codes_refuses_codes_of_the_wrong_shape"]),
    ("roc_auc: labels shorter than the scores let through", "vaebook/anomaly.py",
     "if is_anomaly.shape != scores.shape", "if is_anomaly.shape > scores.shape",
     ["tests/test_anomaly.py::test_roc_auc_bad_inputs"]),
    ("a plain VAE trains on the second element of an (x, y) batch", "vaebook/model.py",
     "return (data[0] if isinstance(data, (tuple, list)) else data), None",
     "return (data[1] if isinstance(data, (tuple, list)) else data), None",
     ["tests/test_model.py::test_a_plain_vae_reads_the_images_of_an_x_y_batch_and_ignores_the_rest"]),
    ("sample weights of a dataset's (x, y, w) batches silently ignored", "vaebook/model.py",
     "_refuse_weights(isinstance(data, (tuple, list)) and len(data) > 2)", "_refuse_weights(False)",
     ["tests/test_model.py::test_sample_and_class_weights_get_a_clear_error_instead_of_being_ignored"]),
    ("sample_weight and class_weight of fit silently ignored", "vaebook/model.py",
     '_refuse_weights(kwargs.get("sample_weight") is not None or kwargs.get("class_weight") is not None)',
     "_refuse_weights(False)",
     ["tests/test_model.py::test_sample_and_class_weights_get_a_clear_error_instead_of_being_ignored"]),
    ("load_weights: Keras' per-layer warnings before the clear error", "vaebook/model.py",
     '        with warnings.catch_warnings(record=True) as caught:\n            warnings.simplefilter("always")\n',
     "        if True:\n            caught = []\n",
     ["tests/test_model.py::test_weights_for_another_latent_size_are_refused"]),
]


def run(plant) -> dict:
    name, file, original, planted, tests = plant
    path = ROOT / file
    source = path.read_text()
    if source.count(original) != 1:
        return {"plant": name, "result": f"NOT APPLIED: the original text is not in {file} exactly once"}
    start = time.perf_counter()
    try:
        path.write_text(source.replace(original, planted))
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                              cwd=ROOT, capture_output=True, text=True)
    finally:
        path.write_text(source)
    failed = [line.split()[1] for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    # Every named test must fail, not just one; a parametrized test fails when one of its cases does.
    passed = [t for t in tests if not any(f == t or f.startswith(t + "[") for f in failed)]
    verdict = "caught" if done.returncode == 1 and not passed else f"NOT CAUGHT by {passed} (pytest exit {done.returncode})"
    return {"plant": name, "file": file, "result": verdict, "failing": failed, "seconds": round(time.perf_counter() - start)}


def main(argv=None):
    words = (argv if argv is not None else sys.argv[1:])
    chosen = [p for p in PLANTS if not words or any(w in p[0] for w in words)]
    results = []
    for plant in chosen:
        results.append(run(plant))
        r = results[-1]
        print(f"{r['result']:<12} {r['plant']} -> {', '.join(t.split('::')[-1] for t in r.get('failing', []))} ({r.get('seconds', 0)} s)", flush=True)
    missed = [r for r in results if r["result"] != "caught"]
    print(f"{len(results) - len(missed)} of {len(results)} plants caught")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
