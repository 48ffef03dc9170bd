"""The same training code on every installed Keras backend, each in its own process."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hsbench.cnn.windows import WindowFile
from tests.cnn_fixtures import make_window_file

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_backend_trains_and_records_itself(tmp_path, backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    wfile = make_window_file(tmp_path / "w.h5", window=7)
    out = tmp_path / backend
    proc = subprocess.run(
        [sys.executable, "-m", "hsbench", "cnn", "--data", str(wfile), "--out", str(out), "--backend", backend,
         "--protocol", "seed", "--epochs", "2", "--eval-every", "1", "--progress", "none"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads((out / "cnn.json").read_text())
    # the device recorded is the one this machine's backend reports (cpu here, a GPU's name elsewhere)
    ask = subprocess.run(
        [sys.executable, "-c", "from hsbench.cnn.devices import device_name; print(device_name())"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "KERAS_BACKEND": backend},
    )
    assert res["backend"] == backend and res["device"] == ask.stdout.strip().splitlines()[-1]
    assert res["epochs_run"] == 2 and len(res["history_rows"]) == 2
    flags = res["backend_flags"]  # what was in force, as the backend itself reports it
    assert flags["backend"] == backend and flags["mixed_precision"] == "float32" and flags["intra_op_threads"] >= 1
    assert flags["onednn"] is (True if backend == "tensorflow" else None)
    assert len(res["test"]["predictions"]) == len(WindowFile(wfile).test_labels)
    assert (out / "model.keras").is_file()
