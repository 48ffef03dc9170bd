"""MPI helpers: the world communicator, ranks and nodes, aborting all ranks, meeting after validation.

The task farm itself is hsbench.svm.farm. One process without mpiexec is the serial
baseline: mpi4py is not even imported. Any unexpected error on a rank aborts the
whole job (MPI_Abort) instead of leaving the others waiting forever.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from typing import Any

from hsbench.svm.errors import InputError

# Set by mpiexec / srun launchers (MPICH/Hydra, Open MPI, PMIx, Slurm PMI).
_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")


def world() -> Any | None:
    """COMM_WORLD when launched by an MPI launcher with more than one rank, else None."""
    if not any(v in os.environ for v in _LAUNCHER_VARS):
        return None
    from mpi4py import MPI

    return MPI.COMM_WORLD if MPI.COMM_WORLD.Get_size() > 1 else None


def rank_of(comm: Any | None) -> int:
    return comm.Get_rank() if comm is not None else 0


def size_of(comm: Any | None) -> int:
    return comm.Get_size() if comm is not None else 1


def local_rank(comm: Any | None) -> int:
    """Rank among the processes on this node (for one GPU per rank)."""
    if comm is None:
        return 0
    node = node_comm(comm)
    try:
        return int(node.Get_rank())
    finally:
        node.Free()


def node_comm(comm: Any) -> Any:
    """The communicator of this rank's node (ranks that can share memory); collective, free it after use."""
    from mpi4py import MPI

    return comm.Split_type(MPI.COMM_TYPE_SHARED)


def node_of_ranks(comm: Any | None, node: Any | None) -> list[int]:
    """Node index (0, 1, ...) of every rank, in rank order; collective over `comm`."""
    if comm is None or node is None:
        return [0]
    leaders = comm.allgather(node.bcast(comm.Get_rank(), root=0))  # world rank of each rank's node leader
    index = {leader: i for i, leader in enumerate(sorted(set(leaders)))}
    return [index[leader] for leader in leaders]


def gpu_count() -> int:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip()])
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


def abort_all(comm: Any) -> None:
    """Call inside an `except` block: print the error and abort every rank (MPI_Abort)."""
    print(f"rank {comm.Get_rank()}: unexpected error, aborting all ranks", file=sys.stderr)
    traceback.print_exc()
    sys.stderr.flush()
    comm.Abort(1)


def abort_on_error(comm: Any | None, fn: Callable[[], Any]) -> Any:
    """Run fn(); on an exception under MPI print it and abort every rank."""
    if comm is None:
        return fn()
    try:
        return fn()
    except BaseException:
        abort_all(comm)
        raise  # not reached


class Agreement:
    """One collective meeting of all ranks after input validation.

    Each rank calls `meet()` once: with its own input error, or with None when its
    input is good. A rank whose input was good learns of another rank's error and
    raises it, so every rank stops together instead of waiting forever.
    """

    def __init__(self, comm: Any | None):
        self.comm, self.done = comm, False

    def meet(self, error: Exception | None = None) -> None:
        if self.comm is None or self.done:
            return
        self.done = True
        errors = self.comm.allgather(None if error is None else str(error))
        failed = [(r, e) for r, e in enumerate(errors) if e]
        if failed and error is None:
            r, e = failed[0]
            raise InputError(f"rank {r}: {e}")
