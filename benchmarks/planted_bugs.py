"""Plant each bug that a unit test is named for, run that test, and check that it fails.

    python -m benchmarks.planted_bugs            # every plant (about 30 minutes on 2 CPUs)
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
    ("dynamic binarization ignored by the recipe", "vaebook/training.py",
     '    if data.binarization == "dynamic":\n        x_fit, batches', "    if False:\n        x_fit, batches",
     ["tests/test_training.py::test_the_recipe_binarizes_dynamically_only_when_the_data_asks"]),
    ("dynamic binarization returns the grey images", "vaebook/training.py",
     "return (self.rng.random(batch.shape, dtype=np.float32) < batch).astype(np.float32)", "return batch",
     ["tests/test_training.py::test_dynamic_binarization_resamples_each_batch_in_a_new_order_each_epoch"]),
    ("dynamic binarization: the same order every epoch", "vaebook/training.py",
     "    def on_epoch_end(self):\n        self.order = self.rng.permutation(len(self.x))", "    def on_epoch_end(self):\n        pass",
     ["tests/test_training.py::test_dynamic_binarization_resamples_each_batch_in_a_new_order_each_epoch"]),
    ("evaluation weighs the KL by the warm-up's weight, not beta", "vaebook/model.py",
     "return reconstruction + (self.kl_weight if training else self.beta) * kl", "return reconstruction + self.kl_weight * kl",
     ["tests/test_model.py::test_compute_loss_is_the_batch_mean_of_reconstruction_plus_weighted_kl",
      "tests/test_model.py::test_the_training_step_uses_the_kl_weight_and_validation_uses_beta"]),
    ("training ignores the KL weight (beta in the gradient)", "vaebook/model.py",
     "return reconstruction + (self.kl_weight if training else self.beta) * kl", "return reconstruction + self.beta * kl",
     ["tests/test_model.py::test_the_training_step_descends_reconstruction_plus_kl_weight_times_kl",
      "tests/test_model.py::test_compute_loss_is_the_batch_mean_of_reconstruction_plus_weighted_kl"]),
    ("validation decodes in training mode", "vaebook/model.py",
     "reconstruction = ops.mean(-self.log_likelihood(x, z, training=training))",
     "reconstruction = ops.mean(-self.log_likelihood(x, z, training=True))",
     ["tests/test_model.py::test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode"]),
    ("exclude_digit ignored", "vaebook/training.py",
     "keep = slice(None) if config.exclude_digit is None else data.y_train != config.exclude_digit",
     "keep = slice(None)",
     ["tests/test_cache.py::test_training_split_leaves_out_the_excluded_digit"]),
    ("mean and log-variance swapped from the encoder", "vaebook/model.py",
     "        mean, log_var = y_pred\n", "        log_var, mean = y_pred\n",
     ["tests/test_model.py::test_compute_loss_is_the_batch_mean_of_reconstruction_plus_weighted_kl"]),
    ("mean and log-variance swapped in the KL", "vaebook/model.py",
     "kl = ops.mean(gaussian_kl(mean, log_var))", "kl = ops.mean(gaussian_kl(log_var, mean))",
     ["tests/test_model.py::test_compute_loss_is_the_batch_mean_of_reconstruction_plus_weighted_kl"]),
    ("mean and log-variance swapped in the sampling", "vaebook/model.py",
     "z = self.sampling(mean, log_var)", "z = self.sampling(log_var, mean)",
     ["tests/test_model.py::test_compute_loss_is_the_batch_mean_of_reconstruction_plus_weighted_kl",
      "tests/test_model.py::test_the_reconstruction_term_decodes_z_drawn_from_q"]),
    ("metrics not weighted by the batch size", "vaebook/model.py",
     "self.reconstruction_tracker.update_state(reconstruction, sample_weight=batch_size)",
     "self.reconstruction_tracker.update_state(reconstruction)",
     ["tests/test_model.py::test_metrics_track_the_two_terms_weighted_by_batch_size"]),
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
    ("foreign model not recognised", "vaebook/architectures.py",
     "if not registered.startswith(f\"{PACKAGE}>\"):", "if False:",
     ["tests/test_architectures.py::test_corrupt_or_foreign_model_file"]),
    ("load_vae swallows every error", "vaebook/architectures.py",
     "    model = keras.saving.load_model(path)\n",
     "    try:\n        model = keras.saving.load_model(path)\n    except Exception as err:\n"
     "        raise ValueError(f\"{path} is corrupt\") from err\n",
     ["tests/test_architectures.py::test_load_vae_lets_errors_that_are_not_about_the_file_surface"]),
    ("VAE called in training mode by default", "vaebook/model.py",
     "def call(self, x, training=False):", "def call(self, x, training=True):",
     ["tests/test_model.py::test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode"]),
    ("log_likelihood decodes in training mode by default", "vaebook/model.py",
     "def log_likelihood(self, x, z, training=False):", "def log_likelihood(self, x, z, training=True):",
     ["tests/test_model.py::test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode"]),
    ("codes decoded in training mode", "vaebook/codes.py",
     "return vae.decoder(z if labels is None else vae.with_label(z, labels), training=False)",
     "return vae.decoder(z if labels is None else vae.with_label(z, labels), training=True)",
     ["tests/test_model.py::test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode"]),
    ("evaluation (ELBO, importance sampling) encodes in training mode", "vaebook/evaluate.py",
     "mean, log_var = model(inputs, training=False)", "mean, log_var = model(inputs, training=True)",
     ["tests/test_model.py::test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode"]),
    ("conditional: the encoder is not given the label", "vaebook/conditional.py",
     "return self.encoder(self.with_label(images, labels), training=training)",
     "return self.encoder(self.with_label(images, ops.zeros_like(labels)), training=training)",
     ["tests/test_conditional.py::test_both_networks_take_the_one_hot_label"]),
    ("conditional: the loss's decoder is not given the label", "vaebook/conditional.py",
     "return super().log_likelihood(images, self.with_label(z, labels), training=training)",
     "return super().log_likelihood(images, self.with_label(z, ops.zeros_like(labels)), training=training)",
     ["tests/test_conditional.py::test_log_likelihood_gives_the_decoder_the_label"]),
    ("conditional: conv decoder ignores the label", "vaebook/conditional.py",
     'h = layers.Concatenate(name="with_label")([z, label])', "h = z",
     ["tests/test_conditional.py::test_both_networks_take_the_one_hot_label"]),
    ("conditional: conv encoder ignores the label", "vaebook/conditional.py",
     'h = layers.Concatenate(name="with_label")([h, label])', "h = layers.Identity()(h)",
     ["tests/test_conditional.py::test_both_networks_take_the_one_hot_label"]),
    ("conditional: evaluation pairs batches with the first labels", "vaebook/codes.py",
     "yield keras.tree.map_structure(lambda t: t[start : start + batch_size], inputs)",
     "yield keras.tree.map_structure(lambda t: t[start : start + batch_size] if t.ndim > 1 else t[: len(t[start : start + batch_size])], inputs)",
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
    ("one code per image sent down the k-draw path", "vaebook/evaluate.py",
     "if len(z.shape) == 2:", "if len(z.shape) < 2:",
     ["tests/test_evaluate.py::test_log_likelihood_of_codes_takes_one_code_or_k_codes_per_image"]),
    ("one code per image decoded in training mode", "vaebook/evaluate.py",
     "return model.log_likelihood(inputs, z, training=False)", "return model.log_likelihood(inputs, z, training=True)",
     ["tests/test_model.py::test_calls_and_estimators_run_encoder_and_decoder_in_inference_mode"]),
    ("log_likelihood_of_codes: codes of the wrong shape let through", "vaebook/evaluate.py",
     "if len(z.shape) not in (2, 3) or tuple(z.shape[-2:]) != (n, size):", "if False:",
     ["tests/test_evaluate.py::test_log_likelihood_of_codes_refuses_codes_of_the_wrong_shape"]),
    ("roc_auc: labels shorter than the scores let through", "vaebook/anomaly.py",
     "if is_anomaly.shape != scores.shape", "if is_anomaly.shape > scores.shape",
     ["tests/test_anomaly.py::test_roc_auc_bad_inputs"]),
    ("sample weights Keras hands the loss silently ignored", "vaebook/model.py",
     "        if sample_weight is not None:\n", "        if False:\n",
     ["tests/test_model.py::test_sample_and_class_weights_get_a_clear_error_instead_of_being_ignored"]),
    ("sample_weight and class_weight of the checked fit silently ignored", "vaebook/training.py",
     'if kwargs.get("sample_weight") is not None or kwargs.get("class_weight") is not None:', "if False:",
     ["tests/test_model.py::test_sample_and_class_weights_get_a_clear_error_instead_of_being_ignored"]),
    ("the checked fit does not check", "vaebook/training.py",
     'x = model_inputs(vae, x, labels, "training")', "pass",
     ["tests/test_architectures.py::test_fit_rejects_bad_images_clearly"]),
    ("load_weights: Keras' per-layer warnings before the clear error", "vaebook/architectures.py",
     '    with warnings.catch_warnings(record=True) as caught:\n        warnings.simplefilter("always")\n',
     "    if True:\n        caught = []\n",
     ["tests/test_architectures.py::test_weights_for_another_latent_size_are_refused"]),
    ("an unsupported backend let through", "vaebook/model.py",
     "if keras.backend.backend() not in SUPPORTED_BACKENDS:", "if False:",
     ["tests/test_model.py::test_an_unsupported_backend_gets_a_one_line_error_naming_the_supported_ones_and_how_to_choose"]),
    ("blur: the Gaussian also runs across the images of the batch", "vaebook/data.py",
     "sigma=(0, sigma, sigma, 0)", "sigma=(sigma, sigma, sigma, 0)",
     ["tests/test_data.py::test_blur_smooths_each_image_on_its_own"]),
    ("shape reader: images not scaled to unit length", "vaebook/evaluate.py",
     "    return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-12)", "    return flat",
     ["tests/test_digit_reading.py::test_shape_reader_is_blind_to_how_dark_a_digit_is"]),
    ("shape reader: no smoothing", "vaebook/evaluate.py",
     "flat = blur(images, sigma).reshape", "flat = check_images(images).reshape",
     ["tests/test_digit_reading.py::test_shape_reader_reads_blurred_digits_better_than_the_pixel_reader"]),
    ("reading_errors: counts the true digits of the errors, not what they were read as", "vaebook/evaluate.py",
     '"read_as": np.bincount(shown[wrong]', '"read_as": np.bincount(labels[wrong]',
     ["tests/test_digit_reading.py::test_reading_errors_counts_what_the_errors_were_read_as"]),
    ("mean_and_error: the standard deviation without Bessel's correction", "vaebook/evaluate.py",
     "values.std(ddof=1) / math.sqrt(len(values))", "values.std() / math.sqrt(len(values))",
     ["tests/test_anomaly.py::test_rate_distortion_gives_per_image_values_and_standard_errors_over_the_images"]),
    ("mean_and_error: divided by N, not sqrt(N)", "vaebook/evaluate.py",
     "values.std(ddof=1) / math.sqrt(len(values))", "values.std(ddof=1) / len(values)",
     ["tests/test_anomaly.py::test_rate_distortion_gives_per_image_values_and_standard_errors_over_the_images"]),
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
