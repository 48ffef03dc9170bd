"""`hsbench cnn`: argument wiring only; the job (train, predict, results JSON kind "cnn") is hsbench.cnn_job.

Keras reads KERAS_BACKEND once, at its first import, so nothing here imports keras.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hsbench.cnn.config import BACKENDS, DEVICES, MONITORS, PROTOCOLS, VAL_SPLITS
from hsbench.commands.options import buffer_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "cnn",
        help="train the 3D-CNN (seed's standard model) on a window file",
        description=(
            "Train the 3D-CNN on 9x9xB windows of the prepared pixels and write OUT/cnn.json "
            "(kind \"cnn\"), OUT/model.keras, OUT/history.csv and OUT/checkpoint/. Protocol 'seed' is "
            "the lecture's SGD/MSE run that keeps the weights with the lowest TEST loss (model selection "
            "on the test set, as the seed did); 'modern' is Adam/cross-entropy with a validation part "
            "carved from the training pixels. Defaults of each protocol apply unless overridden."
        ),
    )
    p.add_argument("--data", required=True, type=Path,
                   help="prepared dataset directory (holding windows.h5) or a window file")
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument("--protocol", choices=tuple(PROTOCOLS), default="seed",
                   help="training protocol (default: %(default)s)")
    p.add_argument("--model", default="standard", help="model name (default: %(default)s)")
    p.add_argument("--backend", metavar="{" + ",".join(BACKENDS) + "}", default=None,
                   help="Keras backend (default: $KERAS_BACKEND, else tensorflow, the fastest on CPU: "
                        "python -m hsbench.benchmarks.cnn_backends); one not installed exits 2 saying how to "
                        "install it")
    p.add_argument("--epochs", type=int, help="epochs (seed: 600, modern: 100, an upper bound)")
    p.add_argument("--batch-size", type=int, help="global batch size (seed: 50, modern: 128)")
    p.add_argument("--lr", type=float, help="learning rate (seed: 1.0, modern: 1e-3)")
    p.add_argument("--decay", type=float, help="Keras 2 learning-rate decay per step (seed: 5e-6)")
    p.add_argument("--eval-every", type=int,
                   help="evaluate every N epochs (seed: 10 on the test set, modern: 1 on validation)")
    p.add_argument("--patience", type=int, help="modern: evaluations without improvement before stopping")
    p.add_argument("--val-fraction", type=float, help="modern: part of each class's training pixels for validation")
    p.add_argument("--val-split", choices=VAL_SPLITS[1:], default=None,
                   help="modern: how the epoch count is chosen: validation pixels drawn at random per class "
                        "(stratified); one block per class with fitted pixels kept a window away (spatial); or "
                        "spatial CV over the SVM grid's spatial folds, one model per fold, every training pixel "
                        "held out once, then the refit (spatial-cv) (default: spatial-cv on a disjoint split, "
                        "stratified otherwise)")
    p.add_argument("--val-folds", type=int, help="spatial-cv: folds (default: 10, as the SVM grid)")
    p.add_argument("--cv-epochs", type=int, help="spatial-cv: epochs each fold's model trains (default: 30)")
    p.add_argument("--val-buffer", type=buffer_arg, default="auto", metavar="PIXELS|auto",
                   help="spatial-cv: fitted pixels this close to a fold's held-out pixels are left out; auto: the "
                        "SVM grid's matched buffer (window - 1 up to twice that, the one whose held-out distances "
                        "best match the test pixels'), so both select on the same folds (default: auto)")
    p.add_argument("--monitor", choices=MONITORS[1:], default=None,
                   help="what keeps the weights and stops early: the evaluation loss, or its accuracy (ties: "
                        "lower loss) (default: accuracy on spatial validation, loss otherwise)")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="random flips and 90-degree rotations of training windows (modern: on, seed: off)")
    p.add_argument("--refit", action=argparse.BooleanOptionalAction, default=None,
                   help="modern: after validation has chosen the epoch count, train a fresh model on every "
                        "training pixel for that many epochs and test it, as the SVM refits its best cell on all "
                        "rows (default: only after spatial-cv, which keeps no model to test; after a single "
                        "validation part the kept weights are tested; the seed protocol has none to choose with)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed for initialisation, shuffling and the validation split (default: %(default)s)")
    p.add_argument("--devices", choices=DEVICES, default="1",
                   help="'all': data-parallel over every visible device (JAX backend), global batch split")
    p.add_argument("--mixed-precision", action=argparse.BooleanOptionalAction, default=None,
                   help="bf16 mixed precision (seed: off; modern: on with TensorFlow on a CPU with native bf16, "
                        "AVX512_BF16 or AMX, where it was measured faster at no lower accuracy; off elsewhere)")
    p.add_argument("--checkpoint-every", type=int, default=10,
                   help="checkpoint every N epochs (and on SIGTERM/SIGINT); a kill loses at most N epochs "
                        "(default: %(default)s)")
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoint (same settings; --epochs may raise the budget)")
    p.add_argument("--progress", choices=("bar", "epoch", "none"), default="bar",
                   help="Keras progress output: a bar per epoch, one line per epoch, or none (default: %(default)s)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hsbench.cnn_job import CnnJob, run_cnn_job

    overrides = {
        k: v for k, v in {
            "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "decay": args.decay,
            "eval_every": args.eval_every, "patience": args.patience, "val_fraction": args.val_fraction,
            "augment": args.augment, "val_split": args.val_split,
            "monitor": args.monitor, "mixed_precision": args.mixed_precision, "refit": args.refit,
            "val_folds": args.val_folds, "cv_epochs": args.cv_epochs,
        }.items() if v is not None
    }
    overrides.update(model=args.model, seed=args.seed, devices=args.devices,
                     checkpoint_every=args.checkpoint_every)
    return run_cnn_job(CnnJob(
        data=args.data, out=args.out, protocol=args.protocol, backend=args.backend, overrides=overrides,
        resume=args.resume, verbose={"bar": 1, "epoch": 2, "none": 0}[args.progress], val_buffer=args.val_buffer,
    ))
