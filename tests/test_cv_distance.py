"""The CV distance diagnosis: its W statistic, and a wider buffer holding pixels out further."""

import json

import numpy as np

from hsbench.benchmarks.cv_distance import main, w_statistic


def test_w_statistic_is_the_area_between_the_distribution_functions():
    assert w_statistic(np.array([1, 1, 1]), np.array([1, 1, 1])) == 0.0
    assert w_statistic(np.array([0, 0]), np.array([3, 3])) == 3.0  # F differs by 1 on [0, 3)
    assert w_statistic(np.array([0, 2]), np.array([2, 2])) == 1.0  # by 1/2 on [0, 2)


def test_a_wider_buffer_holds_out_further_and_fits_fewer_rows(tmp_path):
    train = [(r, c) for r in range(0, 4) for c in range(0, 40)]
    labels = [1 if c < 20 else 2 for _, c in train]
    test = [(r, c) for r in range(30, 33) for c in range(0, 40, 3)]
    data = tmp_path / "d"
    data.mkdir()
    (data / "dataset.json").write_text(json.dumps({
        "split": {"kind": "disjoint", "seed": 0},
        "train": {"coords": train, "labels": labels},
        "test": {"coords": test, "labels": [1 if c < 20 else 2 for _, c in test]}}))
    out = tmp_path / "cv.json"
    assert main([str(data), "--buffers", "0,4,30", "--folds", "4", "--out", str(out)]) == 0
    case = json.loads(out.read_text())["cases"][0]
    b0, b4, b30 = case["buffers"]
    assert b4["median_any"] >= 5 > b0["median_any"] and b4["fit_rows"] < b0["fit_rows"]  # beyond the 4 px
    assert b4["w_any"] < b0["w_any"]  # nearer the test's 28 px
    assert "refused" in b30 and case["test_median_any"] == 28.0 and case["best_buffer_by_w"] == 4
