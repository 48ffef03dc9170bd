"""`hsbench cnn` end to end: results JSON, bad inputs (exit 2, one line, no outputs), job scripts."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from hsbench.cli import main
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


def test_a_disjoint_split_selects_by_spatial_cv_over_the_svm_folds_and_tests_the_refit(tmp_path, capsys):
    from hsbench.cnn.windows import WindowFile
    from hsbench.svm.folds import buffer_candidates, make_spatial_folds, matched_buffer

    wfile = make_window_file(tmp_path / "d.h5", h=30, w=30, window=7, split_kind="disjoint")
    out = tmp_path / "out"
    assert main(["cnn", "--data", str(wfile), "--out", str(out), "--protocol", "modern", "--val-folds", "3",
                 "--cv-epochs", "2", "--batch-size", "32", "--progress", "none"]) == 0
    res = json.loads((out / "cnn.json").read_text())
    wf = WindowFile(wfile)
    # the buffer the SVM grid would match to the test pixels (window 7: candidates 6..14), so the same folds
    buffer, scores = matched_buffer(wf.train_labels, wf.train_coords, wf.test_coords, 3, 0, buffer_candidates(7))
    folds, exclude = make_spatial_folds(wf.train_labels, wf.train_coords, 3, 0, buffer)
    assert res["hyper"]["val_split"] == "spatial-cv" and res["validation"]["folds"] == 3
    assert res["validation"]["buffer"] == buffer and res["validation"]["buffer_rule"] == "matched"
    assert res["validation"]["buffer_w"] == scores
    assert res["validation"]["buffer_dropped"] == round(float(exclude.sum(axis=1).mean()))
    assert res["validation"]["pixels"] == len(folds) and res["epochs_run"] == 2
    for k in range(3):
        assert (out / "cv" / f"fold-{k:02d}" / "history.csv").is_file()
    assert res["refit"]["epochs"] == res["best_epoch"] and res["refit"]["selected_test"] is None
    assert "refit on" in capsys.readouterr().out
    # a finished cross-validated run resumes from its fold and refit checkpoints (it has no checkpoint/)
    assert main(["cnn", "--data", str(wfile), "--out", str(out), "--protocol", "modern", "--val-folds", "3",
                 "--cv-epochs", "2", "--batch-size", "32", "--progress", "none", "--resume"]) == 0
    again = json.loads((out / "cnn.json").read_text())
    assert again["test"]["predictions"] == res["test"]["predictions"] and again["wall_scope"] == "run"
    assert capsys.readouterr().out.count("finished in an earlier session") == 3  # every fold
    # a given buffer is another fold scheme: the fold checkpoints of the matched one are not resumed
    assert main(["cnn", "--data", str(wfile), "--out", str(out), "--protocol", "modern", "--val-folds", "3",
                 "--cv-epochs", "2", "--batch-size", "32", "--progress", "epoch", "--resume",
                 "--val-buffer", str(buffer + 1)]) == 0
    given = json.loads((out / "cnn.json").read_text())
    assert given["validation"]["buffer"] == buffer + 1 and given["validation"]["buffer_rule"] == "given"
    assert "finished in an earlier session" not in capsys.readouterr().out.split("kept epoch")[0]
    # a given buffer where nothing cross-validates: one line, nothing trained
    other = tmp_path / "other"
    assert main(["cnn", "--data", str(wfile), "--out", str(other), "--protocol", "modern", "--val-split", "spatial",
                 "--val-buffer", "3", "--progress", "none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--val-buffer 3 applies to --val-split spatial-cv only" in err
    assert not other.exists()


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


def test_unknown_protocol(tmp_path, wfile):
    proc = subprocess.run(
        [sys.executable, "-m", "hsbench", "cnn", "--data", str(wfile), "--out", str(tmp_path / "o"), "--protocol",
         "fancy"], cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("argv, env, says", [
    (["cnn", "--backend", "theano"], {}, "--backend: unknown Keras backend 'theano'; choose tensorflow (pip install"),
    (["cnn"], {"KERAS_BACKEND": "theano"}, "KERAS_BACKEND: unknown Keras backend 'theano'"),
    (["run", "--cnn-backend", "theano"], {}, "--cnn-backend: unknown Keras backend 'theano'"),
    (["cnn", "--backend", "torch"], {}, "--backend: backend torch is not installed here: pip install torch"),
])
def test_an_unknown_or_missing_backend_is_one_line_saying_how_to_install_it(tmp_path, wfile, argv, env, says):
    if "torch" in argv and importlib.util.find_spec("torch") is not None:
        pytest.skip("torch is installed here")
    data = ["--data", str(wfile), "--out", str(tmp_path / "o")] if argv[0] == "cnn" else [
        "--results", str(tmp_path / "o"), "--work", str(tmp_path / "w")]
    proc = subprocess.run([sys.executable, "-m", "hsbench", *argv, *data], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"hsbench {argv[0]}: error: {says}"), proc.stderr
    assert "pip install jax" in proc.stderr or "pip install torch" in proc.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "w").exists()


@pytest.mark.parametrize("protocol, option, expected", [
    ("modern", [], "machine"), ("modern", ["--no-mixed-precision"], False), ("modern", ["--mixed-precision"], True),
    ("seed", [], False),
])
def test_bf16_is_the_modern_default_only_where_the_cpu_computes_it_natively(tmp_path, wfile, protocol, option,
                                                                           expected):
    from hsbench.cnn.flags import native_bf16

    if expected == "machine":  # TensorFlow here, oneDNN on by hsbench's default, no GPU in the tests
        expected = native_bf16()
    out = tmp_path / "o"
    assert main(["cnn", "--data", str(wfile), "--out", str(out), "--protocol", protocol, "--backend", "tensorflow",
                 *TINY, *option]) == 0
    res = json.loads((out / "cnn.json").read_text())
    assert res["mixed_precision"] is expected and res["hyper"]["mixed_precision"] is expected
    # the policy really in force, as Keras reported it during training (the next run in this process resets it)
    assert res["backend_flags"]["mixed_precision"] == ("mixed_bfloat16" if expected else "float32")
