"""The report's selection-distance diagnosis against brute force on a small synthetic layout."""

import numpy as np

from hsbench.cnn.validation import spatial_validation_split
from hsbench.report.distance import distances_of_test_pixels, selection_distances
from hsbench.svm.folds import make_spatial_folds


def _brute(src, src_y, dst, dst_y):
    """Median Chebyshev distances by explicit loops: any class, same class."""
    any_d, same_d = [], []
    for (r, c), y in zip(src, src_y, strict=True):
        dist = [max(abs(r - r2), abs(c - c2)) for r2, c2 in dst]
        any_d.append(min(dist))
        same = [d for d, y2 in zip(dist, dst_y, strict=True) if y2 == y]
        same_d.append(min(same) if same else np.inf)
    return float(np.median(same_d)), float(np.median(any_d))


def _layout():
    # two classes in training strips along the top rows; test pixels far below
    train = [(r, c) for r in range(0, 4) for c in range(0, 40)]
    train_y = [1 if c < 20 else 2 for _, c in train]
    test = [(r, c) for r in range(30, 33) for c in range(0, 40, 3)]
    test_y = [1 if c < 20 else 2 for _, c in test]
    return {"train": {"coords": train, "labels": train_y}, "test": {"coords": test, "labels": test_y},
            "split": {"kind": "disjoint", "window": 5}}


class FakeRun:
    """What the diagnosis reads of a report Run: its category and its results JSON."""

    def __init__(self, category, d):
        self.category, self.d = category, d


def test_test_distances_match_brute_force():
    info = _layout()
    got = distances_of_test_pixels(info)
    same, any_class = _brute(info["test"]["coords"], info["test"]["labels"], info["train"]["coords"],
                             info["train"]["labels"])
    assert (got.same_class, got.any_class) == (same, any_class) == (28.0, 28.0)  # rows 30-32 against row 3


def test_svm_fold_distances_follow_the_recorded_folds_and_buffer():
    info = _layout()
    xy, y = np.asarray(info["train"]["coords"]), np.asarray(info["train"]["labels"])
    folds, exclude = make_spatial_folds(y, xy, 4, seed=0, buffer=3)
    run = FakeRun("serial", {"folds": folds.tolist(), "n_folds": 4, "cv_buffer": 3})
    got = selection_distances(info, run)
    any_all, same_all = [], []
    for f in range(4):
        held, fit = folds == f, (folds != f) & ~exclude[f]
        for p, py in zip(xy[held], y[held], strict=True):
            dist = [max(abs(p[0] - q[0]), abs(p[1] - q[1])) for q in xy[fit]]
            any_all.append(min(dist))
            same_all.append(min(d for d, qy in zip(dist, y[fit], strict=True) if qy == py))
    assert got.any_class == float(np.median(any_all)) and got.same_class == float(np.median(same_all))
    assert got.any_class >= 4  # the buffer of 3 px keeps every fitted pixel further than 3 px


def test_cnn_validation_distances_are_rebuilt_only_when_the_recorded_counts_match():
    info = _layout()
    xy, y = np.asarray(info["train"]["coords"]), np.asarray(info["train"]["labels"])
    parts = spatial_validation_split(xy, y, 0.2, 0, 5)
    d = {"hyper": {"val_fraction": 0.2, "seed": 0},
         "validation": {"kind": "spatial", "pixels": len(parts.validation), "fit_pixels": len(parts.fit)}}
    got = selection_distances(info, FakeRun("cnn", d))
    assert (got.same_class, got.any_class) == _brute(xy[parts.validation], y[parts.validation], xy[parts.fit],
                                                     y[parts.fit])
    d["validation"]["pixels"] += 1  # not the rows the run used: no guess
    assert selection_distances(info, FakeRun("cnn", d)) is None
    assert selection_distances({"split": {}}, FakeRun("cnn", d)) is None  # no coordinates


def test_the_cnn_selection_names_its_refit_and_the_classes_its_validation_watched():
    from hsbench.report.compare import gap, selection_of

    d = {"best_epoch": 2, "history_rows": [{"epoch": 1, "val_accuracy": 0.3}, {"epoch": 2, "val_accuracy": 0.5}],
         "validation": {"kind": "spatial", "pixels": 9, "buffer": 4, "buffer_dropped": 7,
                        "classes_without_validation": [3]},
         "refit": {"epochs": 2, "train_samples": 40, "selected_test": {"oa": 0.25}},
         "test": {"oa": 0.4, "labels": [1, 2, 3]}}
    sel = selection_of(FakeRun("cnn", d))
    assert sel.accuracy == 0.5 and sel.scheme == "spatial validation"
    assert "9 px of 2 of 3 classes" in sel.what and "epoch 2" in sel.what
    assert "tested: refit on 40 px for 2 epochs (selected weights: test OA 25.00%)" in sel.what
    assert abs(gap(FakeRun("cnn", d)) - 0.1) < 1e-12  # validation at the kept epoch - the refit's test OA


def test_cnn_spatial_cv_distances_are_those_of_the_svm_fold_scheme_it_used():
    info = _layout()
    xy, y = np.asarray(info["train"]["coords"]), np.asarray(info["train"]["labels"])
    d = {"hyper": {"val_folds": 4, "seed": 0, "val_fraction": 0.1},
         "validation": {"kind": "spatial-cv", "folds": 4, "pixels": len(y)}}
    svm = {"folds": make_spatial_folds(y, xy, 4, seed=0, buffer=4)[0].tolist(), "n_folds": 4, "cv_buffer": 4}
    got = selection_distances(info, FakeRun("cnn", d))
    assert got is not None and got == selection_distances(info, FakeRun("serial", svm))  # window 5: buffer 4
