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

from svm.errors import InputError


@dataclass(frozen=True)
class LibsvmData:
    """A dense LibSVM data set: float64 C-contiguous features, integer labels."""

    path: Path
    X: np.ndarray
    y: np.ndarray

    @property
    def classes(self) -> list[int]:
        return sorted(int(c) for c in np.unique(self.y))


def load(path: str | os.PathLike, n_features: int | None = None) -> LibsvmData:
    """Read one LibSVM file (1-based indices) into dense arrays, or raise InputError.

    `n_features` pads the columns (a test file may use fewer features than the
    training file); a file with more features than that is refused.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        X, y = load_svmlight_file(str(path), zero_based=False, dtype=np.float64)
    except ValueError as exc:
        raise InputError(_find_fault(path) or f"{path}: not a LibSVM file ({exc})") from None
    if X.shape[0] == 0:
        raise InputError(f"{path}: empty file (no LibSVM rows)")
    if not np.all(np.isfinite(X.data)):
        raise InputError(_find_fault(path) or f"{path}: NaN or infinite feature value")
    if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
        raise InputError(_find_fault(path) or f"{path}: labels must be integers")
    if n_features is not None:
        if X.shape[1] > n_features:
            raise InputError(
                f"{path}: uses feature index {X.shape[1]} but the training file has "
                f"only {n_features} features"
            )
        X.resize((X.shape[0], n_features))
    dense = np.ascontiguousarray(X.toarray(), dtype=np.float64)
    return LibsvmData(path=path, X=dense, y=y.astype(np.int64))


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
