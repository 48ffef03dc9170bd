"""Pixel features for the SVM: all bands (`raw`) or `pca:N`, then min-max scaling.

Everything is fitted on the training pixels only and applied to the test
pixels, as svm-scale does with a saved range file: test values may fall
slightly outside [0, 1].
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler

from hsbench.errors import InputError


def parse_features(spec: str, n_bands: int) -> int | None:
    """Return None for `raw`, N for `pca:N`; raise InputError for anything else."""
    if spec == "raw":
        return None
    if spec.startswith("pca:"):
        try:
            n = int(spec[4:])
        except ValueError:
            raise InputError(f"--features pca:N needs an integer N, got {spec!r}") from None
        if not 1 <= n <= n_bands:
            raise InputError(f"--features {spec}: N must be between 1 and the band count {n_bands}")
        return n
    raise InputError(f"--features must be 'raw' or 'pca:N', got {spec!r}")


def make_features(
    train_spectra: np.ndarray, test_spectra: np.ndarray, n_components: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Fit (PCA and) min-max scaling on training spectra; return scaled train and test."""
    x_train = np.asarray(train_spectra, np.float64)
    x_test = np.asarray(test_spectra, np.float64)
    steps = []
    if n_components is not None:
        # full SVD: deterministic, so re-running prepare gives byte-identical files
        steps.append(PCA(n_components=n_components, svd_solver="full"))
    steps.append(MinMaxScaler())
    for step in steps:
        x_train = step.fit(x_train).transform(x_train)
        # no test rows (an `all` split): sklearn refuses to transform an empty array
        x_test = step.transform(x_test) if len(x_test) else np.empty((0, x_train.shape[1]))
    return x_train, x_test
