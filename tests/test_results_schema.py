"""docs/FORMATS.md, hsbench.results and the files the real writers produce list the same keys."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from hsbench import results

ROOT = Path(__file__).resolve().parents[1]

# the paragraph or heading just above each key block of docs/FORMATS.md
BLOCKS = {
    "dataset": "### `dataset.json`",
    "common": "Common keys",
    "test": "`test` (from",
    "svm_grid": '### kind `"svm_grid"`',
    "cnn": '### kind `"cnn"`',
}


def documented() -> dict[str, list[str]]:
    """Keys per block: the first word of each code-block line that starts in column 0."""
    text = (ROOT / "docs" / "FORMATS.md").read_text()
    out = {}
    for name, marker in BLOCKS.items():
        start = text.index("```\n", text.index(marker)) + 4
        block = text[start : text.index("```", start)]
        out[name] = [m.group(1) for m in re.finditer(r"^([a-z_][a-z0-9_]*)\b", block, re.MULTILINE)]
    return out


def test_the_document_and_the_code_list_the_same_keys():
    doc = documented()
    assert doc["common"] == list(results.COMMON_KEYS)
    assert doc["test"] == list(results.TEST_KEYS)
    assert doc["svm_grid"] == list(results.SVM_GRID_KEYS)
    assert doc["cnn"] == list(results.CNN_KEYS)
    assert set(results.REQUIRED["dataset"]) <= set(doc["dataset"])


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A tiny scene through the real commands: prepare, grid and cnn (one epoch)."""
    from hsbench.cli import main
    from tests.conftest import make_scene

    d = tmp_path_factory.mktemp("schema")
    cube, gt = make_scene(h=24, w=24, bands=30)
    np.save(d / "cube.npy", cube)
    np.save(d / "gt.npy", gt)
    data = d / "data"
    assert main(["prepare", "--cube", str(d / "cube.npy"), "--gt", str(d / "gt.npy"), "--split", "disjoint",
                 "--window", "7", "--train-fraction", "0.3", "--out", str(data)]) == 0
    # spatial folds (the default on a disjoint split), with a buffer this tiny scene can afford
    assert main(["grid", "--data", str(data), "--gamma", "1,2", "--C", "1,10", "--folds", "3", "--cv-buffer", "1",
                 "--quiet", "--out", str(d / "svm.json")]) == 0
    assert main(["cnn", "--data", str(data), "--out", str(d / "cnn"), "--protocol", "modern", "--epochs", "1",
                 "--val-split", "spatial", "--refit", "--progress", "none"]) == 0
    return {
        "dataset": json.loads((data / "dataset.json").read_text()),
        "svm_grid": json.loads((d / "svm.json").read_text()),
        "cnn": json.loads((d / "cnn" / "cnn.json").read_text()),
        "data": data,
    }


def test_every_documented_key_is_written(written):
    doc = documented()
    assert set(doc["dataset"]) <= set(written["dataset"])
    split_doc = (ROOT / "docs" / "FORMATS.md").read_text().split("split         {", 1)[1].split("\nfeatures", 1)[0]
    for key in written["dataset"]["split"]:  # every key the split writes is documented
        assert key in split_doc, key
    for kind in ("svm_grid", "cnn"):
        res = written[kind]
        missing = [k for k in doc["common"] + doc[kind] if k not in res]
        assert not missing, (kind, missing)
        assert res["kind"] == kind
        assert [k for k in doc["test"] if k not in res["test"]] == []
        assert set(results.REQUIRED[kind]) <= set(res)
    for cell in written["svm_grid"]["cells"]:
        assert set(results.CELL_KEYS) <= set(cell)
    assert set(results.BEST_KEYS) <= set(written["svm_grid"]["best"])
    for row in written["cnn"]["history_rows"]:
        assert set(results.HISTORY_KEYS) <= set(row)
    refit = written["cnn"]["refit"]  # asked for (--refit): after a single validation part it is off by default
    assert set(results.REFIT_KEYS) == set(refit) and refit["epochs"] == written["cnn"]["best_epoch"] == 1
    formats = (ROOT / "docs" / "FORMATS.md").read_text()
    refit_doc = formats.split("refit           null", 1)[1].split("\nwall_scope", 1)[0]
    for key in results.REFIT_KEYS:
        assert key in refit_doc, key
    assert refit["train_samples"] == len(written["dataset"]["train"]["labels"])
    assert written["cnn"]["wall_scope"] == "run"


def test_the_split_records_its_buffer(written):
    split = written["dataset"]["split"]
    assert split["kind"] == "disjoint" and split["buffer"] == split["window"] - 1 == 6
    assert written["svm_grid"]["dataset"]["split"]["buffer"] == 6  # copied into the results


def test_model_selection_on_a_disjoint_split_is_spatial(written):
    svm, cnn = written["svm_grid"], written["cnn"]
    assert svm["folds_kind"] == "spatial" and svm["cv_buffer"] == 1  # as asked (--cv-buffer 1)
    assert len(svm["cv_buffer_dropped"]) == svm["n_folds"] == 3
    val = cnn["validation"]
    assert val["kind"] == "spatial" and val["buffer"] == 6  # window 7 - 1
    n_train = sum(written["dataset"]["counts"]["train"].values())
    assert val["pixels"] + val["fit_pixels"] + val["buffer_dropped"] == n_train
    assert cnn["train_samples"] == val["fit_pixels"]
    assert cnn["hyper"]["val_split"] == "spatial" and cnn["hyper"]["monitor"] == "accuracy"



def test_spatial_cv_the_tiny_scene_cannot_afford_is_refused_in_the_cnn_options(written, tmp_path, capsys):
    from hsbench.cli import main

    # the disjoint split's default for the CNN; 24 x 24 pixels leave a fold one class beyond a 6-pixel buffer
    rc = main(["cnn", "--data", str(written["data"]), "--out", str(tmp_path / "cv"), "--protocol", "modern",
               "--val-folds", "2", "--cv-epochs", "1", "--progress", "none"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--val-split spatial-cv" in err[0] and "lower --val-folds" in err[0]
    assert "--cv-buffer" not in err[0] and not (tmp_path / "cv").exists()
