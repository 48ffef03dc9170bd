"""The backend benchmark runs end to end: a variant in its own process, the JSON, the markdown table.

A smoke test at a tiny batch (the figures themselves come from running it by hand: README)."""

from __future__ import annotations

import json

import pytest

from hsbench.benchmarks.cnn_backends import main


def test_one_variant_is_measured_in_its_own_process_and_tabled(tmp_path, capsys):
    rc = main(["--out", str(tmp_path), "--backends", "", "--tf-threads", "1:1", "--batches", "4",
               "--warmup", "1", "--steps", "5"])
    assert rc == 0
    doc = json.loads((tmp_path / "cnn_backends.json").read_text())
    assert doc["kind"] == "cnn_backends" and doc["host"]["cpu"] and len(doc["load_average"]) == 2
    (row,) = doc["variants"]
    assert "error" not in row, row
    step = row["batches"]["4"]
    assert len(step["train_step_times"]) == 5 and step["train_step_seconds"] > 0
    assert step["inference_samples_per_second"] > 0 and step["train_cores_busy"] > 0
    # the thread pools the variant asked for are what TensorFlow ran with, in the process that measured
    assert row["flags"]["intra_op_threads"] == row["flags"]["inter_op_threads"] == 1
    assert row["flags"]["onednn"] is True and row["flags"]["mixed_precision"] == "float32"
    md = (tmp_path / "cnn_backends.md").read_text()
    assert md.startswith("# CNN backends on this machine")
    assert "| TensorFlow, oneDNN on, threads 1 intra / 1 inter |" in md


def test_fewer_than_five_timed_steps_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--out", str(tmp_path), "--steps", "4"])
    assert exc.value.code == 2
    assert "--steps must be >= 5" in capsys.readouterr().err and not (tmp_path / "cnn_backends.json").exists()
