"""`hsbench cnn` end to end: results JSON, bad inputs (exit 2, one line, no outputs), job scripts."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from hsbench.cli import build_parser, main
from tests.cnn_fixtures import make_window_file

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--epochs", "2", "--batch-size", "12", "--eval-every", "1", "--progress", "none"]


@pytest.fixture(scope="module")
def wfile(tmp_path_factory):
    return make_window_file(tmp_path_factory.mktemp("w") / "windows.h5", window=7)


def test_cli_writes_results_json_with_contract_keys(tmp_path, wfile, capsys):
    out = tmp_path / "out"
    assert main(["cnn", "--data", str(wfile), "--out", str(out), "--protocol", "modern", *TINY]) == 0
    res = json.loads((out / "cnn.json").read_text())
    for key in ("kind", "command", "created", "host", "device", "versions", "wall_seconds", "data", "test",
                "model", "params", "protocol", "backend", "devices", "hyper", "epochs", "epochs_run",
                "batch_size", "best_epoch", "selection", "train_seconds", "seconds_per_epoch",
                "train_samples_per_second", "inference_seconds", "inference_samples_per_second",
                "history", "history_rows"):
        assert key in res, key
    assert res["kind"] == "cnn" and res["protocol"] == "modern" and res["epochs_run"] == 2
    with h5py.File(wfile) as f:
        test_labels = f["test/labels"][...]
    assert len(res["test"]["predictions"]) == len(test_labels)
    assert res["test"]["oa"] == pytest.approx(np.mean(np.array(res["test"]["predictions"]) == test_labels))
    assert (out / res["history"]).read_text().startswith("epoch,loss,accuracy,val_loss,val_accuracy,seconds")
    assert (out / "model.keras").is_file()
    assert "test OA" in capsys.readouterr().out


def _damaged(tmp_path, wfile, fn):
    path = tmp_path / "bad.h5"
    path.write_bytes(wfile.read_bytes())
    with h5py.File(path, "a") as f:
        fn(f)
    return path


def _relabel_test(f):
    labels = f["test/labels"][...]
    labels[0] = 9
    f["test/labels"][...] = labels


@pytest.mark.parametrize(
    "damage, extra, message",
    [
        (None, ["--data", "{missing}"], "window file not found"),
        (lambda f: f.__delitem__("mean"), [], "dataset /mean missing"),
        (lambda f: f.attrs.__setitem__("window", 8), [], "not odd"),
        (lambda f: f["cube"].__setitem__((3, 3, 3), np.inf), [], "NaN or infinite"),
        (_relabel_test, [], r"test labels \[9\] have no training pixels"),
        (None, ["--model", "resnet"], "unknown model 'resnet'"),
        (None, ["--resume"], "no checkpoint to resume from"),
    ],
)
def test_bad_input_exit_2_one_line_no_outputs(tmp_path, wfile, capsys, damage, extra, message):
    data = _damaged(tmp_path, wfile, damage) if damage else wfile
    out = tmp_path / "out"
    argv = ["cnn", "--data", str(data), "--out", str(out), *TINY, *extra]
    argv = [a.replace("{missing}", str(tmp_path / "nope.h5")) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hsbench cnn: error:") and "\n" not in err and re.search(message, err), err
    assert not out.exists()


def test_resume_with_other_band_count_is_refused(tmp_path, wfile, capsys):
    out = tmp_path / "out"
    assert main(["cnn", "--data", str(wfile), "--out", str(out), *TINY, "--checkpoint-every", "1"]) == 0
    other = make_window_file(tmp_path / "b.h5", bands=31, window=7)
    before = sorted(p.name for p in out.rglob("*"))
    assert main(["cnn", "--data", str(other), "--out", str(out), *TINY, "--resume"]) == 2
    assert "bands 31" in capsys.readouterr().err
    assert sorted(p.name for p in out.rglob("*")) == before


@pytest.mark.parametrize("argv, env", [(["--protocol", "fancy"], {}), (["--backend", "theano"], {}),
                                       ([], {"KERAS_BACKEND": "theano"})])
def test_unknown_protocol_or_backend(tmp_path, wfile, argv, env):
    proc = subprocess.run(
        [sys.executable, "-m", "hsbench", "cnn", "--data", str(wfile), "--out", str(tmp_path / "o"), *argv],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env}, timeout=120,
    )
    assert proc.returncode == 2 and ("invalid choice" in proc.stderr or "unknown backend 'theano'" in proc.stderr)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("script", ["slurm_cnn.sh", "pbs_cnn.sh"])
def test_job_scripts_use_real_options(script):
    text = (ROOT / "bench" / "jobs" / script).read_text()
    call = re.search(r"hsbench cnn (.*?)(?<!\\)\n", text, re.S).group(1)
    used = set(re.findall(r"(--[a-z][a-z-]*)", call))
    parser = build_parser()
    cnn = parser._subparsers._group_actions[0].choices["cnn"]
    known = {s for a in cnn._actions for s in a.option_strings}
    assert used and used <= known, used - known
    assert "--data" in used and "--out" in used
