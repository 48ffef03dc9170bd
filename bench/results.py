"""The results JSON in one place: its keys, the builders that write them, and what the report requires.

docs/FORMATS.md documents these keys; `tests/test_results_schema.py` checks that
the document, the key lists below and the files the real writers produce agree.
Builders take typed values and return plain dicts; `write_json` (atomic) writes them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from numpy.typing import ArrayLike

from hsbench.errors import InputError
from hsbench.metrics import classification_metrics
from hsbench.provenance import command_line, host_info, now_iso, package_versions, sha256_file

KINDS = ("dataset", "svm_grid", "cnn")

# keys every results file carries (kind svm_grid and cnn)
COMMON_KEYS = ("kind", "command", "created", "host", "device", "versions", "wall_seconds",
               "data", "dataset", "test")
TEST_KEYS = ("oa", "aa", "kappa", "per_class", "f1", "confusion", "labels", "predictions", "predict_seconds")
SVM_GRID_KEYS = ("hosts", "grid", "grid_name", "n_folds", "folds", "folds_kind", "cv_buffer", "cv_buffer_rule",
                 "cv_buffer_w", "cv_buffer_dropped", "seed", "backend", "backend_build", "ranks", "threads",
                 "kernel_cache", "kernel_cache_mb", "cells", "best", "refit_seconds", "resumed_tasks", "nodes",
                 "node_of_rank", "kernel_slots", "shared_kernel_mb", "kernels", "task_seconds", "task_ranks",
                 "peak_rss_mb", "peak_pss_mb", "peak_private_mb", "farm")
KERNEL_KEYS = ("gamma", "node", "seconds", "blocks", "rows", "ranks")
CELL_KEYS = ("gamma", "C", "fold_accuracy", "mean_accuracy", "std_accuracy", "fit_seconds", "predict_seconds")
BEST_KEYS = ("gamma", "C", "mean_accuracy", "std_accuracy")
CNN_KEYS = ("model", "params", "protocol", "backend", "backend_flags", "devices", "processes", "mixed_precision",
            "hyper", "epochs", "epochs_run", "stopped_early", "resumed_from", "batch_size", "best_epoch", "selection",
            "selection_on_test", "validation", "train_samples", "train_seconds", "seconds_per_epoch",
            "train_samples_per_second", "inference_seconds", "inference_samples_per_second", "model_file",
            "history", "history_rows", "refit", "wall_scope")
REFIT_KEYS = ("epochs", "train_samples", "train_seconds", "seconds_per_epoch", "wall_seconds", "resumed_from",
              "history", "history_rows", "selected_test")
HISTORY_KEYS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")

# Keys the report cannot do without, per kind; anything else it reads with a "not recorded" fallback.
REQUIRED: dict[str, tuple[str, ...]] = {
    "dataset": ("scene", "split", "class_names", "train", "test", "counts"),
    "svm_grid": ("dataset", "grid", "cells", "best", "backend", "ranks", "wall_seconds", "test"),
    "cnn": ("dataset", "protocol", "backend", "test"),
}

# what a results file copies from dataset.json (everything but the coordinates); `features` is
# the feature set the run used and `feature_set` its entry (settings, extraction seconds)
DATASET_SUMMARY_KEYS = ("scene", "split", "features", "class_names", "counts")


def read_kind(path: str | os.PathLike, kind: str, what: str, option: str = "") -> dict[str, Any]:
    """A JSON file of one `kind`; InputError naming the file (after `option`, if given) and the fault."""
    label = f"{option} {path}" if option else str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{label}: not a readable {what} ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != kind:
        raise InputError(f"{label}: not an hsbench {what} (kind {kind!r} expected)")
    return data


def file_entry(path: str | os.PathLike) -> dict[str, str]:
    """{path, sha256} of an input file, as `data` lists them."""
    return {"path": str(path), "sha256": sha256_file(path)}


def dataset_summary(meta: Mapping[str, Any], features: str | None = None) -> dict[str, Any] | None:
    """The part of a dataset.json a results file carries (None when there is no dataset.json).

    `features`: the feature set an SVM run read; it replaces `features` (train.libsvm's) and adds
    `feature_set`, that set's entry with its settings and extraction seconds.
    """
    if not meta:
        return None
    summary = {k: meta[k] for k in DATASET_SUMMARY_KEYS if k in meta}
    if features is not None:
        summary["features"] = features
        entry = (meta.get("feature_sets") or {}).get(features)
        if entry is not None:
            summary["feature_set"] = entry
    return summary


def test_block(y_true: ArrayLike, y_pred: ArrayLike, labels: Sequence[int],
               predict_seconds: float) -> dict[str, Any]:
    """`test`: the metrics of bench.metrics plus the prediction time."""
    block = classification_metrics(y_true, y_pred, labels)
    block["predict_seconds"] = predict_seconds
    return block


def header(kind: str, *, device: str, wall_seconds: float, data: dict[str, dict[str, str]],
           dataset: dict[str, Any] | None, test: dict[str, Any] | None,
           host: dict[str, Any] | None = None) -> dict[str, Any]:
    """The keys every results file carries (COMMON_KEYS)."""
    if kind not in KINDS[1:]:
        raise ValueError(f"kind must be svm_grid or cnn, got {kind!r}")
    return {
        "kind": kind,
        "command": command_line(),
        "created": now_iso(),
        "host": host or host_info(),
        "device": device,
        "versions": package_versions(),
        "wall_seconds": wall_seconds,
        "data": data,
        "dataset": dataset,
        "test": test,
    }


def svm_grid_result(
    *,
    cells: list[dict[str, Any]],
    best: dict[str, Any],
    grid: dict[str, list[float]],
    grid_name: str,
    folds: Sequence[int],
    folds_kind: str,
    cv_buffer: int,
    cv_buffer_rule: str,
    cv_buffer_w: list[dict[str, Any]] | None,
    cv_buffer_dropped: Sequence[int],
    seed: int,
    backend: str,
    backend_build: str,
    ranks: int,
    threads: int,
    kernel_cache: bool,
    kernel_cache_mb: float,
    refit_seconds: float | None,
    resumed_tasks: int,
    hosts: list[dict[str, Any]],
    device: str,
    wall_seconds: float,
    data: dict[str, dict[str, str]],
    dataset: dict[str, Any] | None,
    test: dict[str, Any] | None,
    node_of_rank: Sequence[int],
    kernel_slots: int,
    shared_kernel_mb: float,
    kernels: list[dict[str, Any]],
    task_seconds: Sequence[float | None],
    task_ranks: Sequence[int | None],
    peak_rss_mb: Sequence[float],
    peak_pss_mb: Sequence[float | None],
    peak_private_mb: Sequence[float | None],
    farm: dict[str, Any],
) -> dict[str, Any]:
    """A kind "svm_grid" file: the header, the grid, the folds, every cell and the best one,
    and what the scaling model replays: each task's seconds and rank, each kernel's seconds."""
    result = header("svm_grid", device=device, wall_seconds=wall_seconds, data=data, dataset=dataset,
                    test=test, host=hosts[0])
    result.update({
        "hosts": hosts,
        "grid": grid,
        "grid_name": grid_name,
        "n_folds": len(set(folds)),
        "folds": list(folds),
        "folds_kind": folds_kind,
        "cv_buffer": cv_buffer,
        "cv_buffer_rule": cv_buffer_rule,
        "cv_buffer_w": cv_buffer_w,
        "cv_buffer_dropped": list(cv_buffer_dropped),
        "seed": seed,
        "backend": backend,
        "backend_build": backend_build,
        "ranks": ranks,
        "threads": threads,
        "kernel_cache": kernel_cache,
        "kernel_cache_mb": kernel_cache_mb,
        "cells": cells,
        "best": best,
        "refit_seconds": refit_seconds,
        "resumed_tasks": resumed_tasks,
        "nodes": len(set(node_of_rank)),
        "node_of_rank": list(node_of_rank),
        "kernel_slots": kernel_slots,
        "shared_kernel_mb": shared_kernel_mb,
        "kernels": kernels,
        "task_seconds": list(task_seconds),
        "task_ranks": list(task_ranks),
        "peak_rss_mb": list(peak_rss_mb),
        "peak_pss_mb": list(peak_pss_mb),
        "peak_private_mb": list(peak_private_mb),
        "farm": farm,
    })
    return result


def cnn_result(
    *,
    config: Mapping[str, Any],
    model: str,
    params: int,
    backend: str,
    backend_flags: Mapping[str, Any],
    device: str,
    devices: int,
    processes: int,
    epochs_run: int,
    stopped_early: bool,
    resumed_from: int | None,
    best_epoch: int | None,
    selection: str,
    validation: dict[str, Any] | None,
    train_samples: int,
    train_seconds: float,
    inference_seconds: float,
    history_rows: list[dict[str, Any]],
    model_file: str,
    history: str,
    wall_seconds: float,
    data: dict[str, dict[str, str]],
    dataset: dict[str, Any] | None,
    test: dict[str, Any],
    refit: dict[str, Any] | None = None,
    wall_scope: str = "run",
) -> dict[str, Any]:
    """A kind "cnn" file: the header, every training setting (`hyper`), timings and the history.

    `refit`: the refit block (`refit_block`) when the tested model was refitted on all training
    pixels; `wall_scope`: "run" when wall_seconds covers every session, "last session" otherwise.
    """
    n_test = len(test["predictions"])
    result = header("cnn", device=device, wall_seconds=wall_seconds, data=data, dataset=dataset, test=test)
    result.update({
        "model": model,
        "params": params,
        "protocol": config["protocol"],
        "backend": backend,
        "backend_flags": dict(backend_flags),
        "devices": devices,
        "processes": processes,
        "mixed_precision": config["mixed_precision"],
        "hyper": dict(config),  # every setting, augmentation included
        "epochs": config["epochs"],
        "epochs_run": epochs_run,
        "stopped_early": stopped_early,
        "resumed_from": resumed_from,
        "batch_size": config["batch_size"],
        "best_epoch": best_epoch,
        "selection": selection,
        "selection_on_test": config["eval_set"] == "test",
        "validation": validation,
        "train_samples": train_samples,
        "train_seconds": train_seconds,
        "seconds_per_epoch": train_seconds / epochs_run if epochs_run else None,
        "train_samples_per_second": train_samples * epochs_run / train_seconds if train_seconds else None,
        "inference_seconds": inference_seconds,
        "inference_samples_per_second": n_test / inference_seconds if inference_seconds else None,
        "model_file": model_file,
        "history": history,
        "history_rows": history_rows,
        "refit": refit,
        "wall_scope": wall_scope,
    })
    return result


def refit_block(*, epochs: int, train_samples: int, train_seconds: float, wall_seconds: float | None,
                resumed_from: int | None, history: str, history_rows: list[dict[str, Any]],
                selected_test: dict[str, Any] | None) -> dict[str, Any]:
    """A cnn file's `refit`: the fresh model trained on every training pixel for the kept epoch count.
    `selected_test` scores the selected weights (before the refit) on the same test pixels; None after
    spatial CV, which selects an epoch count, not weights."""
    return {
        "epochs": epochs, "train_samples": train_samples, "train_seconds": train_seconds,
        "seconds_per_epoch": train_seconds / epochs if epochs else None, "wall_seconds": wall_seconds,
        "resumed_from": resumed_from, "history": history, "history_rows": history_rows,
        "selected_test": {k: selected_test[k] for k in ("oa", "aa", "kappa")} if selected_test else None,
    }


def relative(path: str | os.PathLike, start: str | os.PathLike) -> str:
    """`path` relative to `start` (results name their own files relative to the JSON)."""
    return os.path.relpath(Path(path), Path(start))
