"""JAX backend and data parallelism, in subprocesses (the Keras backend is fixed per process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cnn_fixtures import make_window_file

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("jax")


def _run(wfile, out, devices):
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
           "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, "-m", "hsbench", "cnn", "--data", str(wfile), "--out", str(out), "--backend", "jax",
         "--devices", devices, "--epochs", "3", "--batch-size", "12", "--eval-every", "1", "--progress", "none"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((out / "cnn.json").read_text())


def test_data_parallel_matches_one_device(tmp_path):
    wfile = make_window_file(tmp_path / "w.h5", window=7)
    one = _run(wfile, tmp_path / "one", "1")
    two = _run(wfile, tmp_path / "two", "all")
    assert one["backend"] == two["backend"] == "jax" and one["devices"] == 1 and two["devices"] == 2
    for a, b in zip(one["history_rows"], two["history_rows"], strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-4, abs=1e-6)
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-4, abs=1e-6)
