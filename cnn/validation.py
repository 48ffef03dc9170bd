"""The modern protocol's validation part, carved from the training pixels only."""

from __future__ import annotations

import numpy as np


def validation_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (fit, validation) of the TRAINING rows, stratified by class, seeded.

    Each class gives round(fraction * n) rows, at least one when it has two or
    more (so every class is watched) and none when it has only one.
    """
    rng = np.random.default_rng([seed, 7919])  # own stream: independent of the shuffle's (seed, epoch)
    fit, val = [], []
    for cls in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == cls))
        k = min(max(round(fraction * len(rows)), 1 if len(rows) > 1 else 0), len(rows) - 1)
        val.append(rows[:k])
        fit.append(rows[k:])
    return np.sort(np.concatenate(fit)), np.sort(np.concatenate(val))
