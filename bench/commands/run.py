"""`hsbench run`: the main job, every stage on one dataset, then the report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from hsbench.cnn.config import BACKENDS as CNN_BACKENDS
from hsbench.cnn.config import DEFAULT_BACKEND, PROTOCOLS
from hsbench.run import RUN_FEATURES
from hsbench.split import KINDS as SPLIT_KINDS
from hsbench.svm.grid import PRESETS as GRID_PRESETS

HELP = "run the whole study: prepare, serial and MPI-parallel SVM grids, the CNN, the report"

EPILOG = """\
With no arguments: Indian Pines (embedded), random 10%% split, the SVM on the
raw bands and on an extended attribute profile (eap:4) of the same split, each
with the seed's grid and the wide grid, serially and on one MPI rank per core;
the CNN with the modern protocol on CPU; then results/indian_pines/REPORT.md.
Killed and started again with the same arguments, it continues where it stopped.

examples:
  hsbench run
  hsbench run --split disjoint            # the leakage check: spatially disjoint train/test
  hsbench run --seeds 0-4                 # the study on 5 splits: mean +- std and McNemar per seed
  hsbench run --ranks 8 --cnn-epochs 200
  hsbench run --features raw --features emp:4   # the SVM on raw bands and an EMP instead
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help=HELP, description=HELP[0].upper() + HELP[1:] + ".", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    from hsbench.scenes.registry import SCENES

    p.add_argument("--scene", default="indian_pines", choices=list(SCENES), metavar="NAME",
                   help="named scene: %(choices)s (default: indian_pines)")
    p.add_argument("--offline", action="store_true", help="never touch the network (the scene must be cached)")
    p.add_argument("--cube", metavar="FILE", help="a scene from files instead: cube (.mat/.npy/.tif), with --gt")
    p.add_argument("--gt", metavar="FILE", help="ground truth (.mat/.npy/.tif) of --cube")
    p.add_argument("--split", choices=SPLIT_KINDS, default="random", help="split kind (default: random)")
    p.add_argument("--train-fraction", type=float, default=0.1, metavar="F", help="training share (default: 0.1)")
    p.add_argument("--seeds", "--seed", dest="seeds", default="0", metavar="SEEDS",
                   help="split seeds: one (3), a range (0-4) or a list (0,3,7); the whole study runs once per "
                        "seed, each in its own data and results directories; a seed also seeds the SVM grid's folds "
                        "and the CNN (default: 0)")
    p.add_argument("--results", type=Path, default=Path("results"),
                   help="results root; this run writes RESULTS/SCENE/SPLIT/ and RESULTS/SCENE/REPORT.md "
                        "(default: results)")
    p.add_argument("--work", type=Path, default=Path("runs"),
                   help="where prepared datasets go (large, not results; default: runs)")
    p.add_argument("--ranks", type=int, default=os.cpu_count() or 1,
                   help="MPI ranks of the parallel grid (default: the number of cores, here %(default)s); "
                        "1 skips the parallel grid")
    p.add_argument("--grids", default="seed,wide", help="SVM grids to run, comma-separated (default: seed,wide)")
    p.add_argument("--features", action="append", metavar="KIND",
                   help="SVM feature sets, repeated (hsbench prepare --features; default: "
                        f"{' and '.join(RUN_FEATURES)}); every grid runs on each")
    p.add_argument("--cnn-protocol", choices=tuple(PROTOCOLS), default="modern",
                   help="CNN training protocol (default: modern, minutes on CPU)")
    p.add_argument("--cnn-epochs", type=int, metavar="N",
                   help="CNN epoch budget (default: the protocol's own; the seed ran 600-2000)")
    p.add_argument("--cnn-backend", metavar="{" + ",".join(CNN_BACKENDS) + "}", default=DEFAULT_BACKEND,
                   help="Keras backend of the CNN (default: %(default)s, the fastest on CPU); checked before "
                        "any stage runs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hsbench.cnn_job import check_backend
    from hsbench.errors import InputError
    from hsbench.run import RunConfig, StageFailed, parse_seeds
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
    check_backend(args.cnn_backend, "--cnn-backend")
    from hsbench.features import parse_feature_list

    # the grammar now, before any stage (N against the band count is prepare's check: the scene is not loaded)
    parse_feature_list(args.features or RUN_FEATURES, n_bands=1 << 30)
    if bool(args.cube) != bool(args.gt):
        raise InputError("--cube and --gt must be given together")
    seeds = parse_seeds(args.seeds)
    cfg = RunConfig(scene=args.scene, cube=args.cube, gt=args.gt, split=args.split,
                    train_fraction=args.train_fraction, seed=seeds[0], results=args.results, work=args.work,
                    ranks=args.ranks, grids=grids, features=tuple(args.features or RUN_FEATURES),
                    cnn_protocol=args.cnn_protocol, cnn_epochs=args.cnn_epochs,
                    cnn_backend=args.cnn_backend, offline=args.offline)
    try:
        run_all(cfg, seeds)
    except StageFailed as exc:
        print(f"hsbench run: {exc}", file=sys.stderr)
        return exc.returncode or 1
    return 0
