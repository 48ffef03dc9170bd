"""`hsbench grid`: 10-fold CV SVM grid search over (gamma, C), serial or under mpiexec.

Argument wiring only; the job (inputs -> the svm engine -> results JSON, kind "svm_grid",
docs/FORMATS.md) is hsbench.svm_job.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from hsbench.commands.options import buffer_arg
from hsbench.svm.backends import BACKENDS, DEFAULT_KERNEL_CACHE_MB
from hsbench.svm.folds import FOLD_KINDS
from hsbench.svm.grid import PRESETS
from hsbench.svm_job import GridJob, run_grid_job

EPILOG = """\
value syntax for --gamma and --C:
  2,4,8        an explicit list
  2^-6:2^4     powers of 2 from 2^-6 to 2^4 (exponent step 1)
  1e0:1e5      powers of 10 from 1 to 100000
  lists and ranges mix: 0.5,2^0:2^3

folds (--cv):
  stratified   StratifiedKFold, shuffled with --seed (the default on a random split
               and on plain LibSVM files)
  spatial      each class's training pixels cut into contiguous sub-strips along the
               longer side of their extent, every sub-strip whole in one fold, and the
               rows within --cv-buffer pixels of a fold's held-out rows left out of its
               training (the default on a disjoint split; needs --data: the pixel
               coordinates are in its dataset.json). The buffer is matched to the
               test by default: the one (window - 1 up to twice that) whose held-out
               pixels lie as far from the fitted ones as the test pixels lie from
               the training pixels (W statistic; coordinates only, no test labels)

examples:
  hsbench grid --data runs/ip --out results/svm_grid_ip.json
  hsbench grid --data runs/ip --features emp:4 --grid wide   # a further feature set of runs/ip
  mpiexec -n 8 hsbench grid --train indian_raw_training.el --grid wide
  hsbench grid --train train.libsvm --test test.libsvm --backend thundersvm --threads 8
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "grid",
        help="SVM grid search: k-fold CV for every (gamma, C) cell, serial or over MPI ranks",
        description=textwrap.fill(
            "k-fold cross-validation (stratified or spatial) of an RBF SVM for every (gamma, C) cell; the best "
            "cell (highest mean CV accuracy, ties -> smaller C, then smaller gamma) is refit on the "
            "whole training file and predicts the test file. Run under `mpiexec -n N` to spread "
            "the (gamma, C, fold) tasks over N ranks; without mpiexec it runs serially.",
            78,
        ),
        epilog=EPILOG,
        allow_abbrev=False,  # job scripts and tests must spell options in full
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_argument_group("input (either --data or --train)")
    src.add_argument("--data", type=Path, metavar="DIR",
                     help="prepared dataset directory (train.libsvm, test.libsvm, dataset.json)")
    src.add_argument("--features", metavar="KIND",
                     help="with --data: the feature set to read, as given to hsbench prepare --features "
                          "(e.g. emp:4; default: the first, train.libsvm)")
    src.add_argument("--train", type=Path, metavar="FILE", help="LibSVM training file (e.g. a seed .el file)")
    src.add_argument("--test", type=Path, metavar="FILE", help="LibSVM test file (optional with --train)")
    p.add_argument("--out", type=Path, metavar="FILE.json",
                   help="results JSON (default: results/svm_grid-<data dir or train file name>.json); "
                        "the journal is FILE.json.journal")
    g = p.add_argument_group("grid and folds")
    g.add_argument("--grid", choices=sorted(PRESETS), default="seed",
                   help="preset: seed = gamma {2,4,8,16,32} x C {1,...,1e4}; "
                        "wide = gamma 2^-6:2^4 x C 1e0:1e5 (default: seed)")
    g.add_argument("--gamma", metavar="VALUES", help="RBF gamma values, overriding the preset (syntax below)")
    g.add_argument("--C", dest="C", metavar="VALUES", help="C values, overriding the preset (syntax below)")
    g.add_argument("--folds", type=int, default=10, help="CV folds (default: 10)")
    g.add_argument("--cv", choices=FOLD_KINDS, default=None,
                   help="fold scheme (below; default: spatial on a disjoint split, stratified otherwise)")
    g.add_argument("--cv-buffer", type=buffer_arg, default=None, metavar="PIXELS|auto",
                   help="spatial folds: rows this close (Chebyshev distance) to a fold's held-out rows are left "
                        "out of its training. auto (the default when dataset.json has test pixels): of window - 1 "
                        "up to twice that, the buffer whose held-out distances best match the test pixels' "
                        "distances to the training pixels (nearest-neighbour distance matching, coordinates "
                        "only); otherwise the split's window - 1, so no windows overlap")
    g.add_argument("--seed", type=int, default=0,
                   help="seed of the fold shuffle, or of the sub-strips' fold order (default: 0)")
    b = p.add_argument_group("backend")
    b.add_argument("--backend", default="sklearn", metavar="{" + ",".join(BACKENDS) + "}",
                   help="sklearn (libsvm, default) or thundersvm (CPU wheel or CUDA build)")
    b.add_argument("--threads", type=int, default=-1,
                   help="thundersvm threads per rank (-1: all cores; ignored by sklearn)")
    b.add_argument("--kernel-cache-mb", type=float, default=DEFAULT_KERNEL_CACHE_MB, metavar="MB",
                   help="sklearn: memory per node for RBF kernel matrices (n x n float64, one per gamma, "
                        "computed once per node and read by every rank there, reused for every C and fold); "
                        "too small for one -> plain RBF fits, with a warning; 0 -> plain RBF fits "
                        f"(default: {DEFAULT_KERNEL_CACHE_MB})")
    p.add_argument("--resume", action="store_true",
                   help="skip tasks already in the journal (refused if it was written for other inputs)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no grid table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return run_grid_job(GridJob(
        data=args.data, features=args.features, train=args.train, test=args.test, out=args.out, grid=args.grid,
        gamma=args.gamma, C=args.C, folds=args.folds, seed=args.seed, cv=args.cv, cv_buffer=args.cv_buffer,
        backend=args.backend, threads=args.threads, kernel_cache_mb=args.kernel_cache_mb, resume=args.resume,
        quiet=args.quiet,
    ))
