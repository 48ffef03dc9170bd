"""The farm's policy, the kernel blocks and the scaling model (pure: no MPI)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.metrics.pairwise import rbf_kernel

from hsbench.svm.grid import Grid
from hsbench.svm.kernels import LocalStore, rbf_rows, row_blocks
from hsbench.svm.policy import Fit, KernelRows, Policy
from hsbench.svm.simulate import Costs, simulate
from tests.svm_fixtures import synthetic

GRID = Grid(gamma=(0.5, 1.0, 2.0, 4.0), C=(1.0, 10.0, 100.0), n_folds=3)


def test_kernel_rows_match_sklearn_and_do_not_depend_on_who_computes_them():
    X, _ = synthetic(700, n_features=6)
    store = LocalStore(X, slots=2)
    for a, b in row_blocks(700):  # in order into slot 0, in reverse into slot 1
        store.compute(0, 0.7, a, b)
    for a, b in reversed(row_blocks(700)):
        store.compute(1, 0.7, a, b)
    np.testing.assert_array_equal(store.view(0), store.view(1))
    np.testing.assert_allclose(store.view(0), rbf_kernel(X, gamma=0.7), rtol=0, atol=1e-13)
    assert (np.diag(store.view(0)) == 1.0).all()
    out = np.empty((188, 700))  # the last block on its own: the same bytes
    rbf_rows(X, np.einsum("ij,ij->i", X, X), 0.7, 512, 700, out)
    np.testing.assert_array_equal(out, store.view(0)[512:])


def drive(policy: Policy, ranks: int, depth: int, seed: int, n_rows: int) -> list[tuple[int, object]]:
    """Run the policy to the end with results coming back in a random order; check its promises."""
    rng = random.Random(seed)
    held: list[list] = [[] for _ in range(ranks)]
    done_rows: dict[tuple[int, int], set] = {}  # (node, slot) -> finished row blocks of its current gamma
    gamma_in: dict[tuple[int, int], int] = {}
    log = []
    while True:
        for r, item in policy.hand_out([len(h) for h in held], depth):
            idle = not held[r]
            assert r != 0 or idle, "rank 0 holds one item at a time"
            key = (policy.node_of[r], getattr(item, "slot", None))
            if isinstance(item, KernelRows):
                assert idle, "kernel rows went to a busy rank"
                if gamma_in.get(key) != item.gamma:
                    gamma_in[key], done_rows[key] = item.gamma, set()
            elif item.slot is not None:  # its gamma's kernel is complete on the rank's node
                assert gamma_in[key] == policy.gamma_of(item.task)
                assert len(done_rows[key]) == len(row_blocks(n_rows))
            held[r].append(item)
            log.append((r, item))
        busy = [r for r in range(ranks) if held[r]]
        if not busy:
            break
        r = rng.choice(busy)
        item = held[r].pop(0)
        if isinstance(item, KernelRows):
            done_rows[(policy.node_of[r], item.slot)].add((item.start, item.stop))
        policy.done(r, item)
    assert policy.finished
    return log


@pytest.mark.parametrize("slots", [1, 2, 4])
@pytest.mark.parametrize("seed", range(5))
def test_one_node_computes_each_kernel_once_and_hands_out_every_task_once(slots, seed):
    order = GRID.schedule(by_gamma=slots < len(GRID.gamma))
    policy = Policy(GRID, order, node_of=[0, 0, 0], slots=slots, n_rows=1100)
    log = drive(policy, ranks=3, depth=2, seed=seed, n_rows=1100)
    fits = [item.task for _, item in log if isinstance(item, Fit)]
    assert sorted(fits) == list(range(GRID.n_tasks))
    assert policy.kernels_started == len(GRID.gamma)  # one node: no gamma twice
    rows = [item for _, item in log if isinstance(item, KernelRows)]
    assert len(rows) == len(GRID.gamma) * 3  # 1100 rows: three blocks of at most 512
    if slots < len(GRID.gamma):  # gamma by gamma: a node starts a kernel only as its gammas run out
        starts = [item.gamma for item in rows if item.start == 0]
        assert starts == [policy.gamma_of(t) for t in dict.fromkeys(order)][:: GRID.n_folds * len(GRID.C)]


def test_a_second_item_is_queued_only_while_tasks_outnumber_ranks():
    grid = Grid(gamma=(1.0,), C=(1.0, 10.0), n_folds=3)  # six tasks
    policy = Policy(grid, grid.schedule(), node_of=[0] * 4, slots=0, n_rows=10)
    first = policy.hand_out([0, 0, 0, 0], depth=2)
    assert [r for r, _ in first] == [0, 1, 2, 3]  # one each; two pending < four ranks: none queued
    policy = Policy(grid, grid.schedule(), node_of=[0] * 2, slots=0, n_rows=10)
    assert [r for r, _ in policy.hand_out([0, 0], depth=2)] == [0, 1, 1]  # rank 0 never queues


def test_without_kernels_tasks_go_out_in_schedule_order():
    order = GRID.schedule()
    policy = Policy(GRID, order, node_of=[0, 0], slots=0, n_rows=100)
    log = drive(policy, ranks=2, depth=2, seed=0, n_rows=100)
    assert [item.task for _, item in log] == order and all(item.slot is None for _, item in log)


def test_nodes_spread_over_the_gammas_before_sharing_one():
    order = GRID.schedule(by_gamma=True)
    policy = Policy(GRID, order, node_of=[0, 1, 2], slots=1, n_rows=100)
    first = [policy.next_item(r, idle=True) for r in range(3)]
    assert all(isinstance(item, KernelRows) for item in first)
    assert len({item.gamma for item in first}) == 3
    policy = Policy(GRID, order, node_of=[0, 1, 2], slots=1, n_rows=100)
    log = drive(policy, ranks=3, depth=2, seed=1, n_rows=100)
    assert sorted(item.task for _, item in log if isinstance(item, Fit)) == list(range(GRID.n_tasks))


def _costs(task_seconds: list[float], kernel: float = 0.0, n_rows: int = 100) -> Costs:
    return Costs(GRID, n_rows, tuple(task_seconds), (kernel,) * len(GRID.gamma))


def test_simulation_of_one_rank_is_the_serial_work_and_more_ranks_share_it():
    rng = np.random.default_rng(0)
    costs = _costs(list(rng.uniform(0.5, 2.0, GRID.n_tasks)), kernel=0.3)
    one = simulate(costs, 1, 1, slots=2)
    assert one.makespan == pytest.approx(costs.work_seconds)
    two = simulate(costs, 2, 2, slots=2)
    assert costs.work_seconds / 2 <= two.makespan <= costs.work_seconds / 2 + max(costs.task_seconds) + 0.5
    assert two.busy_seconds == pytest.approx(costs.work_seconds)  # one node: every kernel once
    many = simulate(costs, 64, 16, slots=2)
    assert many.nodes == 4 and many.kernels_computed > len(GRID.gamma)
    assert many.makespan >= max(costs.task_seconds) and many.bound == "longest task"


def test_inline_rank_0_starves_a_worker_holding_short_tasks():
    # one long task first (rank 0 takes it), then short ones: a worker with four in hand runs dry
    seconds = [0.1] * GRID.n_tasks
    seconds[GRID.schedule()[0]] = 20.0
    costs = _costs(seconds)
    thread = simulate(costs, 2, 2, slots=0)
    inline = simulate(costs, 2, 2, slots=0, mode="inline")
    assert thread.makespan == pytest.approx(20.0, abs=0.1)  # the worker does all the short ones meanwhile
    assert inline.makespan > thread.makespan + 1.0


def test_a_finished_gammas_slot_is_reused_so_one_rank_holds_one_kernel():
    policy = Policy(GRID, GRID.schedule(), node_of=[0], slots=4, n_rows=100)
    log = drive(policy, ranks=1, depth=1, seed=0, n_rows=100)
    assert {item.slot for _, item in log} == {0} and policy.kernels_started == len(GRID.gamma)
