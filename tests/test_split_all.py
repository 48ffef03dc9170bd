"""`--split all`: every labelled pixel trains, the grid reports CV only, and test metrics are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.svm_fixtures import run_cli


@pytest.fixture(scope="module")
def all_split(tmp_path_factory):
    from hsbench.cli import main
    from tests.conftest import make_scene

    d = tmp_path_factory.mktemp("all")
    cube, gt = make_scene()
    np.save(d / "cube.npy", cube)
    np.save(d / "gt.npy", gt)
    # a random split first in the same folder: its test.libsvm must not survive as the all split's
    assert main(["prepare", "--cube", str(d / "cube.npy"), "--gt", str(d / "gt.npy"), "--out", str(d / "data")]) == 0
    assert main(["prepare", "--cube", str(d / "cube.npy"), "--gt", str(d / "gt.npy"), "--split", "all",
                 "--out", str(d / "data"), "--force"]) == 0
    return d


def test_every_labelled_pixel_trains_and_there_is_no_test_file(all_split):
    data = all_split / "data"
    ds = json.loads((data / "dataset.json").read_text())
    assert ds["split"]["kind"] == "all" and ds["split"]["train_fraction"] == 1.0
    assert len(ds["train"]["labels"]) == 3 * 6 * 20 and ds["test"]["labels"] == []
    assert not (data / "test.libsvm").exists()
    assert set(json.loads((data / "manifest.json").read_text())["outputs"]) == {
        "train.libsvm", "windows.h5", "dataset.json"}


def test_grid_reports_cv_only(all_split, tmp_path):
    out = tmp_path / "g.json"
    proc = run_cli("--data", str(all_split / "data"), "--gamma", "1", "--C", "1,10", "--folds", "3",
                   "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert res["test"] is None and res["refit_seconds"] is None and len(res["folds"]) == 360
    assert "test OA" not in proc.stdout and "CV" in proc.stdout


def test_requests_for_test_metrics_are_refused_in_one_line(all_split, tmp_path, cli):
    data = all_split / "data"
    rc, _, err = cli("grid", "--data", data, "--test", all_split / "x.libsvm", "--out", tmp_path / "g.json")
    assert rc == 2 and "prepared with --split all" in err and len(err.strip().splitlines()) == 1
    rc, _, err = cli("cnn", "--data", data, "--out", tmp_path / "cnn", "--epochs", "1", "--progress", "none")
    assert rc == 2 and "prepared with --split all" in err and "no test pixels" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "cnn").exists()
    rc, _, err = cli("run", "--split", "all", "--results", tmp_path / "r", "--work", tmp_path / "w")
    assert rc == 2 and "--split all has no test set" in err and not (tmp_path / "w").exists()
    rc, _, err = cli("prepare", "--cube", all_split / "cube.npy", "--gt", all_split / "gt.npy", "--split", "all",
                     "--train-fraction", "0.5", "--out", tmp_path / "p")
    assert rc == 2 and "--train-fraction 0.5 does not apply" in err
