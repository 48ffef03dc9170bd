"""The scaling model: recorded task and kernel costs replayed through the farm's own policy on P ranks.

A discrete-event simulation of hsbench.svm.farm that drives the very
hsbench.svm.policy.Policy the farm uses: the same schedule (longest first; gamma by
gamma when the kernel slots cannot hold every gamma), the same items in hand per
rank, rank 0 computing too, kernel rows shared out to a node's idle ranks, and a fit
waiting for its gamma's kernel on its own node. Handing an item to an idle rank costs
`latency` (the round trip through the two sleep-polls); a queued item starts at once.
`mode="inline"` replays the farm before this one: rank 0 computed between dispatch
rounds, so a worker's result waited until rank 0 finished its own task.

Left out: ranks slowing each other down (shared memory bandwidth, caches: the costs
are replayed as recorded), MPI start-up, and rank 0's bookkeeping (journal, progress).
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from dataclasses import dataclass

from hsbench.svm.farm import DEPTH, INLINE_DEPTH, POLL_SECONDS
from hsbench.svm.grid import Grid
from hsbench.svm.kernels import BLOCK_ROWS
from hsbench.svm.policy import Fit, Item, Policy

LATENCY = POLL_SECONDS  # rank 0's sleep-poll, then the worker's: about half an interval each


@dataclass(frozen=True)
class Costs:
    """What one recorded run says each item costs on one rank."""

    grid: Grid
    n_rows: int
    task_seconds: tuple[float, ...]  # by task id
    kernel_seconds: tuple[float, ...]  # by gamma index: one whole kernel on one rank (0: no kernels)
    block_rows: int = BLOCK_ROWS

    def of(self, item: Item) -> float:
        if isinstance(item, Fit):
            return self.task_seconds[item.task]
        return self.kernel_seconds[item.gamma] * (item.stop - item.start) / self.n_rows

    @property
    def work_seconds(self) -> float:
        """Every task once and every kernel once: the serial work."""
        return sum(self.task_seconds) + sum(self.kernel_seconds)


@dataclass(frozen=True)
class Prediction:
    ranks: int
    ranks_per_node: int
    nodes: int
    makespan: float
    busy_seconds: float  # summed over ranks (kernels computed on several nodes count each time)
    work_seconds: float  # the serial work: every task and every kernel once
    kernels_computed: int
    tasks: int
    longest_task: float

    @property
    def bound(self) -> str:
        """The larger lower bound on the makespan: the longest task, or the work shared by all ranks."""
        return "longest task" if self.longest_task >= self.work_seconds / self.ranks else "work / ranks"


def simulate(costs: Costs, ranks: int, ranks_per_node: int, slots: int, *, mode: str = "thread",
             depth: int | None = None, latency: float = LATENCY) -> Prediction:
    """Makespan of the whole grid on `ranks` ranks, `ranks_per_node` to a node, `slots` kernels per node."""
    if ranks < 1 or ranks_per_node < 1:
        raise ValueError("ranks and ranks_per_node must be >= 1")
    grid = costs.grid
    node_of = [r // ranks_per_node for r in range(ranks)]
    order = grid.schedule(by_gamma=1 <= slots < len(grid.gamma))
    policy = Policy(grid, order, node_of, slots, costs.n_rows, costs.block_rows)
    depth = depth or (INLINE_DEPTH if mode == "inline" else DEPTH)
    inline = mode == "inline" and ranks > 1
    held: list[deque[Item]] = [deque() for _ in range(ranks)]
    heap: list[tuple[float, int, int]] = []  # (end time, tie-break, rank)
    seq = itertools.count()
    deferred: list[tuple[int, Item]] = []  # inline: results rank 0 has not looked at yet
    busy = 0.0

    def start(rank: int, t: float) -> None:
        heapq.heappush(heap, (t + costs.of(held[rank][0]), next(seq), rank))

    def refill(t: float) -> None:
        for rank, item in policy.hand_out([len(h) for h in held], depth):
            held[rank].append(item)
            if len(held[rank]) == 1:  # it was idle: the item starts after the hand-out
                start(rank, t if rank == 0 or ranks == 1 else t + latency)

    refill(0.0)
    t = 0.0
    while heap:
        t, _, rank = heapq.heappop(heap)
        item = held[rank].popleft()
        busy += costs.of(item)
        if held[rank]:
            start(rank, t)
        if inline and rank != 0 and held[0]:
            deferred.append((rank, item))  # rank 0 is inside its own task
            continue
        for r, it in deferred:
            policy.done(r, it)
        deferred.clear()
        policy.done(rank, item)
        refill(t)
    if not policy.finished:
        raise RuntimeError("simulation stalled with tasks left")
    return Prediction(ranks, ranks_per_node, max(node_of) + 1, t, busy, costs.work_seconds,
                      policy.kernels_started, len(order), max(costs.task_seconds, default=0.0))
