"""One train/test split of a scene's labelled pixels, shared by the SVM and the CNN.

Two kinds:

* ``random``: stratified by class; each class keeps at least one training and
  one test pixel (the seed's 10% / 90%).
* ``all``: every labelled pixel is a training pixel and there is no test set: the
  SVM grid's cross-validation over the whole scene (the workload where the MPI farm
  matters), reporting CV accuracy only; train fraction 1.
* ``disjoint``: spatially disjoint. Each class's training share is a strip at
  one edge of its extent (its pixels swept along a seeded direction: by rows
  or columns, from either side), the rest is test. Test pixels whose window would overlap a training
  pixel's window (Chebyshev distance < window) are dropped as a buffer, so the
  CNN cannot see test pixels during training. Classes absent from training
  are removed from the test side too (neither method could predict them).

Pixels are listed in raster order (row-major) on each side: that is the row
order of the LibSVM files and the window file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.ndimage import maximum_filter

from hsbench.errors import InputError

KINDS = ("random", "disjoint", "all")
ALL_FRACTION = 1.0  # the train fraction an `all` split records


@dataclass
class Split:
    kind: str
    train_fraction: float
    seed: int
    window: int
    train_coords: np.ndarray  # (N, 2) int (row, col)
    train_labels: np.ndarray  # (N,) int
    test_coords: np.ndarray
    test_labels: np.ndarray
    excluded: list[int] = field(default_factory=list)
    min_class_pixels: int = 2
    # width in pixels of the band around the training pixels whose test pixels are dropped
    # (disjoint: window - 1, so no test window overlaps a training window; random: 0)
    buffer: int = 0
    buffer_dropped: int = 0
    buffer_dropped_per_class: dict[int, int] = field(default_factory=dict)
    missing_train: list[int] = field(default_factory=list)
    missing_test: list[int] = field(default_factory=list)

    def meta(self) -> dict:
        """JSON-ready description without coordinates."""
        d = asdict(self)
        for k in ("train_coords", "train_labels", "test_coords", "test_labels"):
            d.pop(k)
        d["buffer_dropped_per_class"] = {str(k): v for k, v in self.buffer_dropped_per_class.items()}
        return d

    def counts(self) -> dict[str, dict[str, int]]:
        out = {}
        for side, labels in (("train", self.train_labels), ("test", self.test_labels)):
            ids, n = np.unique(labels, return_counts=True)
            out[side] = {str(int(i)): int(c) for i, c in zip(ids, n, strict=True)}
        return out


def check_split_args(kind: str, train_fraction: float, window: int, min_class_pixels: int) -> None:
    if kind not in KINDS:
        raise InputError(f"--split must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "all":
        if train_fraction != ALL_FRACTION:
            raise InputError(f"--split all trains on every labelled pixel: --train-fraction {train_fraction:g} "
                             "does not apply (drop it)")
    elif not (0.0 < train_fraction < 1.0):
        raise InputError(f"--train-fraction must be strictly between 0 and 1, got {train_fraction}")
    if window < 1 or window % 2 == 0:
        raise InputError(f"--window must be an odd integer >= 1 (the pixel sits in the centre), got {window}")
    if min_class_pixels < 2:
        raise InputError(
            f"--min-class-pixels must be >= 2 (one training and one test pixel), got {min_class_pixels}"
        )


def make_split(
    gt: np.ndarray,
    kind: str = "random",
    train_fraction: float = 0.1,
    seed: int = 0,
    window: int = 9,
    exclude: tuple[int, ...] = (),
    min_class_pixels: int = 2,
) -> Split:
    """Split the labelled pixels of `gt` (0 = unlabelled)."""
    check_split_args(kind, train_fraction, window, min_class_pixels)
    present, counts = np.unique(gt[gt > 0], return_counts=True)
    unknown = sorted(set(exclude) - set(int(c) for c in present))
    if unknown:
        raise InputError(f"--exclude names classes not in the ground truth: {unknown}")
    excluded = sorted(
        set(int(c) for c in exclude) | {int(c) for c, n in zip(present, counts, strict=True) if n < min_class_pixels}
    )
    use = np.isin(gt, [c for c in present if c not in excluded])
    if not use.any():
        raise InputError("no labelled pixels left after excluding classes " + str(excluded))
    rng = np.random.default_rng(seed)
    extra: dict = {}
    if kind == "all":
        train_mask, test_mask = use, np.zeros_like(use)
    elif kind == "random":
        train_mask = _random_train_mask(gt, use, train_fraction, rng)
        test_mask = use & ~train_mask
    else:
        train_mask, test_mask, extra = _disjoint_masks(gt, use, train_fraction, window, rng)
    split = Split(
        kind=kind, train_fraction=train_fraction, seed=seed, window=window,
        train_coords=np.argwhere(train_mask), train_labels=gt[train_mask],
        test_coords=np.argwhere(test_mask), test_labels=gt[test_mask],
        excluded=excluded, min_class_pixels=min_class_pixels,
        **extra,
    )
    if split.train_labels.size == 0 or (split.test_labels.size == 0 and kind != "all"):
        raise InputError(
            f"the {kind} split left {split.train_labels.size} training and {split.test_labels.size} test pixels; "
            "change --train-fraction or the excluded classes"
        )
    return split


def _random_train_mask(gt: np.ndarray, use: np.ndarray, frac: float, rng: np.random.Generator) -> np.ndarray:
    train = np.zeros(gt.shape, bool)
    flat = gt.ravel()
    for c in np.unique(gt[use]):
        idx = np.flatnonzero((flat == c) & use.ravel())
        # at least one pixel on each side, whatever the fraction
        n_train = int(np.clip(round(frac * idx.size), 1, idx.size - 1))
        train.ravel()[rng.permutation(idx)[:n_train]] = True
    return train


def _disjoint_masks(
    gt: np.ndarray, use: np.ndarray, frac: float, window: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, dict]:
    train = np.zeros(gt.shape, bool)
    classes = np.unique(gt[use])
    for cls in classes:
        rc = np.argwhere(use & (gt == cls))
        # sweep the class's pixels along a seeded direction (rows or columns, either way) and take the
        # first share: a strip at one edge of the class's extent, so the rest can lie beyond the buffer
        axis, sign = rng.integers(2), rng.choice((-1, 1))
        order = np.lexsort((rc[:, 1 - axis], sign * rc[:, axis]))
        n_train = int(np.clip(round(frac * len(rc)), 1, max(1, len(rc) - 1)))
        sel = rc[order[:n_train]]
        train[sel[:, 0], sel[:, 1]] = True
    # buffer: a test window overlaps a training window iff Chebyshev distance <= window - 1
    near_train = maximum_filter(train.astype(np.uint8), size=2 * window - 1, mode="constant") > 0
    candidates = use & ~train
    dropped = candidates & near_train
    test = candidates & ~near_train
    train_classes = set(np.unique(gt[train]).tolist())
    missing_train = sorted(int(c) for c in classes if int(c) not in train_classes)
    test &= ~np.isin(gt, missing_train)  # unpredictable: no training pixel of that class
    test_classes = set(np.unique(gt[test]).tolist())
    missing_test = sorted(int(c) for c in classes if int(c) not in test_classes)
    ids, n = np.unique(gt[dropped], return_counts=True)
    extra = {
        "buffer": window - 1,
        "buffer_dropped": int(dropped.sum()),
        "buffer_dropped_per_class": {int(i): int(k) for i, k in zip(ids, n, strict=True)},
        "missing_train": missing_train,
        "missing_test": missing_test,
    }
    return train, test, extra
