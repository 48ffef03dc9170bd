"""`hsbench simulate RESULTS.json`: the scaling model, argparse wiring only (the job: hsbench.simulate_job)."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from hsbench.simulate_job import DEFAULT_RANKS, DEFAULT_RANKS_PER_NODE

EPILOG = """\
examples:
  hsbench simulate results/svm_wide_serial.json
  hsbench simulate serial.json --ranks 1,2,16,80,1024 --ranks-per-node 40 --measured mpi2.json
"""


def _ranks(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated rank counts, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"rank counts must be >= 1, got {text!r}")
    return values


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="scaling model: replay a grid's recorded task and kernel costs on P ranks",
        description=textwrap.fill(
            "Replay the per-task and per-kernel seconds that RESULTS.json (an hsbench grid result) recorded "
            "through the task farm's own policy (longest first, items in hand per worker, rank 0 computing too, "
            "one kernel per node) for each rank count; print the predicted makespan, the speedup and "
            "efficiency over one rank, and what bounds the makespan. Ranks slowing each other down "
            "(memory bandwidth) and MPI start-up are not modelled.", 78),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("results", type=Path, metavar="RESULTS.json", help="an hsbench grid result (kind svm_grid)")
    p.add_argument("--ranks", type=_ranks, default=DEFAULT_RANKS, metavar="P,P,...",
                   help="rank counts to model (default: 1,2,4,...,1024)")
    p.add_argument("--ranks-per-node", type=int, default=DEFAULT_RANKS_PER_NODE, metavar="N",
                   help=f"ranks sharing a node and its kernels (default: {DEFAULT_RANKS_PER_NODE})")
    p.add_argument("--kernel-slots", type=int, default=None, metavar="K",
                   help="kernels a node holds at once (default: the run's own)")
    p.add_argument("--measured", type=Path, action="append", default=[], metavar="RUN.json",
                   help="a measured run of the same grid and data: predict it and state the error (repeatable)")
    p.add_argument("--out", type=Path, metavar="FILE.json", help="also write the model as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hsbench.atomic import write_json
    from hsbench.errors import InputError
    from hsbench.provenance import command_line, now_iso
    from hsbench.simulate_job import as_dicts, costs_of, model, model_table, read_grid_result, validate

    if args.ranks_per_node < 1:
        raise InputError(f"--ranks-per-node must be >= 1, got {args.ranks_per_node}")
    data = read_grid_result(args.results)
    costs = costs_of(data, args.results)
    slots = int(data.get("kernel_slots") or 0) if args.kernel_slots is None else args.kernel_slots
    if slots < 0:
        raise InputError(f"--kernel-slots must be >= 0, got {slots}")
    checks = []
    for path in args.measured:
        other = read_grid_result(path)
        if other.get("grid") != data.get("grid") or other.get("folds") != data.get("folds"):
            raise InputError(f"{path}: another grid or other folds than {args.results}; the model cannot predict it")
        checks.append({"file": str(path), **validate(costs, slots, other)})
    rows = model(costs, slots, args.ranks, args.ranks_per_node)
    print(f"{args.results}: {costs.grid.n_tasks} tasks, {costs.n_rows} rows, work {costs.work_seconds:.1f} s "
          f"(tasks {sum(costs.task_seconds):.1f} s, kernels {sum(costs.kernel_seconds):.1f} s), "
          f"longest task {max(costs.task_seconds):.2f} s, {slots} kernel slot(s) per node")
    for line in model_table(rows):
        print(line)
    for c in checks:
        print(f"measured {c['file']}: {c['ranks']} rank(s), {c['measured_seconds']:.2f} s; predicted "
              f"{c['predicted_seconds']:.2f} s ({100 * c['error']:+.1f}%)")
    if args.out:
        write_json(args.out, {"kind": "svm_scaling_model", "command": command_line(), "created": now_iso(),
                              "source": str(args.results), "ranks_per_node": args.ranks_per_node,
                              "kernel_slots": slots, "work_seconds": costs.work_seconds,
                              "model": as_dicts(rows), "validation": checks})
    return 0
