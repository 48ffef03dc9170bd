"""RBF kernel matrices, one per gamma, held in *slots*: private memory serially, node-shared under MPI.

A kernel is computed in fixed blocks of `BLOCK_ROWS` rows (`rbf_rows`). The blocks
depend on the row count only, never on the number of ranks, so every block is the
same bytes whichever rank computes it: a kernel built by two ranks equals the serial
one bit for bit, and so do the fits that read it. (Fixed blocks matter: BLAS rounds
a row differently in a 3-row product than in a 512-row one, by 1 ulp here and there.)

`SharedStore` is one window per node (`MPI.Win.Allocate_shared` on the node's
`COMM_TYPE_SHARED` communicator), allocated by the node's first rank; every rank
of the node maps it and reads it in place. Which gamma lives in which slot is the
scheduling policy's business (hsbench.svm.policy), not the store's.
"""

from __future__ import annotations

import time
from typing import Any, Protocol, cast

import numpy as np

# ~1 GFLOP per block at 10,000 rows x 200 features: long enough that handing a block
# to a rank costs little, short enough that a node's ranks share a kernel evenly
BLOCK_ROWS = 512


def kernel_bytes(n: int) -> int:
    """Memory of one n x n float64 kernel matrix."""
    return n * n * 8


def row_blocks(n: int, block_rows: int = BLOCK_ROWS) -> list[tuple[int, int]]:
    """The [start, stop) row ranges a kernel of n rows is computed in."""
    return [(a, min(a + block_rows, n)) for a in range(0, n, block_rows)]


def rbf_rows(X: np.ndarray, sq_norms: np.ndarray, gamma: float, start: int, stop: int, out: np.ndarray) -> None:
    """Rows start:stop of exp(-gamma * ||x_i - x_j||^2) into `out` (stop - start, n), C-contiguous.

    The arithmetic of scikit-learn's `rbf_kernel` (squared norms minus twice the Gram
    matrix, clipped at 0, exact zeros on the diagonal), written in place: no n x n temporary.
    """
    np.dot(X[start:stop], X.T, out=out)
    out *= -2.0
    out += sq_norms[start:stop, None]
    out += sq_norms[None, :]
    np.maximum(out, 0.0, out=out)
    rows = np.arange(start, stop)
    out[rows - start, rows] = 0.0  # a row's distance to itself (rbf_kernel does this when X is Y)
    out *= -gamma
    np.exp(out, out=out)


class KernelStore(Protocol):
    n: int
    slots: int
    shared_bytes: int  # node-shared memory reserved (0 for private slots)

    def compute(self, slot: int, gamma: float, start: int, stop: int) -> float: ...

    def view(self, slot: int) -> np.ndarray: ...

    def close(self) -> None: ...


class _Rows:
    """What both stores share: the training rows and their squared norms."""

    def __init__(self, X: np.ndarray, slots: int):
        self.X = X
        self.n = X.shape[0]
        self.slots = slots
        self.sq_norms = np.einsum("ij,ij->i", X, X)

    def _fill(self, K: np.ndarray, gamma: float, start: int, stop: int) -> float:
        t0 = time.perf_counter()
        rbf_rows(self.X, self.sq_norms, gamma, start, stop, K[start:stop])
        return time.perf_counter() - t0


class LocalStore(_Rows):
    """Private slots for one process (the serial grid); a slot's memory is taken on first use."""

    shared_bytes = 0

    def __init__(self, X: np.ndarray, slots: int):
        super().__init__(X, slots)
        self._K: list[np.ndarray | None] = [None] * slots

    def view(self, slot: int) -> np.ndarray:
        K = self._K[slot]
        if K is None:
            K = self._K[slot] = np.empty((self.n, self.n))
        return K

    def compute(self, slot: int, gamma: float, start: int, stop: int) -> float:
        """Compute rows start:stop of gamma's kernel into `slot`; return the seconds it took."""
        return self._fill(self.view(slot), gamma, start, stop)

    def close(self) -> None:
        self._K = [None] * self.slots


class SharedStore(_Rows):
    """Slots in one node-shared window; collective over the node's ranks (create and close)."""

    def __init__(self, X: np.ndarray, slots: int, node_comm: Any):
        from mpi4py import MPI

        super().__init__(X, slots)
        self.shared_bytes = slots * kernel_bytes(self.n)
        size = self.shared_bytes if node_comm.Get_rank() == 0 else 0
        self.win = MPI.Win.Allocate_shared(size, 8, comm=node_comm)
        buf, _ = self.win.Shared_query(0)
        # mpi4py's buffer supports the buffer protocol; its stubs do not say so
        self._K = np.ndarray(buffer=cast(Any, buf), dtype=np.float64, shape=(slots, self.n, self.n))
        # one passive epoch for the whole grid: Sync is then the memory barrier around each use
        self.win.Lock_all(MPI.MODE_NOCHECK)

    def view(self, slot: int) -> np.ndarray:
        self.win.Sync()  # see the rows other ranks wrote (they synced before reporting them)
        return self._K[slot]

    def compute(self, slot: int, gamma: float, start: int, stop: int) -> float:
        seconds = self._fill(self._K[slot], gamma, start, stop)
        self.win.Sync()
        return seconds

    def close(self) -> None:
        self._K = None  # type: ignore[assignment]  # drop the numpy view before freeing the memory
        self.win.Unlock_all()
        self.win.Free()
