"""Tiny synthetic window files for the CNN tests (no download, a few KB)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hsbench.cnn.windows import write_window_file


def synthetic_scene(h: int = 12, w: int = 12, bands: int = 30, classes: int = 3, seed: int = 0):
    """A cube whose pixels carry a class-specific spectrum plus noise, and its ground truth."""
    rng = np.random.default_rng(seed)
    gt = (np.arange(h)[:, None] * classes // h + np.zeros((1, w), int)) + 1  # horizontal bands of classes
    signatures = rng.uniform(100, 1000, size=(classes + 1, bands))
    cube = signatures[gt] + rng.normal(0, 20, size=(h, w, bands))
    return cube.astype(np.float32), gt


def make_window_file(
    path: Path, *, h: int = 12, w: int = 12, bands: int = 30, classes: int = 3, window: int = 5, seed: int = 0,
    split_kind: str = "random",
) -> Path:
    """Half of the pixels, at random, train; `split_kind` is only what the file says the split was."""
    cube, gt = synthetic_scene(h, w, bands, classes, seed)
    rows, cols = np.nonzero(gt)
    coords = np.stack([rows, cols], 1)
    labels = gt[rows, cols]
    order = np.random.default_rng(seed).permutation(len(coords))
    train, test = order[: len(order) // 2], order[len(order) // 2 :]
    write_window_file(
        path, cube, coords[train], labels[train], coords[test], labels[test],
        {c: f"class {c}" for c in range(1, classes + 1)}, window,
        {"kind": split_kind, "train_fraction": 0.5, "seed": seed},
    )
    return path
