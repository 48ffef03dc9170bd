"""Keras feed over a window file: one batch of windows built per step, seeded shuffle per epoch."""

from __future__ import annotations

import keras
import numpy as np

from cnn.windows import WindowFile


class WindowDataset(keras.utils.PyDataset):
    """(windows, one-hot labels) for rows `rows` of a part of a window file.

    With `shuffle`, epoch e visits the rows in the order of
    `default_rng([seed, e]).permutation`: the order depends on (seed, epoch)
    only, so a resumed run sees exactly the batches an uninterrupted run sees
    without saving any generator state. `epoch` is set by `EpochSetter`.
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
    ):
        super().__init__(workers=1, use_multiprocessing=False)
        self.wf, self.coords, self.targets = wf, coords, targets
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.epoch = 0

    def __len__(self) -> int:
        return -(-len(self.coords) // self.batch_size)

    def order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.coords))
        return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.coords))

    def __getitem__(self, i: int):
        rows = self.order()[i * self.batch_size : (i + 1) * self.batch_size]
        return self.wf.windows(self.coords[rows]), self.targets[rows]


class EpochSetter(keras.callbacks.Callback):
    """Tell the training dataset which epoch begins (its shuffle order depends on it)."""

    def __init__(self, dataset: WindowDataset):
        super().__init__()
        self.dataset = dataset

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.dataset.epoch = epoch
