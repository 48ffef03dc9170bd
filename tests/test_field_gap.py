"""The field-coverage diagnosis: which test pixels lie in a field the training touches, and the OA there."""

import json

import numpy as np

from hsbench.benchmarks.field_gap import main, seen_fields


def _scene():
    # class 1: two fields (left block, right block) split by an unlabelled column; class 2: one field below
    gt = np.zeros((6, 9), dtype=np.int64)
    gt[0:3, 0:4] = 1
    gt[0:3, 5:9] = 1
    gt[4:6, :] = 2
    return gt


def test_a_test_pixel_is_seen_when_its_class_field_holds_a_training_pixel():
    gt = _scene()
    train_xy, train_y = np.array([[0, 0], [4, 0]]), np.array([1, 2])
    test_xy = np.array([[2, 3], [1, 6], [5, 8], [0, 5]])
    test_y = gt[test_xy[:, 0], test_xy[:, 1]]
    # same left field; right field (diagonal contact across the gap column does not exist: column 4 is empty);
    # class 2's only field; right field again
    assert seen_fields(gt, train_xy, train_y, test_xy, test_y).tolist() == [True, False, True, False]
    # 8-neighbour fields: a diagonal step joins two blocks of a class
    gt2 = np.zeros((4, 4), dtype=np.int64)
    gt2[0:2, 0:2] = 1
    gt2[2:4, 2:4] = 1
    assert seen_fields(gt2, np.array([[0, 0]]), np.array([1]), np.array([[3, 3]]), np.array([1])).tolist() == [True]


def _results(tmp_path, gt, train_xy, test_xy, predictions, labels_shift=0):
    root = tmp_path / "results"
    (root / "d").mkdir(parents=True)
    split = {"kind": "disjoint", "train_fraction": 0.5, "seed": 0, "window": 1}
    scene = {"name": "tiny"}
    labels = lambda xy: [int(gt[r, c]) + labels_shift for r, c in xy]  # noqa: E731
    (root / "d" / "dataset.json").write_text(json.dumps({
        "kind": "dataset", "scene": scene, "split": split, "class_names": {"1": "a", "2": "b"}, "counts": {},
        "train": {"coords": train_xy, "labels": labels(train_xy)},
        "test": {"coords": test_xy, "labels": labels(test_xy)}}))
    (root / "d" / "svm_wide_serial.json").write_text(json.dumps({
        "kind": "svm_grid", "dataset": {"scene": scene, "split": split, "features": "raw"}, "grid": {},
        "grid_name": "wide", "cells": [], "best": {"mean_accuracy": 0.75}, "backend": "sklearn", "ranks": 1,
        "wall_seconds": 1.0, "n_folds": 2, "folds_kind": "spatial", "cv_buffer": 0,
        "test": {"predictions": predictions}}))
    np.save(tmp_path / "gt.npy", gt)
    return root


def test_oa_is_split_into_seen_and_unseen_fields(tmp_path):
    gt = _scene()
    train_xy = [[0, 0], [4, 0]]
    test_xy = [[2, 3], [0, 5], [1, 6], [5, 8]]  # raster order: seen (1), unseen (1), unseen (1), seen (2)
    root = _results(tmp_path, gt, train_xy, test_xy, predictions=[1, 2, 1, 2])
    out = tmp_path / "fg.json"
    assert main([str(root), "--gt", str(tmp_path / "gt.npy"), "--out", str(out)]) == 0
    case = json.loads(out.read_text())["cases"][0]
    assert case["unseen_share"] == 0.5 and case["test_pixels"] == 4
    (row,) = case["runs"]
    assert row["selected_on"] == 0.75 and row["test_oa"] == 0.75
    assert row["seen_oa"] == 1.0 and row["unseen_oa"] == 0.5


def test_labels_that_differ_from_the_ground_truth_stop_with_one_line(tmp_path, capsys):
    gt = _scene()
    root = _results(tmp_path, gt, [[0, 0], [4, 0]], [[2, 3], [5, 8]], predictions=[1, 2], labels_shift=1)
    out = tmp_path / "fg.json"
    assert main([str(root), "--gt", str(tmp_path / "gt.npy"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "labels differ from the scene's ground truth" in err and not out.exists()


def _doc(test_oa=0.75):
    return {"kind": "field_gap", "command": "field_gap", "cases": [{
        "seed": 0, "unseen_share": 0.5, "runs": [
            {"path": "d/svm_wide_serial.json", "test_oa": test_oa, "seen_oa": 1.0, "unseen_oa": 0.5}]}]}


def test_the_report_table_uses_a_row_only_for_its_own_file_while_the_test_oa_matches():
    from hsbench.report.fields import fields_section
    from hsbench.report.group import Run
    from hsbench.report.load import Loaded

    run = Run("serial", "SVM", Loaded("indian_pines/d/svm_wide_serial.json", {"test": {"oa": 0.75}}))
    other = Run("serial", "SVM", Loaded("e/svm_wide_serial.json", {"test": {"oa": 0.75}}))
    lines = fields_section([0, 1], [("SVM raw", [run, other])], _doc())
    text = "\n".join(lines)
    assert "| SVM raw | 100.00 / 50.00 | not run |" in text  # a results root one level up still matches
    assert "| test pixels in unseen fields | 50.00 | not run |" in text
    assert "1 run(s) have no row" in text  # the other seed's file was not measured
    # results newer than the benchmark (another test OA): no row for them, nothing at all here
    assert fields_section([0], [("SVM raw", [run])], _doc(test_oa=0.70)) == []


def test_report_fields_that_is_not_a_field_gap_json_stops_before_writing(tmp_path, cli):
    gt = _scene()
    root = _results(tmp_path, gt, [[0, 0], [4, 0]], [[2, 3], [5, 8]], predictions=[1, 2])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "cv_distance"}))
    rc, _, err = cli("report", root, "-o", tmp_path / "R.md", "--fields", bad)
    assert rc == 2 and err.count("\n") == 1 and "not an hsbench field_gap benchmark JSON" in err
    assert not (tmp_path / "R.md").exists()
