"""Keras feed over a window file: one batch of windows built per step, seeded shuffle per epoch."""

from __future__ import annotations

import keras
import numpy as np

from hsbench.cnn.windows import WindowFile


class WindowDataset(keras.utils.PyDataset):
    """(windows, one-hot labels) for rows `rows` of a part of a window file.

    With `shuffle`, epoch e visits the rows in the order of
    `default_rng([seed, e]).permutation`: the order depends on (seed, epoch)
    only, so a resumed run sees exactly the batches an uninterrupted run sees
    without saving any generator state. `epoch` is set by `EpochSetter`.

    With `augment`, each window gets one of the 8 symmetries of the square
    (rotations by 90 degrees, with or without a flip), drawn from
    `default_rng([seed, epoch, batch])`: land cover has no preferred
    orientation, and the draw is as reproducible on resume as the shuffle.

    `shard=(i, n)`: process i of n feeds the i-th of n equal slices of every batch (the
    global batch is their concatenation, as one process would have fed it whole).
    """

    def __init__(
        self,
        wf: WindowFile,
        coords: np.ndarray,
        targets: np.ndarray,
        batch_size: int,
        *,
        shuffle: bool = False,
        seed: int = 0,
        augment: bool = False,
        shard: tuple[int, int] = (0, 1),
    ):
        super().__init__(workers=1, use_multiprocessing=False)
        self.wf, self.coords, self.targets = wf, coords, targets
        self.shard = shard
        self.batch_size, self.shuffle, self.seed, self.augment = batch_size, shuffle, seed, augment
        self.epoch = 0
        self._order: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return -(-len(self.coords) // self.batch_size)

    def order(self) -> np.ndarray:
        # one permutation per epoch, not one per batch
        if self._order is None or self._order[0] != self.epoch:
            rows = np.arange(len(self.coords))
            if self.shuffle:
                rows = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.coords))
            self._order = (self.epoch, rows)
        return self._order[1]

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.order()[i * self.batch_size : (i + 1) * self.batch_size]
        # drawn for the whole global batch, so a slice gets the symmetries one process would give it
        k = None
        if self.augment:
            k = np.random.default_rng([self.seed, self.epoch, i, 31337]).integers(8, size=len(rows))
        index, count = self.shard
        part = slice(index * len(rows) // count, (index + 1) * len(rows) // count)
        rows = rows[part]
        x = self.wf.windows(self.coords[rows])
        if k is not None:
            x = dihedral(x, k[part])
        return x, self.targets[rows]


def dihedral(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Apply symmetry k[j] in 0..7 to window x[j] of (n, w, w, ...): rot90 k % 4 times, then a flip if k >= 4."""
    out = np.empty_like(x)
    for t in np.unique(k):
        sel = k == t
        y = np.rot90(x[sel], int(t) % 4, axes=(1, 2))
        out[sel] = y[:, :, ::-1] if t >= 4 else y
    return out


class EpochSetter(keras.callbacks.Callback):
    """Tell the training dataset which epoch begins (its shuffle order depends on it)."""

    def __init__(self, dataset: WindowDataset):
        super().__init__()
        self.dataset = dataset

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.dataset.epoch = epoch
