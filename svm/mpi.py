"""MPI task farm: dynamic scheduling in which every rank works.

Rank 0 holds the queue (longest task first) and computes from it too. Each
other rank is kept `_DEPTH` tasks ahead: it sends a finished record and rank 0,
at its next look between its own tasks, sends it the next queued task, so a
fast rank simply gets more tasks and nobody idles at the end. Rank 0 alone
journals and reports progress.

Why not a shared RMA counter (`mpi4py.util.sync.Counter`)? With MPICH
(ch4:ofi/ucx) a fetch-and-add on rank 0's window waits for rank 0 to enter
MPI, spinning a core meanwhile: while rank 0 is inside a libsvm fit the other
ranks stall. Measured: a `Counter.next()` took 2.0 s wall and 1.96 s CPU
while rank 0 slept 2 s. Point-to-point messages with a prefetch depth do not.

One process without mpiexec is the serial baseline: mpi4py is not even
imported. Any unexpected error on a rank aborts the whole job (MPI_Abort)
instead of leaving the others waiting forever.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from hsbench.svm.errors import InputError

# Set by mpiexec / srun launchers (MPICH/Hydra, Open MPI, PMIx, Slurm PMI).
_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")

_RECORD, _TASK, _STOP = 1, 2, 3
# Tasks queued at each worker rank. Rank 0 refills only between its own tasks, so a
# worker needs more than one task in hand to never wait: with 2, on Indian Pines 10%
# (seed grid, 2 ranks) rank 1 ran 103 of 250 tasks and the grid took 5.9 s; with 4,
# 126 of 250 and 5.1 s (8: no better). Longest-first order keeps the tail short.
_DEPTH = 4
_POLL_SECONDS = 0.002


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


def farm(
    tasks: Sequence[int],
    work: Callable[[int], dict],
    on_record: Callable[[dict], None],
    comm: Any | None = None,
) -> None:
    """Run `work` on every task id in `tasks` (handed out in that order) over all ranks.

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
    if comm.Get_rank() == 0:
        _dispatch_and_work(tasks, work, on_record, comm)
    else:
        _work(work, comm)


def _wait(comm: Any, source: int) -> Any:
    """Sleep-poll for the next message: MPICH's blocking receive spins a core,
    which on a machine with one core per rank would slow the ranks still working."""
    from mpi4py import MPI

    status = MPI.Status()
    while not comm.iprobe(source=source, tag=MPI.ANY_TAG, status=status):
        time.sleep(_POLL_SECONDS)
    return comm.recv(source=status.Get_source(), tag=status.Get_tag(), status=status), status


def _work(work: Callable[[int], dict], comm: Any) -> None:
    rank = comm.Get_rank()
    while True:
        task, status = _wait(comm, 0)
        if status.Get_tag() == _STOP:
            return
        comm.send({**work(task), "rank": rank}, dest=0, tag=_RECORD)


def _dispatch_and_work(tasks: Sequence[int], work: Callable[[int], dict],
                       on_record: Callable[[dict], None], comm: Any) -> None:
    from mpi4py import MPI

    queue = deque(tasks)
    outstanding = dict.fromkeys(range(1, comm.Get_size()), 0)

    def assign(worker: int) -> None:
        if queue:
            comm.send(queue.popleft(), dest=worker, tag=_TASK)
            outstanding[worker] += 1

    def collect(record: dict, worker: int) -> None:
        outstanding[worker] -= 1
        on_record(record)
        assign(worker)

    for _ in range(_DEPTH):
        for worker in outstanding:
            assign(worker)
    status = MPI.Status()
    try:
        while queue:
            while comm.iprobe(source=MPI.ANY_SOURCE, tag=_RECORD, status=status):
                collect(comm.recv(source=status.Get_source(), tag=_RECORD), status.Get_source())
            if queue:
                on_record({**work(queue.popleft()), "rank": 0})
        while any(outstanding.values()):
            record, status = _wait(comm, MPI.ANY_SOURCE)
            collect(record, status.Get_source())
    finally:
        for worker in outstanding:
            comm.send(None, dest=worker, tag=_STOP)
