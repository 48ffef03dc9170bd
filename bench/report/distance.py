"""How far the pixels that chose a model lay from the pixels it was fitted on, beside how far the test
pixels lie from the training pixels: what a selection gap on a disjoint split comes from.

Chebyshev distances in pixels, medians. "any class": to the nearest fitted pixel whatever its class
(label-free, the quantity nearest-neighbour distance matching CV compares: Mila et al., Methods Ecol.
Evol. 13 (2022) 1304; Linnenbrink et al., Geosci. Model Dev. 17 (2024) 5897); "same class": to the
nearest fitted pixel of the pixel's own class (labels used after the fact, for the diagnosis only).
Pure functions of the results JSON and dataset.json; the selection pixels are rebuilt from what
the results record (SVM: folds and buffer; CNN: its validation settings), never re-drawn.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from hsbench.cnn.validation import spatial_validation_split, validation_split
from hsbench.report.group import Run
from hsbench.svm.folds import buffer_exclusion, make_spatial_folds


@dataclass(frozen=True)
class Distances:
    any_class: float  # median px to the nearest fitted pixel of any class
    same_class: float  # median px to the nearest fitted pixel of the same class (inf: none of it fitted)


def nearest_distances(src: np.ndarray, src_y: np.ndarray, dst: np.ndarray,
                      dst_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per `src` pixel: distance to the nearest `dst` pixel (any class), and of its own class (inf: none)."""
    any_class = cKDTree(dst).query(src, p=np.inf)[0]
    same = np.full(len(src), np.inf)
    for c in np.unique(src_y):
        here, there = src_y == c, dst_y == c
        if there.any():
            same[here] = cKDTree(dst[there]).query(src[here], p=np.inf)[0]
    return any_class, same


def _medians(any_class: np.ndarray, same: np.ndarray) -> Distances:
    return Distances(float(np.median(any_class)), float(np.median(same)))


def _train(info: dict) -> tuple[np.ndarray, np.ndarray] | None:
    train = info.get("train") or {}
    if not train.get("coords") or not train.get("labels"):
        return None
    return np.asarray(train["coords"], dtype=np.float64), np.asarray(train["labels"])


def distances_of_test_pixels(info: dict) -> Distances | None:
    """Test pixels to the nearest training pixel; None without coordinates or test pixels."""
    train, test = _train(info), info.get("test") or {}
    if train is None or not test.get("coords"):
        return None
    test_xy = np.asarray(test["coords"], dtype=np.float64)
    return _medians(*nearest_distances(test_xy, np.asarray(test["labels"]), *train))


def selection_distances(info: dict, run: Run) -> Distances | None:
    """The selection pixels of `run` to the pixels fitted beside them (SVM: every fold's held-out rows to
    that fold's training rows; CNN: validation to fitted); None where that cannot be rebuilt."""
    train = _train(info)
    if train is None:
        return None
    xy, y = train
    d = run.d
    if run.category == "cnn":
        return _validation_distances(xy, y, d, info)
    folds = d.get("folds")
    if not isinstance(folds, list) or len(folds) != len(y):
        return None
    folds_a = np.asarray(folds)
    n_folds = int(d.get("n_folds") or folds_a.max() + 1)
    return _fold_distances(xy, y, folds_a, buffer_exclusion(xy, folds_a, n_folds, int(d.get("cv_buffer") or 0)))


def _fold_distances(xy: np.ndarray, y: np.ndarray, folds: np.ndarray, exclude: np.ndarray) -> Distances | None:
    """Every fold's held-out rows to that fold's fitted rows, pooled."""
    per_fold = []
    for f in range(exclude.shape[0]):
        held, fit = folds == f, (folds != f) & ~exclude[f]
        if held.any() and fit.any():
            per_fold.append(nearest_distances(xy[held], y[held], xy[fit], y[fit]))
    if not per_fold:
        return None
    return _medians(*(np.concatenate(parts) for parts in zip(*per_fold, strict=True)))


def _validation_distances(xy: np.ndarray, y: np.ndarray, d: dict, info: dict) -> Distances | None:
    hyper, val = d.get("hyper") or {}, d.get("validation") or {}
    fraction, seed, kind = hyper.get("val_fraction"), hyper.get("seed", 0), val.get("kind")
    window = (info.get("split") or {}).get("window")
    if kind == "spatial-cv" and window and val.get("folds"):  # the SVM's fold scheme, rebuilt as the run built it
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "a class in fewer folds": the run said so already
            folds, exclude = make_spatial_folds(y, xy.astype(np.int64), int(hyper.get("val_folds", val["folds"])),
                                                seed, int(val.get("buffer", max(int(window) - 1, 0))))
        return _fold_distances(xy, y, folds, exclude) if len(folds) == val.get("pixels") else None
    if not fraction or kind not in ("spatial", "stratified"):
        return None
    if kind == "spatial":
        if not window:
            return None
        parts = spatial_validation_split(xy.astype(np.int64), y, fraction, seed, int(window))
        fit, held = parts.fit, parts.validation
    else:
        fit, held = validation_split(y, fraction, seed)
    if len(held) != val.get("pixels") or len(fit) != val.get("fit_pixels"):
        return None  # not the rows the run used (other code or data): no guess
    if len(held) == 0 or len(fit) == 0:
        return None
    return _medians(*nearest_distances(xy[held], y[held], xy[fit], y[fit]))
