"""The modern protocol's validation part, carved from the training pixels only.

Two ways (Config.val_split):

* ``stratified``: a random share of each class's training rows (the random split's way);
* ``spatial``: on a spatially disjoint split the test pixels lie in fields the
  training pixels never touch, and random validation rows are neighbours of fitted
  rows: their windows overlap, so validation accuracy measures interpolation (about
  99% against 34% test OA on Indian Pines). Here each class's validation part is a
  contiguous block at one end of its training pixels (ordered along the longer side
  of their extent), and fitted rows within Chebyshev distance window - 1 of any
  validation row are left out, so no validation window overlaps a fitted window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class ValidationRows:
    """Row indices into the training rows: fitted, validation, and left out by the buffer."""

    fit: np.ndarray
    validation: np.ndarray
    kind: str  # "stratified" | "spatial"
    buffer: int = 0  # pixels (Chebyshev) between validation and fitted rows
    dropped: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    # classes that give no validation rows (one row only, or the buffer would leave them no fitted row)
    unwatched: tuple[int, ...] = ()

    def record(self) -> dict:
        """JSON-ready summary (the results' `validation`)."""
        return {"kind": self.kind, "pixels": len(self.validation), "fit_pixels": len(self.fit),
                "buffer": self.buffer, "buffer_dropped": len(self.dropped),
                "classes_without_validation": list(self.unwatched)}


def _share(n: int, fraction: float) -> int:
    """round(fraction * n) rows, at least one when n >= 2 (every class is watched), never all."""
    return min(max(round(fraction * n), 1 if n > 1 else 0), n - 1)


def validation_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (fit, validation) of the TRAINING rows, stratified by class, seeded.

    Each class gives round(fraction * n) rows, at least one when it has two or
    more (so every class is watched) and none when it has only one.
    """
    rng = np.random.default_rng([seed, 7919])  # own stream: independent of the shuffle's (seed, epoch)
    fit, val = [], []
    for cls in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == cls))
        k = _share(len(rows), fraction)
        val.append(rows[:k])
        fit.append(rows[k:])
    return np.sort(np.concatenate(fit)), np.sort(np.concatenate(val))


def spatial_validation_split(coords: np.ndarray, labels: np.ndarray, fraction: float, seed: int,
                             window: int) -> ValidationRows:
    """Validation rows as one spatial block per class, fitted rows kept window - 1 pixels away.

    Each class's block is round(fraction * n) rows at one end of its rows ordered
    along the longer side of their extent: the end whose buffer leaves out fewer
    training rows (the seed breaks ties). A class whose block would leave it no
    fitted row gives no validation rows (it is still learned, just not watched).
    """
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, 2)
    labels = np.asarray(labels)
    buffer = max(int(window) - 1, 0)
    tree = cKDTree(coords.astype(np.float64))
    rng = np.random.default_rng([seed, 7919])

    def near(rows: np.ndarray) -> np.ndarray:
        hit = np.zeros(len(labels), dtype=bool)
        if len(rows) and buffer:
            for lst in tree.query_ball_point(coords[rows].astype(np.float64), r=buffer, p=np.inf):
                hit[lst] = True
        return hit

    blocks: dict[int, np.ndarray] = {}
    for cls in np.unique(labels):
        rows = np.flatnonzero(labels == cls)
        k = _share(len(rows), fraction)
        if k == 0:
            continue
        rc = coords[rows]
        long_axis = int(np.argmax(np.ptp(rc, axis=0)))
        ordered = rows[np.lexsort((rc[:, 1 - long_axis], rc[:, long_axis]))]
        ends = (ordered[:k], ordered[::-1][:k])
        cost = [int(near(b).sum()) - k for b in ends]
        pick = int(rng.integers(2)) if cost[0] == cost[1] else int(np.argmin(cost))
        blocks[int(cls)] = ends[pick]
    while True:  # a class left with no fitted row gets back its rows: drop the blocks that took them
        val = np.zeros(len(labels), dtype=bool)
        for b in blocks.values():
            val[b] = True
        dropped = near(np.flatnonzero(val)) & ~val
        fit = ~val & ~dropped
        starved = [int(c) for c in np.unique(labels) if not fit[labels == c].any()]
        if not starved:
            break
        own = [c for c in starved if c in blocks]
        if own:  # first the class's own block: often the whole cause (a small class)
            for c in own:
                del blocks[c]
            continue
        for c in starved:  # then the other blocks within the buffer of the class's rows
            reach = near(np.flatnonzero(labels == c))
            for owner in [o for o, b in blocks.items() if reach[b].any()]:
                del blocks[owner]
    unwatched = tuple(int(c) for c in np.unique(labels) if int(c) not in blocks)
    return ValidationRows(fit=np.flatnonzero(fit), validation=np.flatnonzero(val), kind="spatial", buffer=buffer,
                          dropped=np.flatnonzero(dropped), unwatched=unwatched)
