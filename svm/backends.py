"""SVM backends behind one small interface.

A backend holds the training set and answers two questions:
  `fit_predict(train_idx, test_idx, gamma, C, kernel)`  one CV task on training rows
  `refit_predict(gamma, C, X_new)`              fit on all rows, predict new rows (if any)
each returning (predictions, fit_seconds, predict_seconds).

`sklearn` is libsvm through `SVC`; given a gamma's RBF kernel matrix (computed once
per gamma and node, hsbench.svm.kernels) it fits `SVC(kernel="precomputed")`, so the
kernel is reused for every C and fold while it fits the `--kernel-cache-mb` budget.
`thundersvm` is the CPU wheel or a CUDA build, whichever is installed.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import math
import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sklearn.svm import SVC

from hsbench.svm.errors import InputError
from hsbench.svm.kernels import kernel_bytes

BACKENDS = ("sklearn", "thundersvm")
# per node: two kernels of the all-pixel Indian Pines workload (10,249 rows, 840 MB each),
# one in use and the next being computed
DEFAULT_KERNEL_CACHE_MB = 2048

Outcome = tuple[np.ndarray, float, float]


class Backend(Protocol):
    name: str
    build: str  # "libsvm" | "cpu" | "gpu"
    X: np.ndarray  # the training rows

    def fit_predict(self, train_idx: np.ndarray, test_idx: np.ndarray, gamma: float, C: float,
                    kernel: np.ndarray | None = None) -> Outcome: ...

    def refit_predict(self, gamma: float, C: float, X_new: np.ndarray | None) -> Outcome: ...


class SklearnBackend:
    """libsvm via scikit-learn's SVC with SVC's default settings (the oracle's).

    With a kernel (`fit_predict(..., kernel=K)`, the full n x n RBF matrix of the task's
    gamma, from a hsbench.svm.kernels store) it fits `SVC(kernel="precomputed")` on the
    fold's rows and columns; without one, a plain RBF `SVC`. `kernel_cache_mb` is the
    budget for kernels on one node (one process serially; all ranks of a node under MPI).
    """

    name = "sklearn"
    build = "libsvm"

    def __init__(self, X: np.ndarray, y: np.ndarray, kernel_cache_mb: float = DEFAULT_KERNEL_CACHE_MB):
        if not math.isfinite(kernel_cache_mb) or kernel_cache_mb < 0:
            raise InputError(f"--kernel-cache-mb {kernel_cache_mb:g}: must be a number of MB >= 0 "
                             "(memory per node for RBF kernel matrices; 0: plain RBF fits)")
        self.X, self.y = X, y
        self.budget = int(kernel_cache_mb * 2**20)

    @property
    def kernel_cache(self) -> bool:
        """Whether one n x n kernel matrix fits the budget (else plain RBF fits)."""
        return self.kernel_slots >= 1

    @property
    def kernel_slots(self) -> int:
        """How many gammas' kernel matrices the node's budget holds at once."""
        return self.budget // kernel_bytes(self.X.shape[0])

    def fit_predict(self, train_idx: np.ndarray, test_idx: np.ndarray, gamma: float, C: float,
                    kernel: np.ndarray | None = None) -> Outcome:
        y_train = self.y[train_idx]
        if kernel is not None:
            t0 = time.perf_counter()
            model = SVC(kernel="precomputed", C=C).fit(kernel[np.ix_(train_idx, train_idx)], y_train)
            t1 = time.perf_counter()
            pred = model.predict(kernel[np.ix_(test_idx, train_idx)])
        else:
            t0 = time.perf_counter()
            model = SVC(kernel="rbf", gamma=gamma, C=C).fit(self.X[train_idx], y_train)
            t1 = time.perf_counter()
            pred = model.predict(self.X[test_idx])
        return pred, t1 - t0, time.perf_counter() - t1

    def refit_predict(self, gamma: float, C: float, X_new: np.ndarray | None) -> Outcome:
        t0 = time.perf_counter()
        model = SVC(kernel="rbf", gamma=gamma, C=C).fit(self.X, self.y)
        t1 = time.perf_counter()
        pred = model.predict(X_new) if X_new is not None else np.empty(0, dtype=np.int64)
        return pred, t1 - t0, time.perf_counter() - t1


@functools.cache  # reads the whole shared object: once per process
def thundersvm_build() -> str | None:
    """'cpu' (the thundersvm-cpu wheel), 'gpu' (a CUDA build) or None if not installed."""
    spec = importlib.util.find_spec("thundersvm")
    if spec is None:
        return None
    try:
        importlib.metadata.version("thundersvm-cpu")
        return "cpu"
    except importlib.metadata.PackageNotFoundError:
        pass
    if spec.origin is None:
        return "cpu"
    lib = Path(spec.origin).parent / "libthundersvm.so"
    # a CUDA build links libcudart; look for its name in the shared object
    return "gpu" if lib.is_file() and b"libcudart" in lib.read_bytes() else "cpu"


class ThunderBackend:
    """thundersvm, respecting its quirks.

    It wants dense float64 C-contiguous rows sorted by label and float labels
    (predictions come back as floats and are mapped to the int labels). Its
    models hold C++ state: never pickle them, only predictions leave here.
    """

    name = "thundersvm"

    def __init__(self, X: np.ndarray, y: np.ndarray, threads: int = -1, gpu_id: int = 0):
        build = thundersvm_build()
        if build is None:
            raise InputError(
                "--backend thundersvm: the thundersvm module is not installed "
                "(pip install 'hsbench[thundersvm-cpu]', or a CUDA build of thundersvm)"
            )
        self.build = build
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.y = y
        self.threads, self.gpu_id = threads, gpu_id

    def _fit(self, X: np.ndarray, y: np.ndarray, gamma: float, C: float) -> Any:
        from thundersvm import SVC as ThunderSVC

        order = np.argsort(y, kind="stable")
        model = ThunderSVC(kernel="rbf", gamma=gamma, C=C, n_jobs=self.threads, gpu_id=self.gpu_id)
        model.fit(np.ascontiguousarray(X[order]), y[order].astype(np.float64))
        return model

    def _predict(self, model: Any, X: np.ndarray) -> np.ndarray:
        return np.rint(model.predict(np.ascontiguousarray(X, dtype=np.float64))).astype(np.int64)

    def fit_predict(self, train_idx: np.ndarray, test_idx: np.ndarray, gamma: float, C: float,
                    kernel: np.ndarray | None = None) -> Outcome:
        t0 = time.perf_counter()  # thundersvm computes its own kernel: `kernel` is never given
        model = self._fit(self.X[train_idx], self.y[train_idx], gamma, C)
        t1 = time.perf_counter()
        pred = self._predict(model, self.X[test_idx])
        return pred, t1 - t0, time.perf_counter() - t1

    def refit_predict(self, gamma: float, C: float, X_new: np.ndarray | None) -> Outcome:
        t0 = time.perf_counter()
        model = self._fit(self.X, self.y, gamma, C)
        t1 = time.perf_counter()
        pred = self._predict(model, X_new) if X_new is not None else np.empty(0, dtype=np.int64)
        return pred, t1 - t0, time.perf_counter() - t1


def make_backend(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    *,
    threads: int = -1,
    kernel_cache_mb: float = DEFAULT_KERNEL_CACHE_MB,
    gpu_id: int = 0,
) -> Backend:
    if name == "sklearn":
        return SklearnBackend(X, y, kernel_cache_mb)
    if name == "thundersvm":
        return ThunderBackend(X, y, threads=threads, gpu_id=gpu_id)
    raise InputError(f"--backend {name!r}: unknown backend; choose one of {', '.join(BACKENDS)}")
