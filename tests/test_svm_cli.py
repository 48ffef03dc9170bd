"""`hsbench grid` end to end: results JSON, bad input, mpiexec, resume after a kill, thundersvm."""

from __future__ import annotations

import importlib.util
import json
import shutil

import numpy as np
import pytest

from hsbench.cli import build_parser
from tests.svm_fixtures import ROOT, cli_env, run_cli, synthetic, train_test_files, write_libsvm

GRID = ["--gamma", "2^-1:2^2", "--C", "1,100", "--folds", "4", "--quiet"]


def _accuracies(path) -> list[list[float]]:
    return [c["fold_accuracy"] for c in json.loads(path.read_text())["cells"]]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return train_test_files(tmp_path_factory.mktemp("svm"), n=120)


@pytest.fixture(scope="module")
def serial(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "r.json"
    train, test = files
    proc = run_cli("--train", str(train), "--test", str(test), "--out", str(out), *GRID)
    assert proc.returncode == 0, proc.stderr
    return out


def test_results_json_keeps_the_contract(serial, files):
    res = json.loads(serial.read_text())
    for key in ("kind", "command", "created", "host", "device", "versions", "wall_seconds", "data",
                "test", "grid", "n_folds", "folds", "backend", "backend_build", "ranks", "threads",
                "kernel_cache", "cells", "best", "refit_seconds"):
        assert key in res, key
    assert res["kind"] == "svm_grid" and res["ranks"] == 1 and res["backend"] == "sklearn"
    assert res["grid"] == {"gamma": [0.5, 1.0, 2.0, 4.0], "C": [1.0, 100.0]}
    assert len(res["folds"]) == 120 and set(res["folds"]) == {0, 1, 2, 3}
    assert len(res["cells"]) == 8
    for cell in res["cells"]:
        assert len(cell["fold_accuracy"]) == len(cell["fit_seconds"]) == 4
        assert cell["mean_accuracy"] == pytest.approx(np.mean(cell["fold_accuracy"]), abs=1e-15)
    top = max(c["mean_accuracy"] for c in res["cells"])
    assert res["best"]["mean_accuracy"] == top
    test = res["test"]
    assert len(test["predictions"]) == 60 and 0.0 <= test["oa"] <= 1.0
    assert set(test) >= {"oa", "aa", "kappa", "per_class", "f1", "confusion", "labels", "predict_seconds"}
    assert res["data"]["train"]["path"] == str(files[0]) and len(res["data"]["train"]["sha256"]) == 64


def test_table_printed_and_data_dir_copies_dataset_json(files, tmp_path):
    data = tmp_path / "ip"
    data.mkdir()
    shutil.copy(files[0], data / "train.libsvm")
    shutil.copy(files[1], data / "test.libsvm")
    meta = {"kind": "dataset", "scene": {"name": "synthetic"}, "features": "raw",
            "class_names": {"1": "a", "2": "b", "3": "c"}, "counts": {"train": {}, "test": {}},
            "split": {"kind": "random"}, "train": {"coords": [[0, 0]]}}
    (data / "dataset.json").write_text(json.dumps(meta))
    out = tmp_path / "r.json"
    args = ("--data", str(data), "--out", str(out), "--gamma", "1", "--C", "1,10", "--folds", "3")
    proc = run_cli(*args)  # no manifest.json: an unfinished prepare is refused
    assert proc.returncode == 2 and "not a finished dataset" in proc.stderr and not out.exists()
    (data / "manifest.json").write_text("{}")
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1].split() == ["gamma/C", "1", "10"]
    assert lines[2].split()[0] == "1" and lines[2].split()[2].startswith("(")
    res = json.loads(out.read_text())
    assert res["dataset"] == {k: meta[k] for k in ("scene", "split", "features", "class_names", "counts")}
    assert "dataset" in res["data"]


@pytest.mark.parametrize("content, args, message", [
    ("1 1:0.5\n2 1:0.2 2:x\n", [], "train.libsvm:2: '2:x' is not index:value"),
    ("1 1:0.5\n2 0:0.2\n", [], "train.libsvm:2: feature index 0"),
    ("", [], "train.libsvm: empty file"),
    ("1 1:0.5\n1 1:0.2\n", [], "single class (1)"),
    ("1 1:0.5\n2 1:inf\n", [], "train.libsvm:2: feature 1 has value 'inf'"),
    (None, ["--gamma", "0,1"], "--gamma: values must be finite and > 0"),
    (None, ["--C", "-1"], "--C: values must be finite and > 0"),
    (None, ["--folds", "1"], "--folds 1: needs 2 <= folds <= 120"),
    (None, ["--folds", "121"], "--folds 121: needs 2 <= folds <= 120"),
    (None, ["--backend", "svmlight"], "--backend 'svmlight': unknown backend"),
    ("TEST", [], "test labels [9] never occur in the training file"),
])
def test_bad_input_one_line_exit_2_no_result(files, tmp_path, content, args, message):
    train, test = files
    if content == "TEST":
        test = tmp_path / "test.libsvm"
        test.write_text("1 1:0.5\n9 1:0.1\n")
    elif content is not None:
        train = tmp_path / "train.libsvm"
        train.write_text(content)
    out = tmp_path / "r.json"
    proc = run_cli("--train", str(train), "--test", str(test), "--out", str(out), *GRID, *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("hsbench grid: error: ") and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "r.json.journal").exists()


def test_thundersvm_missing_is_a_clear_error(files, tmp_path):
    # a sitecustomize that hides the module stands in for a machine without it
    hide = tmp_path / "hide"
    hide.mkdir()
    # (a None entry in sys.modules makes imports fail and find_spec return None)
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['thundersvm'] = None\n")
    out = tmp_path / "r.json"
    proc = run_cli("--train", str(files[0]), "--out", str(out), "--backend", "thundersvm", *GRID,
                   env={"PYTHONPATH": f"{hide}:{ROOT}"})
    assert proc.returncode == 2, proc.stderr
    assert "the thundersvm module is not installed" in proc.stderr and not out.exists()


@pytest.mark.skipif(shutil.which("mpiexec", path=cli_env()["PATH"]) is None, reason="no mpiexec")
def test_two_ranks_give_the_serial_accuracies(files, serial, tmp_path):
    out = tmp_path / "r2.json"
    train, test = files
    proc = run_cli("--train", str(train), "--test", str(test), "--out", str(out), *GRID, ranks=2)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert res["ranks"] == 2 and len(res["hosts"]) == 2
    assert _accuracies(out) == _accuracies(serial)
    assert res["best"] == json.loads(serial.read_text())["best"]
    assert res["test"]["predictions"] == json.loads(serial.read_text())["test"]["predictions"]
    ranks = [json.loads(line).get("rank") for line in (tmp_path / "r2.json.journal").read_text().splitlines()[1:]]
    assert len(ranks) == 32 and set(ranks) == {0, 1}  # both ranks computed tasks


def test_resume_after_sigkill_gives_the_clean_cells(files, serial, tmp_path):
    out = tmp_path / "r.json"
    train, test = files
    args = ["--train", str(train), "--test", str(test), "--out", str(out), *GRID]
    killed = run_cli(*args, env={"HSBENCH_TEST_DIE_AFTER": "11"})
    assert killed.returncode == -9 and not out.exists()
    journal = (tmp_path / "r.json.journal").read_text().splitlines()
    assert len(journal) == 1 + 11
    resumed = run_cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    res = json.loads(out.read_text())
    assert res["resumed_tasks"] == 11
    assert _accuracies(out) == _accuracies(serial)
    assert res["best"] == json.loads(serial.read_text())["best"]
    # a journal from another grid is refused, and nothing is written
    out.unlink()
    other = run_cli(*args[:-len(GRID)], "--gamma", "3", "--C", "1", "--folds", "4", "--resume")
    assert other.returncode == 2 and "journal written for different inputs" in other.stderr
    assert not out.exists()


@pytest.mark.skipif(importlib.util.find_spec("thundersvm") is None, reason="thundersvm not installed")
def test_thundersvm_agrees_with_libsvm_within_one_point(tmp_path):
    X, y = synthetic(240, n_features=10, seed=5)
    train = write_libsvm(tmp_path / "train.libsvm", X, y)
    grid = ["--gamma", "0.5,2", "--C", "1,100", "--folds", "4"]
    out_sk, out_th = tmp_path / "sk.json", tmp_path / "th.json"
    # thundersvm runs in its own process: a native abort cannot take pytest down
    assert run_cli("--train", str(train), "--out", str(out_sk), *grid, "--quiet").returncode == 0
    proc = run_cli("--train", str(train), "--out", str(out_th), *grid, "--quiet",
                   "--backend", "thundersvm", "--threads", "1")
    assert proc.returncode == 0, proc.stderr
    th = json.loads(out_th.read_text())
    assert th["backend"] == "thundersvm" and th["backend_build"] in ("cpu", "gpu")
    sk = json.loads(out_sk.read_text())
    assert th["folds"] == sk["folds"]
    for a, b in zip(sk["cells"], th["cells"], strict=True):
        assert abs(a["mean_accuracy"] - b["mean_accuracy"]) <= 0.01, (a["gamma"], a["C"])


def test_help_documents_options_and_value_syntax():
    sub = build_parser()._subparsers._group_actions[0].choices["grid"]
    text = sub.format_help()
    for opt in ("--data", "--train", "--test", "--out", "--gamma", "--C", "--grid", "--folds", "--seed",
                "--backend", "--threads", "--kernel-cache-mb", "--resume", "--quiet", "2^-6:2^4", "1e0:1e5"):
        assert opt in text, opt


def test_small_class_warns_once_and_runs(tmp_path):
    X, _ = synthetic(40)
    y = np.array([1] * 20 + [2] * 17 + [3] * 3)
    train = write_libsvm(tmp_path / "small.libsvm", X, y)
    out = tmp_path / "r.json"
    proc = run_cli("--train", str(train), "--out", str(out), "--gamma", "1", "--C", "1", "--folds", "5", "--quiet")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "{3: 3}" in warnings[0] and "small.libsvm" in warnings[0]
    assert len(json.loads(out.read_text())["cells"][0]["fold_accuracy"]) == 5


@pytest.mark.skipif(shutil.which("mpiexec", path=cli_env()["PATH"]) is None, reason="no mpiexec")
def test_bad_input_on_one_rank_stops_every_rank(files, tmp_path):
    import subprocess
    import sys

    train, test = files
    bad = tmp_path / "bad.libsvm"
    bad.write_text("1 1:0.5\n2 x:1\n")  # what rank 1 sees, as if its node-local copy were corrupt
    out = tmp_path / "r.json"
    common = ["--test", str(test), "--out", str(out), *GRID]
    env = cli_env()
    mpiexec = shutil.which("mpiexec", path=env["PATH"])
    argv = [mpiexec, "-n", "1", sys.executable, "-m", "hsbench", "grid", "--train", str(train), *common,
            ":", "-n", "1", sys.executable, "-m", "hsbench", "grid", "--train", str(bad), *common]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"rank 1: {bad}:2:" in proc.stderr and not out.exists()
