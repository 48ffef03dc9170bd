"""The scaling benchmark's GridSearchCV step: a skip is recorded with its estimate, a larger limit retries it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hsbench.benchmarks.svm_scaling import run_gridsearchcv


def _data(tmp: Path) -> Path:
    rng = np.random.default_rng(0)
    d = tmp / "data"
    d.mkdir()
    lines = []
    for label in (1, 2):
        for row in rng.normal(loc=label, size=(20, 3)):
            lines.append(f"{label} " + " ".join(f"{j + 1}:{v:.4f}" for j, v in enumerate(row)))
    (d / "train.libsvm").write_text("\n".join(lines) + "\n")
    return d


def test_skip_then_retry_with_a_larger_limit(tmp_path: Path) -> None:
    data, out = _data(tmp_path), tmp_path / "gs.json"
    skipped = run_gridsearchcv(data, "seed", 1, out, limit=10.0, est=100.0, ours=tmp_path / "none.json")
    assert skipped["skipped"] and skipped["estimated_seconds"] == 100.0
    assert json.loads(out.read_text()) == skipped
    # the same limit keeps the skip without running anything
    assert run_gridsearchcv(data, "seed", 1, out, limit=10.0, est=100.0, ours=tmp_path / "none.json") == skipped
    measured = run_gridsearchcv(data, "seed", 1, out, limit=1000.0, est=100.0, ours=tmp_path / "none.json")
    assert measured["skipped"] is False and measured["seconds"] > 0
    # a measured record is kept on the next call, whatever the limit
    again = run_gridsearchcv(data, "seed", 1, out, limit=0.0, est=100.0, ours=tmp_path / "none.json")
    assert again == measured
