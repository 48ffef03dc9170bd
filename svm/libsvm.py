"""LibSVM input: load with scikit-learn's svmlight loader, validate, densify.

The fast path is `sklearn.datasets.load_svmlight_file`. It reports a malformed
file without a line number and silently accepts NaN/inf values, so whenever
something is wrong a plain line scan (`_find_fault`) locates the first bad
line and the error names it as `file:line`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.datasets import load_svmlight_file

from hsbench.svm.errors import InputError


@dataclass(frozen=True)
class LibsvmData:
    """A dense LibSVM data set: float64 C-contiguous features, integer labels."""

    path: Path
    X: np.ndarray
    y: np.ndarray

    @property
    def classes(self) -> list[int]:
        return sorted(int(c) for c in np.unique(self.y))


# 2**31 float64 values = 16 GiB: beyond any hyperspectral training file, within reach of a typo
MAX_DENSE_VALUES = 2**31


def load(path: str | os.PathLike, n_features: int | None = None) -> LibsvmData:
    """Read one LibSVM file (1-based indices) into dense arrays, or raise InputError.

    `n_features` pads the columns to at least that many: LibSVM files leave out
    zeros, so a file whose last features are all zero looks narrower than it is.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        X, y = load_svmlight_file(str(path), zero_based=False, dtype=np.float64)
    except (ValueError, OverflowError) as exc:
        raise InputError(_find_fault(path) or f"{path}: not a LibSVM file ({exc})") from None
    if X.shape[0] == 0:
        raise InputError(f"{path}: empty file (no LibSVM rows)")
    if not np.all(np.isfinite(X.data)):
        raise InputError(_find_fault(path) or f"{path}: NaN or infinite feature value")
    if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
        raise InputError(_find_fault(path) or f"{path}: labels must be integers")
    width = max(X.shape[1], n_features or 0)
    if X.shape[0] * width > MAX_DENSE_VALUES:
        # a typo such as index 1000000000 must not become a many-GB dense matrix
        raise InputError(f"{path}: {X.shape[0]} rows x {width} features is too large to densify "
                         f"(largest feature index {X.shape[1]}; a typo?)")
    X.resize((X.shape[0], width))
    dense = np.ascontiguousarray(X.toarray(), dtype=np.float64)
    return LibsvmData(path=path, X=dense, y=y.astype(np.int64))


def load_pair(
    train_path: str | os.PathLike, test_path: str | os.PathLike | None, n_features: int | None = None
) -> tuple[LibsvmData, LibsvmData | None]:
    """Training and (optional) test file padded to one width: the widest of the two and `n_features`."""
    train = load(train_path, n_features)
    if test_path is None:
        return train, None
    test = load(test_path, train.X.shape[1])
    if test.X.shape[1] > train.X.shape[1]:  # features the training file never set are zero there
        train = load(train_path, test.X.shape[1])
    return train, test


def check_training(data: LibsvmData) -> None:
    """A training set needs at least two classes."""
    if len(data.classes) < 2:
        raise InputError(
            f"{data.path}: a single class ({data.classes[0]}) in {len(data.y)} rows; "
            "an SVM needs at least two"
        )


def check_test(test: LibsvmData, train: LibsvmData) -> None:
    """Every test label must occur in training, or the SVM can never predict it."""
    unseen = sorted(set(test.classes) - set(train.classes))
    if unseen:
        raise InputError(
            f"{test.path}: test labels {unseen} never occur in the training file {train.path}"
        )


def _find_fault(path: Path) -> str | None:
    """Return 'file:line: problem' for the first bad line, None if none found."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.split(b"#", 1)[0].decode("utf-8", "replace").strip()
            if not line:
                continue
            problem = _line_fault(line.split())
            if problem:
                return f"{path}:{lineno}: {problem}"
    return None


def _line_fault(tokens: list[str]) -> str | None:
    try:
        label = float(tokens[0])
    except ValueError:
        return f"label {tokens[0]!r} is not a number"
    if not math.isfinite(label) or label != round(label):
        return f"label {tokens[0]!r} is not an integer"
    last = 0
    for tok in tokens[1:]:
        if tok.startswith("qid:"):
            continue
        idx_text, sep, val_text = tok.partition(":")
        if not sep:
            return f"{tok!r} is not index:value"
        try:
            idx, val = int(idx_text), float(val_text)
        except ValueError:
            return f"{tok!r} is not index:value"
        if idx <= 0:
            return f"feature index {idx} in {tok!r}; LibSVM indices start at 1"
        if idx <= last:
            return f"feature index {idx} after {last}; indices must increase"
        if not math.isfinite(val):
            return f"feature {idx} has value {val_text!r} (NaN or infinite)"
        last = idx
    return None
