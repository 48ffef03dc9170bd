"""MPI task farm: every rank pulls task indices from one shared counter.

No idle master: rank 0 computes too and, between its own tasks, receives the
records the other ranks send (it alone journals and reports progress). The
counter is `mpi4py.util.sync.Counter` (an RMA fetch-and-add), so a rank that
drew a cheap task simply pulls the next one: dynamic load balancing.

One process without mpiexec is the serial baseline: mpi4py is not even
imported. Any unexpected error on a rank aborts the whole job (MPI_Abort)
instead of leaving the others waiting forever.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from typing import Any, Callable, Sequence

# Set by mpiexec / srun launchers (MPICH/Hydra, Open MPI, PMIx, Slurm PMI).
_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")

_RECORD, _DONE = 1, 2


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
    from mpi4py import MPI

    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        return node.Get_rank()
    finally:
        node.Free()


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


def farm(
    tasks: Sequence[int],
    work: Callable[[int], dict],
    on_record: Callable[[dict], None],
    comm: Any | None = None,
) -> None:
    """Run `work` on every task id in `tasks` (in that order of pulling) over all ranks.

    `on_record` is called on rank 0 only, once per finished task, in completion order,
    with the record's `rank` set to the rank that computed it.
    """
    if comm is None:
        for t in tasks:
            on_record({**work(t), "rank": 0})
        return
    abort_on_error(comm, lambda: _farm_mpi(tasks, work, on_record, comm))


def _farm_mpi(tasks: Sequence[int], work: Callable[[int], dict],
              on_record: Callable[[dict], None], comm: Any) -> None:
    from mpi4py import MPI
    from mpi4py.util.sync import Counter

    counter = Counter(0, comm=comm, typecode="q")
    rank, n = comm.Get_rank(), len(tasks)
    try:
        if rank != 0:
            while (i := counter.next()) < n:
                comm.send({**work(tasks[i]), "rank": rank}, dest=0, tag=_RECORD)
            comm.send(None, dest=0, tag=_DONE)
            return
        done = 0
        status = MPI.Status()

        def receive() -> None:
            nonlocal done
            msg = comm.recv(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=status)
            if status.Get_tag() == _DONE:
                done += 1
            else:
                on_record(msg)

        while (i := counter.next()) < n:
            while comm.iprobe(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG):
                receive()
            on_record({**work(tasks[i]), "rank": 0})
        while done < comm.Get_size() - 1:
            receive()
    finally:
        counter.free()
