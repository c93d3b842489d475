"""A GPU when there is one: nothing in vaebook or the notebooks pins the CPU or a CPU-only build.

This machine has no GPU, so what runs here is what can be checked without one: the installable
requirements leave the choice of TensorFlow build to the reader (the colab stage of ./dev.sh test
installs vaebook beside Colab's standard, GPU-capable `tensorflow` and checks that nothing else
comes in), no source line hides a device or switches on a GPU-hostile determinism setting, and
importing and training leaves every device TensorFlow found visible.
"""

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from test_dependencies import marker_env

ROOT = Path(__file__).resolve().parents[1]
# Settings that hide a GPU, pin work to the CPU, pick a CPU-only build, or make TensorFlow raise on
# GPU ops that have no deterministic kernel (enable_op_determinism and its environment variables).
CPU_PINS = re.compile(
    r"CUDA_VISIBLE_DEVICES|set_visible_devices|\.device\(\s*['\"]/?(device:)?cpu|tensorflow-cpu|"
    r"enable_op_determinism|TF_DETERMINISTIC_OPS|TF_CUDNN_DETERMINISTIC|JAX_PLATFORMS|jax_platforms",
    re.IGNORECASE,
)


def cpu_pins(paths, root=ROOT) -> list:
    """Every line of these files that pins the CPU, as 'path:line: text' (path relative to root)."""
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if CPU_PINS.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_no_source_line_pins_the_cpu():
    sources = [*sorted((ROOT / "vaebook").rglob("*.py")), *sorted((ROOT / "notebooks").glob("*.py")),
               *sorted(p for p in (ROOT / "binder").iterdir() if p.name != "requirements.txt")]
    # (binder/requirements.txt pins tensorflow-cpu on purpose: Binder has no GPU, and the build is small.)
    assert cpu_pins(sources) == []


def test_the_scan_finds_each_kind_of_pin(tmp_path):
    lines = ['os.environ["CUDA_VISIBLE_DEVICES"] = ""', "tf.config.set_visible_devices([], 'GPU')",
             "with tf.device('/CPU:0'):", 'with tf.device("/device:CPU:0"):', '"tensorflow-cpu>=2.16"',
             "tf.config.experimental.enable_op_determinism()", "os.environ['TF_DETERMINISTIC_OPS'] = '1'",
             "jax.config.update('jax_platforms', 'cpu')"]
    for i, line in enumerate(lines):
        (tmp_path / f"f{i}.py").write_text(f"x = 1\n{line}\n")
    files = sorted(tmp_path.glob("*.py"))
    found = [f.split(":", 2)[2].strip() for f in cpu_pins(files, tmp_path)]
    assert found == [lines[int(f.stem[1:])] for f in files]


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize("platform", [("linux", "x86_64", "Linux"), ("linux", "aarch64", "Linux"),
                                      ("darwin", "arm64", "Darwin"), ("win32", "AMD64", "Windows")])
def test_the_runtime_requirements_leave_the_tensorflow_build_to_the_reader(platform):
    """No runtime requirement names a TensorFlow distribution (pip would add it beside the reader's);
    the `tensorflow` extra asks for the standard, GPU-capable build on every platform."""
    env = marker_env(platform)
    runtime = [Requirement(r) for r in project()["dependencies"]]
    named = {r.name for r in runtime if r.marker is None or r.marker.evaluate(env)}
    assert not named & {"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly"}, named
    assert "keras" in named
    gpu_capable = [Requirement(r) for r in project()["optional-dependencies"]["tensorflow"]]
    assert [r.name for r in gpu_capable if r.marker is None or r.marker.evaluate(env)] == ["tensorflow"]


def test_without_tensorflow_the_import_names_the_fix():
    # sys.modules[name] = None makes find_spec report the module as missing, as on a machine without it.
    code = "import sys; sys.modules['tensorflow'] = None; import vaebook"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: vaebook needs TensorFlow") and "pip install 'vaebook[cpu]'" in last, last


IMPORT_AND_TRAIN = """
import importlib, json, os, pkgutil, sys
before = os.environ.get("CUDA_VISIBLE_DEVICES")
import vaebook
for module in pkgutil.walk_packages(vaebook.__path__, "vaebook."):
    importlib.import_module(module.name)
import numpy as np
import tensorflow as tf
from tensorflow.python.framework import config as tf_config  # the state enable_op_determinism sets
from vaebook.architectures import build_vae
vae = build_vae("mlp", latent_dim=2, seed=0, hidden=(8,))
vae.fit(np.zeros((8, 28, 28, 1), np.float32), epochs=1, batch_size=8, verbose=0)
print(json.dumps({"cuda_visible_devices": [before, os.environ.get("CUDA_VISIBLE_DEVICES")],
                  "op_determinism": tf_config.is_op_determinism_enabled(),
                  "visible": [d.name for d in tf.config.get_visible_devices()],
                  "physical": [d.name for d in tf.config.list_physical_devices()]}))
"""


def test_importing_and_training_leave_every_device_visible():
    """In a fresh interpreter: import every vaebook module, train one step; no device was hidden."""
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}  # as a reader starts
    out = subprocess.run([sys.executable, "-c", IMPORT_AND_TRAIN], capture_output=True, text=True, cwd=ROOT,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["cuda_visible_devices"][1] == seen["cuda_visible_devices"][0], seen
    assert not seen["op_determinism"], seen
    assert seen["visible"] == seen["physical"], seen
