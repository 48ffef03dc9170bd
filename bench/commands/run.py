"""`hsbench run`: the main job, every stage on one dataset, then the report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hsbench.cnn.config import BACKENDS as CNN_BACKENDS
from hsbench.cnn.config import PROTOCOLS
from hsbench.split import KINDS as SPLIT_KINDS
from hsbench.svm.grid import PRESETS as GRID_PRESETS

HELP = "run the whole study: prepare, serial and MPI-parallel SVM grids, the CNN, the report"

EPILOG = """\
With no arguments: Indian Pines (embedded), random 10%% split, the seed's grid
and the wide grid serially and on one MPI rank per core, the CNN with the
modern protocol on CPU, then results/indian_pines/REPORT.md.
Killed and started again with the same arguments, it continues where it stopped.

examples:
  hsbench run
  hsbench run --split disjoint            # the leakage check: spatially disjoint train/test
  hsbench run --ranks 8 --cnn-epochs 200
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help=HELP, description=HELP[0].upper() + HELP[1:] + ".", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scene", default="indian_pines", help="named scene (default: indian_pines)")
    p.add_argument("--cube", metavar="FILE", help="a scene from files instead: cube (.mat/.npy), with --gt")
    p.add_argument("--gt", metavar="FILE", help="ground truth (.mat/.npy) of --cube")
    p.add_argument("--split", choices=SPLIT_KINDS, default="random", help="split kind (default: random)")
    p.add_argument("--train-fraction", type=float, default=0.1, metavar="F", help="training share (default: 0.1)")
    p.add_argument("--seed", type=int, default=0, help="split seed (default: 0)")
    p.add_argument("--results", type=Path, default=Path("results"),
                   help="results root; this run writes RESULTS/SCENE/SPLIT/ and RESULTS/SCENE/REPORT.md "
                        "(default: results)")
    p.add_argument("--work", type=Path, default=Path("runs"),
                   help="where prepared datasets go (large, not results; default: runs)")
    p.add_argument("--ranks", type=int, default=os.cpu_count() or 1,
                   help="MPI ranks of the parallel grid (default: the number of cores, here %(default)s); "
                        "1 skips the parallel grid")
    p.add_argument("--grids", default="seed,wide", help="SVM grids to run, comma-separated (default: seed,wide)")
    p.add_argument("--cnn-protocol", choices=tuple(PROTOCOLS), default="modern",
                   help="CNN training protocol (default: modern, minutes on CPU)")
    p.add_argument("--cnn-epochs", type=int, metavar="N",
                   help="CNN epoch budget (default: the protocol's own; the seed ran 600-2000)")
    p.add_argument("--cnn-backend", choices=CNN_BACKENDS, default="tensorflow",
                   help="Keras backend of the CNN (default: tensorflow)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hsbench.errors import InputError
    from hsbench.run import RunConfig, StageFailed
    from hsbench.run import run as run_all

    if args.ranks < 1:
        raise InputError(f"--ranks must be >= 1, got {args.ranks}")
    if args.split == "all":
        raise InputError("--split all has no test set, and hsbench run reports test metrics (the CNN and both "
                         "methods side by side); use hsbench prepare --split all and hsbench grid for the CV-only grid")
    grids = tuple(g for g in args.grids.split(",") if g)
    unknown = sorted(set(grids) - set(GRID_PRESETS))
    if unknown or not grids:
        raise InputError(f"--grids takes {' and/or '.join(GRID_PRESETS)}, comma-separated, got {args.grids!r}")
    if bool(args.cube) != bool(args.gt):
        raise InputError("--cube and --gt must be given together")
    cfg = RunConfig(scene=args.scene, cube=args.cube, gt=args.gt, split=args.split,
                    train_fraction=args.train_fraction, seed=args.seed, results=args.results, work=args.work,
                    ranks=args.ranks, grids=grids, cnn_protocol=args.cnn_protocol, cnn_epochs=args.cnn_epochs,
                    cnn_backend=args.cnn_backend)
    try:
        run_all(cfg)
    except StageFailed as exc:
        print(f"hsbench run: {exc}", file=sys.stderr)
        return exc.returncode or 1
    return 0
