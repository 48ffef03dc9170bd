"""The CNN's input: a window file (HDF5) holding the cube once, cut into windows at batch time.

The seed stored every 9x9 window (81 times the data: 11.9 GB for the full
scene). Here the file holds the scene cube once plus the pixel coordinates;
`WindowFile` cuts (batch, w, w, B, 1) float32 windows on demand, normalised
with the training pixels' per-band mean/std, reflect-padded at the borders.
Memory: the (padded, normalised) cube plus one batch of windows.

Layout (docs/FORMATS.md):

    /cube            (H, W, B)  as given (uint16 or float32)
    /train/coords    (N, 2) int32 (row, col);  /train/labels (N,) int32 class ids
    /test/coords, /test/labels
    /mean, /std      (B,) float32 per-band statistics of the training pixels
    attrs: format "hsbench-windows", version 1, window (odd int),
           class_names (JSON {"id": name}), split (JSON)

numpy and h5py only: `hsbench prepare` writes these files without keras.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from numpy.typing import ArrayLike

from hsbench.cnn.atomic import atomic_path
from hsbench.cnn.errors import InputError

FORMAT = "hsbench-windows"
VERSION = 1
_DATASETS = ("cube", "train/coords", "train/labels", "test/coords", "test/labels", "mean", "std")


def write_window_file(
    path: str | os.PathLike,
    cube: np.ndarray,
    train_coords: np.ndarray,
    train_labels: np.ndarray,
    test_coords: np.ndarray,
    test_labels: np.ndarray,
    class_names: dict[int, str],
    window: int,
    split: dict,
) -> None:
    """Write a window file atomically (temporary file beside `path`, then `os.replace`).

    The per-band mean/std come from the training pixels' spectra only, so no
    test statistic leaks into the normalisation.
    """
    cube = np.asarray(cube)
    if cube.ndim != 3:
        raise InputError(f"{path}: cube must be (H, W, B), got shape {cube.shape}")
    window = int(window)
    if window < 1 or window % 2 == 0:
        raise InputError(f"{path}: window must be an odd positive int, got {window}")
    train_coords = _coords(path, "train", train_coords, train_labels, cube.shape)
    test_coords = _coords(path, "test", test_coords, test_labels, cube.shape)
    if len(train_coords) == 0:
        raise InputError(f"{path}: no training pixels")
    spectra = cube[train_coords[:, 0], train_coords[:, 1]].astype(np.float64)
    mean = spectra.mean(axis=0).astype(np.float32)
    std = spectra.std(axis=0).astype(np.float32)
    std[std == 0] = 1.0  # a constant band would divide by zero; it carries no information anyway

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("cube", data=cube, chunks=True, compression="gzip", compression_opts=4)
        for part, coords, labels in (("train", train_coords, train_labels), ("test", test_coords, test_labels)):
            f.create_dataset(f"{part}/coords", data=coords.astype(np.int32))
            f.create_dataset(f"{part}/labels", data=np.asarray(labels, dtype=np.int32))
        f.create_dataset("mean", data=mean)
        f.create_dataset("std", data=std)
        f.attrs["format"] = FORMAT
        f.attrs["version"] = VERSION
        f.attrs["window"] = window
        f.attrs["class_names"] = json.dumps({str(int(k)): str(v) for k, v in class_names.items()})
        f.attrs["split"] = json.dumps(split, sort_keys=True)


def _coords(path: str | os.PathLike, part: str, coords: ArrayLike, labels: ArrayLike,
            shape: tuple[int, ...]) -> np.ndarray:
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, 2)
    if len(coords) != len(np.asarray(labels).reshape(-1)):
        raise InputError(f"{path}: {part} has {len(coords)} coordinates but {np.size(labels)} labels")
    if len(coords) and (coords.min() < 0 or (coords >= np.asarray(shape[:2])).any()):
        raise InputError(f"{path}: {part} coordinates outside the {shape[0]}x{shape[1]} cube")
    return coords


class WindowFile:
    """A validated window file, the cube normalised and reflect-padded in memory.

    Raises `InputError` naming the file and the fault for a missing file or
    dataset, an even window, NaN/inf in the cube or coordinates off the cube.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: window file not found")
        try:
            f = h5py.File(self.path, "r")
        except OSError as exc:
            raise InputError(f"{self.path}: not an HDF5 file ({exc})") from None
        with f:
            for name in _DATASETS:
                if not isinstance(f.get(name), h5py.Dataset):
                    raise InputError(f"{self.path}: dataset /{name} missing")
            if "window" not in f.attrs:
                raise InputError(f"{self.path}: attribute 'window' missing")
            self.window = int(f.attrs["window"])
            self.class_names = {int(k): v for k, v in json.loads(_attr(f, "class_names", "{}")).items()}
            self.split = json.loads(_attr(f, "split", "{}"))
            self.train_coords = f["train/coords"][...].astype(np.int64)
            self.train_labels = f["train/labels"][...].astype(np.int64)
            self.test_coords = f["test/coords"][...].astype(np.int64)
            self.test_labels = f["test/labels"][...].astype(np.int64)
            self.mean = f["mean"][...].astype(np.float32)
            self.std = f["std"][...].astype(np.float32)
            if self.window < 1 or self.window % 2 == 0:
                raise InputError(f"{self.path}: window size {self.window} is not odd (no centre pixel)")
            cube = f["cube"]
            if cube.ndim != 3:
                raise InputError(f"{self.path}: /cube has shape {cube.shape}, expected (H, W, B)")
            self.shape = tuple(int(s) for s in cube.shape)
            self.bands = self.shape[2]
            if self.mean.shape != (self.bands,) or self.std.shape != (self.bands,):
                raise InputError(f"{self.path}: /mean or /std does not have {self.bands} bands")
            for part in ("train", "test"):
                _coords(self.path, part, getattr(self, f"{part}_coords"), getattr(self, f"{part}_labels"),
                        self.shape)
            self._padded = self._load_padded(cube)
        self._offsets = np.arange(self.window)

    def _load_padded(self, cube: h5py.Dataset) -> np.ndarray:
        """The normalised cube, reflect-padded once so every window is a plain slice.

        Built in one float32 buffer, a block of rows at a time, so memory stays
        at about one padded cube (np.pad and whole-cube arithmetic would hold 4-5).
        """
        h, w, b = self.shape
        r = self.window // 2
        padded = np.empty((h + 2 * r, w + 2 * r, b), np.float32)
        centre = padded[r : r + h, r : r + w]
        step = max(1, (64 << 20) // max(1, w * b * 4))  # about 64 MB of rows per block
        for i in range(0, h, step):
            block = centre[i : i + step]
            block[...] = cube[i : i + step]
            block -= self.mean
            block /= self.std
            if not np.isfinite(block).all():
                raise InputError(f"{self.path}: /cube holds NaN or infinite values (after normalisation)")
        if r == 0:
            return padded
        if h <= r or w <= r:  # smaller than the window: np.pad reflects repeatedly
            return np.pad(np.ascontiguousarray(centre), ((r, r), (r, r), (0, 0)), mode="reflect")
        # reflect (edge not repeated), as np.pad(mode="reflect"): rows first, then columns over all rows
        padded[:r] = padded[2 * r : r : -1]
        padded[r + h :] = padded[r + h - 2 : h - 2 : -1]
        padded[:, :r] = padded[:, 2 * r : r : -1]
        padded[:, r + w :] = padded[:, r + w - 2 : w - 2 : -1]
        return padded

    def windows(self, coords: np.ndarray) -> np.ndarray:
        """(n, w, w, B, 1) float32 windows centred on `coords` (row, col)."""
        coords = np.asarray(coords, dtype=np.int64).reshape(-1, 2)
        rows = coords[:, 0, None, None] + self._offsets[None, :, None]
        cols = coords[:, 1, None, None] + self._offsets[None, None, :]
        return self._padded[rows, cols][..., None]


@dataclass(frozen=True)
class Layout:
    """Where a window file's pixels lie, without its cube: enough to plan the folds."""

    window: int
    split: dict
    train_coords: np.ndarray
    train_labels: np.ndarray
    test_coords: np.ndarray


def read_layout(path: str | os.PathLike) -> Layout | None:
    """The window file's pixel layout, or None where it cannot be read (WindowFile then says why)."""
    try:
        with h5py.File(path, "r") as f:
            return Layout(int(f.attrs["window"]), json.loads(_attr(f, "split", "{}")),
                          f["train/coords"][...].astype(np.int64), f["train/labels"][...].astype(np.int64),
                          f["test/coords"][...].astype(np.int64))
    except (OSError, KeyError, ValueError, TypeError):
        return None


def _attr(f: h5py.File, name: str, default: str) -> str:
    value = f.attrs.get(name, default)
    return value.decode() if isinstance(value, bytes) else str(value)
