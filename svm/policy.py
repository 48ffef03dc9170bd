"""The task farm's policy: which item each rank gets next.

Pure (no MPI, no clock), so that the farm (hsbench.svm.farm) and the scaling model
(hsbench.svm.simulate) run the very same rules. Two kinds of item:

  Fit(task, slot)                       one (gamma, C, fold) task, reading its gamma's kernel
                                        from `slot` of the rank's node (None: a plain RBF fit)
  KernelRows(gamma, slot, start, stop)  rows of gamma's kernel, computed into a slot of the node

Rules:
- Every idle rank gets an item first; then a rank may get a second one queued behind
  the one it runs (rank 0, which dispatches, never), but only while at least as many
  tasks are pending as there are ranks: near the end a queued task would wait behind a
  long one while another rank idles (modelled: 128 ranks on 250 tasks took 2.4 s with
  every rank holding two, where the longest task is 1.3 s).
- Fits go out in the schedule's order (longest first). A rank gets the earliest pending
  task whose gamma's kernel is ready on its node, so a node works through the gammas it
  holds while its ranks stay busy.
- Kernel rows go only to an idle rank (nothing in hand): a rank inside a long fit never
  holds up a kernel its node waits for. A kernel's blocks are shared out block by block.
- A node starts a kernel when one of its ranks is idle with nothing to fit and a slot is
  free: holding a gamma with no task left to hand out and none in flight on the node
  (reused first, so memory stays at the kernels in use), or empty. Which gamma: most
  pending tasks per node already holding it, ties to the earlier in the schedule. One
  node therefore goes gamma by gamma (one kernel in use, the next being computed);
  several nodes spread over the gammas before they share one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from hsbench.svm.grid import Grid
from hsbench.svm.kernels import BLOCK_ROWS, row_blocks


@dataclass(frozen=True)
class Fit:
    task: int
    slot: int | None = None


@dataclass(frozen=True)
class KernelRows:
    gamma: int  # index into grid.gamma
    slot: int
    start: int
    stop: int


Item = Fit | KernelRows


@dataclass
class _Slot:
    gamma: int | None = None
    todo: deque[tuple[int, int]] = field(default_factory=deque)  # row blocks not handed out
    out: int = 0  # blocks handed out, not finished
    users: int = 0  # fits handed out that read this slot, not finished

    @property
    def ready(self) -> bool:
        return self.gamma is not None and not self.todo and self.out == 0


class Policy:
    """Hands out the tasks in `order` (task ids, schedule order) to ranks on nodes `node_of[rank]`.

    `slots` kernel slots per node (0: no kernels, plain fits in `order`).
    """

    def __init__(self, grid: Grid, order: Sequence[int], node_of: Sequence[int], slots: int, n_rows: int,
                 block_rows: int = BLOCK_ROWS):
        self.grid = grid
        self.node_of = list(node_of)
        self.slots = slots
        self.remaining = len(order)
        self.pending = len(order)  # fits not handed out yet
        self.kernels_started = 0
        self._pos = {t: i for i, t in enumerate(order)}
        self._plain = deque(order)
        n_gamma = len(grid.gamma)
        self._pending: list[deque[int]] = [deque() for _ in range(n_gamma)]
        for t in order:
            self._pending[self.gamma_of(t)].append(t)
        self._holders = [0] * n_gamma  # nodes holding each gamma (computing or ready)
        n_nodes = max(self.node_of) + 1 if self.node_of else 1
        self._nodes = [[_Slot() for _ in range(slots)] for _ in range(n_nodes)]
        self._blocks = row_blocks(n_rows, block_rows)

    def gamma_of(self, task: int) -> int:
        return self.grid.task(task)[0] // len(self.grid.C)

    @property
    def finished(self) -> bool:
        return self.remaining == 0

    def hand_out(self, held: Sequence[int], depth: int) -> list[tuple[int, Item]]:
        """(rank, item) to send now, given how many items each rank holds (rules above)."""
        count = list(held)
        out = []
        for rank, n in enumerate(count):
            if n == 0 and (item := self.next_item(rank, idle=True)) is not None:
                out.append((rank, item))
                count[rank] = 1
        for rank in range(1, len(count)):
            while count[rank] < depth and self.pending >= len(count):
                item = self.next_item(rank, idle=False)
                if item is None:
                    break
                out.append((rank, item))
                count[rank] += 1
        return out

    def next_item(self, rank: int, idle: bool) -> Item | None:
        """The next item for `rank` (`idle`: it has nothing in hand), or None: nothing for it now."""
        item = self._next(rank, idle)
        if isinstance(item, Fit):
            self.pending -= 1
        return item

    def _next(self, rank: int, idle: bool) -> Item | None:
        if not self.slots:
            return Fit(self._plain.popleft()) if self._plain else None
        node_id = self.node_of[rank]
        node = self._nodes[node_id]
        ready = [(self._pos[self._pending[sl.gamma][0]], s) for s, sl in enumerate(node)
                 if sl.ready and sl.gamma is not None and self._pending[sl.gamma]]
        if ready:
            s = min(ready)[1]
            node[s].users += 1
            return Fit(self._pending[node[s].gamma].popleft(), s)  # type: ignore[index]
        if not idle:
            return None
        for s, sl in enumerate(node):
            if sl.todo:  # a kernel of this node still has rows to compute
                return self._rows(sl, s)
        gamma = self._next_gamma(node)
        # a finished gamma's slot before an empty one: its pages are in memory already, so the
        # node's memory stays at the kernels it is working with, whatever the budget allows
        free = [s for s, sl in enumerate(node)
                if sl.ready and sl.users == 0 and sl.gamma is not None and not self._pending[sl.gamma]] or [
            s for s, sl in enumerate(node) if sl.gamma is None]
        if gamma is None or not free:
            return None
        sl = node[free[0]]
        if sl.gamma is not None:
            self._holders[sl.gamma] -= 1
        sl.gamma, sl.todo = gamma, deque(self._blocks)
        self._holders[gamma] += 1
        self.kernels_started += 1
        return self._rows(sl, free[0])

    def _rows(self, sl: _Slot, s: int) -> KernelRows:
        start, stop = sl.todo.popleft()
        sl.out += 1
        assert sl.gamma is not None
        return KernelRows(sl.gamma, s, start, stop)

    def _next_gamma(self, node: list[_Slot]) -> int | None:
        held = {sl.gamma for sl in node}
        best: tuple[float, int, int] | None = None
        for g, pending in enumerate(self._pending):
            if g in held or not pending:
                continue
            key = (-len(pending) / (self._holders[g] + 1), self._pos[pending[0]], g)
            best = key if best is None or key < best else best
        return None if best is None else best[2]

    def done(self, rank: int, item: Item) -> None:
        """`rank` finished `item`."""
        if isinstance(item, Fit):
            self.remaining -= 1
            if item.slot is not None:
                self._nodes[self.node_of[rank]][item.slot].users -= 1
        else:
            self._nodes[self.node_of[rank]][item.slot].out -= 1
