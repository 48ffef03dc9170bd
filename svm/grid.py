"""The (gamma, C) grid, the cross-validation folds and the integer task ids.

Candidates are data (as scikit-learn's `ParameterGrid`): cell `k` is
`(gamma[k // len(C)], C[k % len(C)])` and task `t` is fold `t % n_folds` of
cell `t // n_folds`. Only integers travel between MPI ranks and into the journal.

Value syntax for `--gamma` / `--C`:
  `2,4,8`          an explicit list
  `2^-6:2^4`       powers of 2 from 2^-6 to 2^4, exponent step 1
  `1e0:1e5`        powers of 10 from 10^0 to 10^5, exponent step 1
Both forms may be mixed with commas: `0.5,2^0:2^3`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

from hsbench.svm.errors import InputError

SEED_GRID: dict[str, tuple[float, ...]] = {
    "gamma": (2.0, 4.0, 8.0, 16.0, 32.0),
    "C": (1.0, 10.0, 100.0, 1000.0, 10000.0),
}
WIDE_GRID: dict[str, tuple[float, ...]] = {
    "gamma": tuple(2.0**k for k in range(-6, 5)),
    "C": tuple(10.0**k for k in range(0, 6)),
}
PRESETS: dict[str, dict[str, tuple[float, ...]]] = {"seed": SEED_GRID, "wide": WIDE_GRID}

_POWER = re.compile(r"^\s*(?:(\d+(?:\.\d*)?)\^([+-]?\d+)|1e([+-]?\d+))\s*$", re.IGNORECASE)


def parse_values(text: str, option: str) -> tuple[float, ...]:
    """Parse a list / log range (module docstring) into sorted unique positive floats."""
    values: list[float] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise InputError(f"{option} {text!r}: empty entry")
        if ":" in part:
            values.extend(_log_range(part, option))
            continue
        try:
            values.append(_number(part))
        except ValueError:
            raise InputError(
                f"{option} {text!r}: {part!r} is not a number, b^k or lo:hi range"
            ) from None
    check_positive(values, option)
    return tuple(sorted(set(values)))


def check_positive(values: Sequence[float], option: str) -> None:
    bad = [v for v in values if not np.isfinite(v) or v <= 0]
    if bad or not values:
        raise InputError(f"{option}: values must be finite and > 0, got {list(values) or 'none'}")


def _number(text: str) -> float:
    m = _POWER.match(text)
    if m and m.group(1):
        return float(m.group(1)) ** int(m.group(2))
    return float(text)


def _log_range(part: str, option: str) -> list[float]:
    lo_text, _, hi_text = part.partition(":")
    lo, hi = _POWER.match(lo_text), _POWER.match(hi_text)
    if not (lo and hi):
        raise InputError(
            f"{option} {part!r}: a range is lo:hi with both ends as b^k (2^-6:2^4) or 1eK (1e0:1e5)"
        )
    base_lo, k_lo = (float(lo.group(1)), int(lo.group(2))) if lo.group(1) else (10.0, int(lo.group(3)))
    base_hi, k_hi = (float(hi.group(1)), int(hi.group(2))) if hi.group(1) else (10.0, int(hi.group(3)))
    if base_lo != base_hi or k_hi < k_lo:
        raise InputError(f"{option} {part!r}: both ends need the same base and lo <= hi")
    return [base_lo**k for k in range(k_lo, k_hi + 1)]


@dataclass(frozen=True)
class Grid:
    """gamma x C cells (row-major: gamma rows, C columns) times `n_folds` folds."""

    gamma: tuple[float, ...]
    C: tuple[float, ...]
    n_folds: int

    def __post_init__(self) -> None:
        check_positive(self.gamma, "--gamma")
        check_positive(self.C, "--C")

    @property
    def n_cells(self) -> int:
        return len(self.gamma) * len(self.C)

    @property
    def n_tasks(self) -> int:
        return self.n_cells * self.n_folds

    def cell(self, k: int) -> tuple[float, float]:
        """(gamma, C) of cell k."""
        return self.gamma[k // len(self.C)], self.C[k % len(self.C)]

    def task(self, t: int) -> tuple[int, int]:
        """(cell, fold) of task t."""
        return divmod(t, self.n_folds)

    def schedule(self, by_gamma: bool = False) -> list[int]:
        """All task ids, longest expected first: large C, then large gamma, are slow.

        Dynamic pulling in this order leaves only the short tasks for the end,
        so no rank idles while another finishes a 10x more expensive cell.
        `by_gamma` keeps each gamma's tasks together (longest first within it):
        for a kernel cache too small to hold every gamma's kernel, which the
        C-major order would otherwise recompute for almost every task.
        """
        def cost(t: int) -> tuple[float, ...]:
            gamma, C = self.cell(self.task(t)[0])
            return (-np.log(gamma), -np.log(C), t) if by_gamma else (-np.log(C), -np.log(gamma), t)

        return sorted(range(self.n_tasks), key=cost)

    def to_dict(self) -> dict:
        return {"gamma": list(self.gamma), "C": list(self.C)}


def make_folds(y: np.ndarray, n_folds: int, seed: int, source: str = "training file") -> np.ndarray:
    """Fold index of every row: StratifiedKFold(shuffle=True, random_state=seed).

    Classes with fewer members than folds are allowed (some folds miss them);
    one warning lists them with their counts.
    """
    n = len(y)
    if n_folds < 2 or n_folds > n:
        raise InputError(f"--folds {n_folds}: needs 2 <= folds <= {n} (the rows in the {source})")
    labels, counts = np.unique(y, return_counts=True)
    small = {int(lab): int(c) for lab, c in zip(labels, counts, strict=True) if c < n_folds}
    if small:
        warnings.warn(
            f"{len(small)} classes have fewer members than the {n_folds} folds "
            f"(class: count {small}); some folds will not contain them",
            UserWarning,
            stacklevel=2,
        )
    folds = np.empty(n, dtype=np.int64)
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # we warned above, once, with the counts; sklearn's own warning says less
        warnings.simplefilter("ignore", UserWarning)
        for i, (_, test) in enumerate(skf.split(np.zeros((n, 1)), y)):
            folds[test] = i
    return folds


def fold_rows(folds: np.ndarray, fold: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) row indices of one fold; `exclude[fold]` marks rows left out of its training
    (the buffer of spatial folds, hsbench.svm.folds)."""
    train = folds != fold
    if exclude is not None:
        train &= ~exclude[fold]
    return np.flatnonzero(train), np.flatnonzero(folds == fold)


def fold_splits(folds: np.ndarray, n_folds: int,
                exclude: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays per fold, as a `cv=` list for scikit-learn."""
    return [fold_rows(folds, i, exclude) for i in range(n_folds)]
