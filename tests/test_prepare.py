"""hsbench prepare: the embedded default, files from disk, determinism, atomicity, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.io
from sklearn.datasets import load_svmlight_file

from hsbench.cnn.windows import WindowFile
from hsbench.provenance import sha256_file


def test_indian_pines_default(tmp_path, cli):
    out = tmp_path / "ip"
    rc, stdout, _ = cli("prepare", "--out", out)
    assert rc == 0, stdout
    x, y = load_svmlight_file(str(out / "train.libsvm"), zero_based=False)
    # the seed's 10% of 10,249 labelled pixels, all 16 classes, 200 bands scaled to [0, 1]
    assert abs(x.shape[0] - 1025) <= 16
    assert sorted(set(y.astype(int))) == list(range(1, 17))
    assert x.shape[1] == 200
    assert x.min() >= 0 and x.max() <= 1 + 1e-12
    xt, _yt = load_svmlight_file(str(out / "test.libsvm"), zero_based=False, n_features=200)
    assert x.shape[0] + xt.shape[0] == 10249
    manifest = json.loads((out / "manifest.json").read_text())
    for name, entry in manifest["outputs"].items():
        assert sha256_file(out / name) == entry["sha256"]
    ds = json.loads((out / "dataset.json").read_text())
    assert ds["kind"] == "dataset" and ds["class_names"]["1"] == "Alfalfa"
    assert len(ds["train"]["coords"]) == x.shape[0]
    # window file carries the same pixels in the same order
    wf = WindowFile(out / "windows.h5")
    xb = wf.windows(wf.train_coords[:8])
    assert xb.shape == (8, 9, 9, 200, 1) and xb.dtype == np.float32
    np.testing.assert_array_equal(wf.train_labels[:8], y[:8])


def test_rerun_is_byte_identical(tmp_path, cli, scene_files):
    args = ["prepare", "--cube", scene_files / "cube.npy", "--gt", scene_files / "gt.npy", "--seed", "3"]
    assert cli(*args, "--out", tmp_path / "a")[0] == 0
    assert cli(*args, "--out", tmp_path / "a")[0] == 0  # same dataset: allowed without --force
    assert cli(*args, "--out", tmp_path / "b")[0] == 0
    for name in ("train.libsvm", "test.libsvm"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_mat_files_and_pca(tmp_path, cli, scene_files):
    out = tmp_path / "p"
    rc, _, err = cli("prepare", "--cube", scene_files / "cube.mat", "--gt", scene_files / "gt.mat",
                     "--features", "pca:4", "--out", out)
    assert rc == 0, err
    x, y = load_svmlight_file(str(out / "train.libsvm"), zero_based=False, n_features=4)
    assert x.shape[1] == 4 and x.max() <= 1 + 1e-12 and x.min() >= 0
    assert set(y.astype(int)) == {1, 2, 3}


def test_different_dataset_needs_force(tmp_path, cli, scene_files):
    base = ["prepare", "--cube", scene_files / "cube.npy", "--gt", scene_files / "gt.npy", "--out", tmp_path / "o"]
    assert cli(*base)[0] == 0
    before = (tmp_path / "o" / "train.libsvm").read_bytes()
    rc, _, err = cli(*base, "--seed", "9")
    assert rc == 2 and "already holds a different dataset" in err
    assert (tmp_path / "o" / "train.libsvm").read_bytes() == before
    assert cli(*base, "--seed", "9", "--force")[0] == 0


def test_failure_mid_prepare_leaves_no_dataset(tmp_path, cli, scene_files, monkeypatch):
    import hsbench.cnn.windows

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(hsbench.cnn.windows, "write_window_file", boom)
    out = tmp_path / "o"
    with pytest.raises(RuntimeError):
        cli("prepare", "--cube", scene_files / "cube.npy", "--gt", scene_files / "gt.npy", "--out", out)
    assert list(out.iterdir()) == []


def _bad(tmp_path, scene_files, kind):
    """(argv, text expected in the error) for one kind of bad input."""
    d = scene_files
    cube, gt = np.load(d / "cube.npy"), np.load(d / "gt.npy")
    f = tmp_path / "bad"
    f.mkdir(exist_ok=True)
    if kind == "missing":
        return ["--cube", f / "nope.npy", "--gt", d / "gt.npy"], "nope.npy: cube file not found"
    if kind == "unreadable_mat":
        (f / "x.mat").write_bytes(b"this is not a mat file at all" * 10)
        return ["--cube", f / "x.mat", "--gt", d / "gt.npy"], "x.mat: unreadable .mat file"
    if kind == "2d_cube":
        np.save(f / "c.npy", cube[:, :, 0])
        return ["--cube", f / "c.npy", "--gt", d / "gt.npy"], "c.npy: cube must be 3-D"
    if kind == "shape_mismatch":
        np.save(f / "g.npy", gt[:-1])
        return ["--cube", d / "cube.npy", "--gt", f / "g.npy"], "must agree"
    if kind == "nan":
        c = cube.copy()
        c[3, 4, 5] = np.nan
        np.save(f / "c.npy", c)
        expected = "c.npy: 1 NaN/inf values in the cube (first at row 3, col 4, band 5)"
        return ["--cube", f / "c.npy", "--gt", d / "gt.npy"], expected
    if kind == "no_labels":
        np.save(f / "g.npy", np.zeros_like(gt))
        return ["--cube", d / "cube.npy", "--gt", f / "g.npy"], "g.npy: no labelled pixels"
    if kind == "mat_ambiguous":
        scipy.io.savemat(f / "two.mat", {"a": cube, "b": cube})
        return ["--cube", f / "two.mat", "--gt", d / "gt.npy"], "several 3-D arrays (a, b)"
    base = ["--cube", d / "cube.npy", "--gt", d / "gt.npy"]
    if kind == "fraction":
        return [*base, "--train-fraction", "1.5"], "--train-fraction must be strictly between 0 and 1"
    if kind == "even_window":
        return [*base, "--window", "8"], "--window must be an odd integer"
    if kind == "pca_too_big":
        return [*base, "--features", "pca:13"], "N must be between 1 and the band count 12"
    if kind == "unknown_class":
        return [*base, "--exclude", "7"], "--exclude names classes not in the ground truth: [7]"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing", "unreadable_mat", "2d_cube", "shape_mismatch", "nan", "no_labels",
                                  "mat_ambiguous", "fraction", "even_window", "pca_too_big", "unknown_class"])
def test_bad_input(tmp_path, cli, scene_files, kind):
    argv, expected = _bad(tmp_path, scene_files, kind)
    out = tmp_path / "out"
    rc, _stdout, err = cli("prepare", *argv, "--out", out)
    assert rc == 2
    assert expected in err
    assert err.count("\n") == 1 and err.startswith("hsbench prepare: error: ")
    assert not out.exists()


def test_grid_reads_a_dataset_whose_last_band_is_constant_on_training_pixels(tmp_path, cli):
    from tests.conftest import make_scene

    cube, gt = make_scene()
    cube[..., -1] = 7.0  # scaled to 0 on every training pixel: LibSVM leaves the column out
    rows, cols = np.nonzero(gt)
    cube[rows[-1], cols[-1], -1] = 9.0
    np.save(tmp_path / "c.npy", cube)
    np.save(tmp_path / "g.npy", gt)
    assert cli("prepare", "--cube", tmp_path / "c.npy", "--gt", tmp_path / "g.npy", "--out", tmp_path / "d")[0] == 0
    rc, _, err = cli("grid", "--data", tmp_path / "d", "--gamma", "1", "--C", "1", "--folds", "3", "--quiet",
                     "--out", tmp_path / "r.json")
    assert rc == 0, err
    assert json.loads((tmp_path / "r.json").read_text())["test"]["oa"] > 0.9
