"""MPI task farm in which every rank works, driven by the policy of hsbench.svm.policy.

Rank 0 holds the policy. Its main thread dispatches; its own share of the work runs
in a second thread. libsvm's fit and predict release the GIL (measured: a thread
sleeping 1 ms kept a 1.08 ms median cadence through a 1 s fit), so rank 0 answers a
worker within one poll interval even while it is inside a long fit. The farm before
this refilled the workers only between rank 0's own tasks: a worker holding a few
short tasks ran dry while rank 0 sat in a long one (Indian Pines 50%, seed grid, 2
ranks: 1.73x where the hardware allows ~2x). With rank 0 always listening, two items
in hand per rank (one running, one queued) are enough, and the few queued items leave
the end of the grid free to balance.

Why not a shared RMA counter (`mpi4py.util.sync.Counter`)? With MPICH (ch4:ofi/ucx)
a fetch-and-add on rank 0's window waits for rank 0 to enter MPI, spinning a core
meanwhile. Measured: a `Counter.next()` took 2.0 s wall and 1.96 s CPU while rank 0
slept 2 s. Point-to-point messages do not, and blocking receives are replaced by a
sleep-poll for the same reason (MPICH's blocking receive spins a core).

The thread needs MPI_THREAD_MULTIPLE (it syncs the kernel window). Below that level,
or with HSBENCH_FARM_ROOT=inline (kept to measure the difference), rank 0 computes
between its dispatch rounds with four items queued per worker, as the old farm did.
One process without mpiexec is a plain loop over the same policy.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from hsbench.svm.mpi import abort_on_error
from hsbench.svm.policy import Item, Policy

_RECORD, _TASK, _STOP = 1, 2, 3
DEPTH = 2  # items in hand per worker rank with a listening rank 0 (rank 0 holds one)
INLINE_DEPTH = 4  # rank 0 computing between dispatch rounds needs deeper worker queues
POLL_SECONDS = 0.002
ROOT_ENV = "HSBENCH_FARM_ROOT"  # "thread" (default) or "inline"

Work = Callable[[Item], dict]


def root_mode(comm: Any | None) -> str:
    """How rank 0 computes: "thread" (listening while it fits) or "inline" (between dispatch rounds)."""
    if comm is None:
        return "serial"
    from mpi4py import MPI

    wanted = os.environ.get(ROOT_ENV, "thread")
    return "thread" if wanted != "inline" and MPI.Query_thread() >= MPI.THREAD_MULTIPLE else "inline"


def farm(policy: Policy, work: Work, on_record: Callable[[dict], None], comm: Any | None = None) -> None:
    """Run every item the policy hands out; `on_record` (rank 0 only) gets each result in
    completion order with `rank` set to the rank that computed it."""
    if comm is None:
        while not policy.finished:
            item = policy.next_item(0, idle=True)
            if item is None:
                raise RuntimeError("the farm's policy has tasks left but nothing to hand out")
            record = work(item)
            policy.done(0, item)
            on_record({**record, "rank": 0})
        return
    if comm.Get_rank() == 0:
        abort_on_error(comm, lambda: _dispatch(policy, work, on_record, comm, root_mode(comm)))
    else:
        abort_on_error(comm, lambda: _serve(work, comm))


def _wait(comm: Any, source: int) -> tuple[Any, Any]:
    """Sleep-poll for the next message (a blocking receive would spin a core)."""
    from mpi4py import MPI

    status = MPI.Status()
    while not comm.iprobe(source=source, tag=MPI.ANY_TAG, status=status):
        time.sleep(POLL_SECONDS)
    return comm.recv(source=status.Get_source(), tag=status.Get_tag(), status=status), status


def _serve(work: Work, comm: Any) -> None:
    while True:
        item, status = _wait(comm, 0)
        if status.Get_tag() == _STOP:
            return
        comm.send(work(item), dest=0, tag=_RECORD)


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


class _RootWork:
    """Rank 0's own share: in a thread, or run one item at a time from the dispatch loop (inline)."""

    def __init__(self, work: Work, threaded: bool):
        self.work = work
        self.todo: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self.results: queue.SimpleQueue[dict | _Failed] = queue.SimpleQueue()
        self.inline: deque[Item] = deque()
        self.thread = threading.Thread(target=self._run, name="hsbench-rank0-work", daemon=True) if threaded else None
        if self.thread:
            self.thread.start()

    def _run(self) -> None:
        while (item := self.todo.get()) is not None:
            try:
                self.results.put(self.work(item))
            except BaseException as exc:  # handed to the dispatcher, which aborts every rank
                self.results.put(_Failed(exc))
                return

    def submit(self, item: Item) -> None:
        if self.thread:
            self.todo.put(item)
        else:
            self.inline.append(item)

    def poll(self, timeout: float) -> dict | None:
        """A finished result of rank 0 (threaded: waiting up to `timeout`; inline: computing one now)."""
        if not self.thread:
            if self.inline:
                return self.work(self.inline.popleft())
            time.sleep(timeout)
            return None
        try:
            result = self.results.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(result, _Failed):
            raise result.exc
        return result

    def close(self) -> None:
        if self.thread:
            self.todo.put(None)


def _dispatch(policy: Policy, work: Work, on_record: Callable[[dict], None], comm: Any, mode: str) -> None:
    from mpi4py import MPI

    size = comm.Get_size()
    depth = DEPTH if mode == "thread" else INLINE_DEPTH
    held: list[deque[Item]] = [deque() for _ in range(size)]  # items sent to each rank, in order
    own = _RootWork(work, threaded=mode == "thread")

    def refill() -> None:
        for rank, item in policy.hand_out([len(h) for h in held], depth):
            held[rank].append(item)
            if rank == 0:
                own.submit(item)
            else:
                comm.send(item, dest=rank, tag=_TASK)

    def finished(rank: int, record: dict) -> None:
        policy.done(rank, held[rank].popleft())
        refill()  # the next item goes out before the bookkeeping (a journal line is an fsync)
        on_record({**record, "rank": rank})

    status = MPI.Status()
    try:
        refill()
        while any(held):
            heard = False
            while comm.iprobe(source=MPI.ANY_SOURCE, tag=_RECORD, status=status):
                source = status.Get_source()
                finished(source, comm.recv(source=source, tag=_RECORD))
                heard = True
            record = own.poll(0.0 if heard else POLL_SECONDS)
            if record is not None:
                finished(0, record)
        if not policy.finished:
            raise RuntimeError("the farm's policy has tasks left but nothing to hand out")
    finally:
        own.close()
        for rank in range(1, size):
            comm.send(None, dest=rank, tag=_STOP)
