"""Spatial cross-validation folds: whole spatial groups per fold, and a buffer around the held-out rows.

On a spatially disjoint split the test pixels lie in fields the training pixels
never touch, while stratified folds hold out random neighbours of the pixels being
fit: the CV accuracy then measures interpolation, not what the test measures
(issue 11: 95% CV against 40% test OA). Spatial folds mimic the split instead:

* groups: each class's training pixels are ordered along the longer side of their
  extent (a disjoint split's training strip is long and thin) and cut into
  `n_folds` contiguous sub-strips of (nearly) equal size, fewer for a class with
  fewer pixels than folds;
* folds: every group goes whole into one fold; a class's groups go to distinct
  folds, in an order drawn from the seed, so each fold holds out one sub-strip of
  every class that has enough pixels;
* buffer: rows within Chebyshev distance `buffer` of a fold's held-out rows are
  left out of that fold's training (`exclude`), as the disjoint split drops the
  test pixels near training pixels. With buffer = window - 1, no held-out pixel's
  window overlaps a fitted pixel's window.

Roberts et al., Ecography 40 (2017) 913-929, on block and buffered CV for
spatially structured data.

The buffer can be matched to the test (`matched_buffer`, `--cv-buffer auto`): of the buffers
from window - 1 up, the one whose held-out -> nearest fitted distances (any class) come
closest to the test -> nearest training distances, by the W statistic of nearest-neighbour
distance matching (Milà et al., Methods Ecol. Evol. 13 (2022) 1304; Linnenbrink et al.,
Geosci. Model Dev. 17 (2024) 5897). It reads the test pixels' coordinates, never their labels.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from hsbench.svm.errors import InputError

FOLD_KINDS = ("stratified", "spatial")
AUTO = "auto"  # --cv-buffer auto: the matched buffer


def spatial_groups(y: np.ndarray, coords: np.ndarray, n_folds: int) -> np.ndarray:
    """Group id of every row: per class, min(n_folds, size) contiguous sub-strips along the longer side.

    Ids are class-major (a class's groups are numbered consecutively, first sub-strip
    first). Pure geometry: no randomness.
    """
    y = np.asarray(y)
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, 2)
    groups = np.empty(len(y), dtype=np.int64)
    next_id = 0
    for cls in np.unique(y):
        rows = np.flatnonzero(y == cls)
        rc = coords[rows]
        long_axis = int(np.argmax(np.ptp(rc, axis=0)))
        ordered = rows[np.lexsort((rc[:, 1 - long_axis], rc[:, long_axis]))]
        parts = np.array_split(ordered, min(n_folds, len(rows)))
        for part in parts:
            groups[part] = next_id
            next_id += 1
    return groups


def make_spatial_folds(
    y: np.ndarray, coords: np.ndarray, n_folds: int, seed: int, buffer: int = 0, source: str = "training file"
) -> tuple[np.ndarray, np.ndarray]:
    """(fold of every row, exclude) for spatial CV; `exclude[f, i]`: row i is left out of fold f's training.

    Deterministic for a seed. A class with fewer rows than folds appears in fewer
    folds: one warning names those classes and the number of folds each got.
    """
    y = np.asarray(y)
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, 2)
    n = len(y)
    if n_folds < 2 or n_folds > n:
        raise InputError(f"--folds {n_folds}: needs 2 <= folds <= {n} (the rows in the {source})")
    if coords.shape[0] != n:
        raise InputError(f"{source}: {n} rows but {coords.shape[0]} pixel coordinates")
    if buffer < 0:
        raise InputError(f"--cv-buffer must be >= 0 pixels, got {buffer}")
    groups = spatial_groups(y, coords, n_folds)
    rng = np.random.default_rng([seed, 104729])  # own stream, apart from other uses of the seed
    folds = np.empty(n, dtype=np.int64)
    few: dict[int, int] = {}
    for cls in np.unique(y):
        class_groups = np.unique(groups[y == cls])  # consecutive ids, first sub-strip first
        order = rng.permutation(n_folds)[: len(class_groups)]
        for g, fold in zip(class_groups, order, strict=True):
            folds[groups == g] = fold
        if len(class_groups) < n_folds:
            few[int(cls)] = len(class_groups)
    if few:
        warnings.warn(
            "spatial folds: " + "; ".join(f"class {c} in {k} of {n_folds} folds" for c, k in few.items())
            + " (fewer training pixels than folds)",
            UserWarning,
            stacklevel=2,
        )
    if len(np.unique(folds)) < n_folds:  # only if every class is smaller than n_folds
        raise InputError(f"{source}: spatial folds fill only {len(np.unique(folds))} of {n_folds} folds; "
                         "lower --folds")
    exclude = buffer_exclusion(coords, folds, n_folds, buffer)
    for f in range(n_folds):  # checked before any fit: an SVM needs two classes to learn from
        train = (folds != f) & ~exclude[f]
        kept = np.unique(y[train])
        if len(kept) < 2:
            raise InputError(
                f"{source}: with a {buffer}-pixel buffer, fold {f} keeps {len(kept)} class(es) to train on "
                f"({int(train.sum())} rows); lower --cv-buffer or --folds, or use --cv stratified"
            )
    return folds, exclude


def buffer_exclusion(coords: np.ndarray, folds: np.ndarray, n_folds: int, buffer: int) -> np.ndarray:
    """(n_folds, n) bool: training rows of fold f within Chebyshev distance `buffer` of its held-out rows."""
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    exclude = np.zeros((n_folds, len(folds)), dtype=bool)
    if buffer <= 0:
        return exclude
    tree = cKDTree(coords)
    for f in range(n_folds):
        held = np.flatnonzero(folds == f)
        if len(held) == 0:
            continue
        near = tree.query_ball_point(coords[held], r=buffer, p=np.inf)
        exclude[f, np.unique(np.concatenate([np.asarray(lst, dtype=np.int64) for lst in near]))] = True
        exclude[f, held] = False  # held-out rows are not training rows of their own fold
    return exclude


def w_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Area between the empirical distribution functions of `a` and `b` (integer pixel distances)."""
    top = int(max(a.max(), b.max())) + 1
    grid = np.arange(top + 1)
    fa = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.abs(fa - fb).sum())


def held_out_distances(coords: np.ndarray, folds: np.ndarray, exclude: np.ndarray) -> np.ndarray:
    """Every fold's held-out rows to the nearest row that fold fits (any class), pooled; Chebyshev px."""
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    parts = []
    for f in range(exclude.shape[0]):
        held, fit = folds == f, (folds != f) & ~exclude[f]
        if held.any() and fit.any():
            parts.append(cKDTree(coords[fit]).query(coords[held], p=np.inf)[0])
    return np.concatenate(parts) if parts else np.zeros(0)


def buffer_candidates(window: int) -> range:
    """window - 1 (no held-out window overlaps a fitted one) up to twice that (at least 8 more)."""
    low = max(window - 1, 0)
    return range(low, max(2 * low, low + 8) + 1)


def candidate_folds(y: np.ndarray, coords: np.ndarray, n_folds: int, seed: int,
                    candidates: Iterable[int]) -> Iterator[tuple[int, tuple[np.ndarray, np.ndarray] | None]]:
    """(buffer, (folds, exclude)) per candidate; None where the buffer leaves a fold fewer than two classes."""
    for buffer in candidates:
        made: tuple[np.ndarray, np.ndarray] | None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "a class in fewer folds": the same for every buffer
                made = make_spatial_folds(y, coords, n_folds, seed, buffer)
        except InputError:
            made = None
        yield buffer, made  # outside the warnings filter: the caller's own warnings are not silenced


def matched_buffer(y: np.ndarray, coords: np.ndarray, test_coords: np.ndarray, n_folds: int, seed: int,
                   candidates: range) -> tuple[int, list[dict[str, Any]]]:
    """(the candidate whose held-out distances best match the test's, [{buffer, w}] per candidate; w None:
    refused).

    Label-free: test pixels count by their coordinates only. Ties go to the smaller buffer; a buffer
    that leaves a fold fewer than two classes is refused. All refused: the smallest candidate.
    """
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, 2)
    test_xy = np.asarray(test_coords, dtype=np.float64).reshape(-1, 2)
    test_d = cKDTree(coords.astype(np.float64)).query(test_xy, p=np.inf)[0]
    scores: list[dict[str, Any]] = []
    for buffer, made in candidate_folds(y, coords, n_folds, seed, candidates):
        held = held_out_distances(coords, *made) if made is not None else np.zeros(0)
        scores.append({"buffer": buffer, "w": w_statistic(held, test_d) if len(held) else None})
    ok = [(s["w"], s["buffer"]) for s in scores if s["w"] is not None]
    return (min(ok)[1] if ok else candidates[0]), scores
