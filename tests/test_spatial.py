"""Spatial model selection: CV folds of whole spatial groups with a buffer (SVM grid), and a spatially
separate validation block with a buffer (CNN). Distances are checked by brute force."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from hsbench.cnn.validation import spatial_validation_split, validation_split
from hsbench.svm.errors import InputError
from hsbench.svm.folds import (
    buffer_candidates,
    buffer_exclusion,
    held_out_distances,
    make_spatial_folds,
    matched_buffer,
    spatial_groups,
    w_statistic,
)
from tests.svm_fixtures import synthetic, write_libsvm


def _strips(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes' training strips (long and thin, as a disjoint split leaves them), one tiny class."""
    rows = []
    rows += [(r, c, 1) for r in range(0, 3) for c in range(0, 60)]  # 3 x 60, long along columns
    rows += [(r, c, 2) for r in range(10, 50) for c in range(5, 7)]  # 40 x 2, long along rows
    rows += [(r, c, 3) for r in range(20, 24) for c in range(30, 40)]  # 4 x 10
    rows += [(60, 0, 4), (60, 1, 4), (61, 5, 4)]  # 3 pixels: fewer than the folds
    order = np.random.default_rng(seed).permutation(len(rows))  # file order is not spatial order
    a = np.array(rows)[order]
    return a[:, :2], a[:, 2]


def _chebyshev(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a[:, None, :] - b[None, :, :]).max(axis=2)


def test_groups_are_contiguous_sub_strips_and_stay_whole_in_one_fold():
    coords, y = _strips()
    groups = spatial_groups(y, coords, 10)
    with pytest.warns(UserWarning) as caught:
        folds, _ = make_spatial_folds(y, coords, 10, seed=3)
    for g in np.unique(groups):
        members = groups == g
        assert len(np.unique(y[members])) == 1
        assert len(np.unique(folds[members])) == 1  # a group is never split across folds
    # class 1 lies along columns: its 10 groups are runs of 18 pixels, in column order
    c1 = y == 1
    assert len(np.unique(groups[c1])) == 10
    for g in np.unique(groups[c1]):
        cols = np.sort(coords[groups == g][:, 1])
        assert cols.max() - cols.min() == 5  # 6 columns x 3 rows, contiguous
    # every class with at least 10 pixels is in every fold; class 4 (3 pixels) in 3 of them
    for cls in (1, 2, 3):
        assert sorted(np.unique(folds[y == cls])) == list(range(10))
    assert len(np.unique(folds[y == 4])) == 3
    assert len(caught) == 1 and "class 4 in 3 of 10 folds" in str(caught[0].message)


def test_deterministic_for_a_seed():
    coords, y = _strips()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        a, ex_a = make_spatial_folds(y, coords, 10, seed=5, buffer=2)
        b, ex_b = make_spatial_folds(y, coords, 10, seed=5, buffer=2)
        other, _ = make_spatial_folds(y, coords, 10, seed=6, buffer=2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ex_a, ex_b)
    assert not np.array_equal(a, other)
    # same groups under another seed: only which fold each group goes to changes
    groups = spatial_groups(y, coords, 10)
    for g in np.unique(groups):
        assert len(np.unique(other[groups == g])) == 1


def test_buffer_leaves_out_exactly_the_training_rows_near_the_held_out_rows():
    coords, y = _strips()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        folds, exclude = make_spatial_folds(y, coords, 10, seed=0, buffer=3)
    d = _chebyshev(coords, coords)
    for f in range(10):
        held = folds == f
        expected = (folds != f) & (d[:, held].min(axis=1) <= 3)
        np.testing.assert_array_equal(exclude[f], expected)
    assert not buffer_exclusion(coords, folds, 10, 0).any()


def test_a_buffer_that_starves_a_fold_is_refused_before_any_fit():
    coords = np.array([[0, c] for c in range(10)] + [[0, c] for c in range(12, 22)])
    y = np.array([1] * 10 + [2] * 10)
    with pytest.raises(InputError, match=r"50-pixel buffer, fold 0 keeps 0 class\(es\) to train on \(0 rows\)"):
        make_spatial_folds(y, coords, 2, seed=0, buffer=50)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cnn_validation_block_no_window_overlaps_a_fitted_window(seed):
    coords, y = _strips(seed)
    window = 5
    v = spatial_validation_split(coords, y, 0.1, seed, window)
    fit, val = v.fit, v.validation
    assert len(np.intersect1d(fit, val)) == 0 and len(np.intersect1d(fit, v.dropped)) == 0
    assert len(fit) + len(val) + len(v.dropped) == len(y)
    # windows of half-width 2 overlap iff the centres are within 2 * 2 = window - 1 pixels
    assert _chebyshev(coords[val], coords[fit]).min() >= window
    for cls in np.unique(y):  # every class is still learned
        assert (y[fit] == cls).any()
    # each watched class's validation pixels are one block at an end of its strip
    c2 = np.flatnonzero(y[val] == 2)
    rows = np.sort(coords[val][c2][:, 0])
    assert len(rows) == 8 and rows.max() - rows.min() == 3 and rows.min() in (10, 46)
    assert v.record()["kind"] == "spatial" and v.record()["buffer"] == window - 1
    again = spatial_validation_split(coords, y, 0.1, seed, window)
    np.testing.assert_array_equal(again.validation, val)


def test_cnn_validation_gives_back_blocks_that_would_starve_a_class():
    # class 2 is two pixels beside class 1's strip: any block of class 1 at that end would take them
    coords = np.array([[0, c] for c in range(30)] + [[1, 0], [1, 1]])
    y = np.array([1] * 30 + [2] * 2)
    v = spatial_validation_split(coords, y, 0.1, 0, 5)
    assert (y[v.fit] == 2).any() and (y[v.fit] == 1).any()
    assert 2 in v.unwatched  # its own block would leave it nothing to fit
    # the stratified way is unchanged
    fit, val = validation_split(y, 0.1, 0)
    assert len(val) == 4 and len(fit) == 28


def _disjoint_dataset(tmp_path, cli, split="disjoint"):
    rng = np.random.default_rng(0)
    gt = np.zeros((40, 40), np.uint8)
    gt[2:18, 2:38], gt[22:38, 2:20], gt[22:38, 22:38] = 1, 2, 3
    means = rng.uniform(100, 1000, (4, 12))
    cube = (means[gt] + rng.normal(0, 80, (40, 40, 12))).astype(np.float32)
    np.save(tmp_path / "cube.npy", cube)
    np.save(tmp_path / "gt.npy", gt)
    data = tmp_path / split
    rc, _out, err = cli("prepare", "--cube", tmp_path / "cube.npy", "--gt", tmp_path / "gt.npy", "--split", split,
                       "--window", "3", "--train-fraction", "0.3", "--out", data)
    assert rc == 0, err
    return data


GRID = ("--gamma", "2^-2,1", "--C", "1,10", "--folds", "4", "--quiet")


def test_grid_folds_default_by_split_kind_and_are_recorded(tmp_path, cli):
    data = _disjoint_dataset(tmp_path, cli)
    rc, _, err = cli("grid", "--data", data, *GRID, "--out", tmp_path / "spatial.json")
    assert rc == 0, err
    res = json.loads((tmp_path / "spatial.json").read_text())
    meta = json.loads((data / "dataset.json").read_text())
    y, coords = np.array(meta["train"]["labels"]), np.array(meta["train"]["coords"])
    # the buffer matched to the test pixels' distances, from the split's window - 1 (2) up
    matched, scores = matched_buffer(y, coords, np.array(meta["test"]["coords"]), 4, 0, buffer_candidates(3))
    assert res["folds_kind"] == "spatial" and res["cv_buffer_rule"] == "matched" and res["cv_buffer"] == matched
    assert res["cv_buffer_w"] == scores and [s["buffer"] for s in scores] == list(range(2, 11))
    folds, exclude = make_spatial_folds(y, coords, 4, seed=0, buffer=matched)
    assert res["folds"] == folds.tolist() and res["cv_buffer_dropped"] == exclude.sum(axis=1).tolist()
    # a given buffer is used as given
    rc, _, err = cli("grid", "--data", data, *GRID, "--cv-buffer", "2", "--out", tmp_path / "given.json")
    assert rc == 0, err
    res = json.loads((tmp_path / "given.json").read_text())
    assert (res["cv_buffer"], res["cv_buffer_rule"], res["cv_buffer_w"]) == (2, "given", None)
    assert res["cv_buffer_dropped"] == make_spatial_folds(y, coords, 4, seed=0, buffer=2)[1].sum(axis=1).tolist()

    rc, _, err = cli("grid", "--data", data, *GRID, "--cv", "stratified", "--out", tmp_path / "strat.json")
    assert rc == 0, err
    res = json.loads((tmp_path / "strat.json").read_text())
    assert res["folds_kind"] == "stratified" and res["cv_buffer"] == 0 and res["cv_buffer_dropped"] == [0] * 4
    assert res["cv_buffer_rule"] == "none"

    random = _disjoint_dataset(tmp_path, cli, split="random")
    rc, _, err = cli("grid", "--data", random, *GRID, "--out", tmp_path / "random.json")
    assert rc == 0, err
    assert json.loads((tmp_path / "random.json").read_text())["folds_kind"] == "stratified"


def test_spatial_cv_needs_pixel_coordinates(tmp_path, cli):
    X, y = synthetic(60)
    train = write_libsvm(tmp_path / "plain.libsvm", X, y)
    out = tmp_path / "r.json"
    rc, _stdout, err = cli("grid", "--train", train, "--cv", "spatial", *GRID, "--out", out)
    assert rc == 2 and not out.exists()
    assert err.count("\n") == 1 and "--cv spatial" in err and "no pixel coordinates" in err and str(train) in err
    rc, _, err = cli("grid", "--train", train, "--cv-buffer", "3", *GRID, "--out", out)
    assert rc == 2 and "spatial folds only" in err


def _top_strips():
    # two classes in training strips along the top rows (as a disjoint split leaves them)
    train = np.array([(r, c) for r in range(0, 4) for c in range(0, 60)])
    y = np.array([1 if c < 30 else 2 for _, c in train])
    return train, y


def test_the_matched_buffer_minimises_w_over_the_candidates_and_reads_no_test_labels():
    train, y = _top_strips()
    for test_rows in (range(8, 10), range(14, 16)):  # test pixels 5 or 11 rows below the strips
        test = np.array([(r, c) for r in test_rows for c in range(0, 60, 2)])
        best, scores = matched_buffer(y, train, test, 4, seed=0, candidates=range(0, 16))
        test_d = np.array([max(abs(r - 3), 0) for r, _ in test], dtype=float)  # nearest training row is 3
        expect = []
        for b in range(0, 16):
            try:
                folds, exclude = make_spatial_folds(y, train, 4, 0, b)
            except Exception:
                expect.append(None)
                continue
            expect.append(w_statistic(held_out_distances(train, folds, exclude), test_d))
        assert [s["w"] for s in scores] == expect  # W of every candidate, brute force
        ok = [(w, b) for b, w in enumerate(expect) if w is not None]
        assert best == min(ok)[1]
    # a farther test asks for a wider buffer
    near = matched_buffer(y, train, np.array([(8, c) for c in range(60)]), 4, 0, range(0, 16))[0]
    far = matched_buffer(y, train, np.array([(14, c) for c in range(60)]), 4, 0, range(0, 16))[0]
    assert near < far


def test_buffer_candidates_run_from_the_window_up():
    assert list(buffer_candidates(9)) == list(range(8, 17))
    assert list(buffer_candidates(3)) == list(range(2, 11))  # at least 8 more than window - 1
    assert list(buffer_candidates(1)) == list(range(0, 9))
