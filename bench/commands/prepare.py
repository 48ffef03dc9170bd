"""`hsbench prepare`: scene -> one shared split -> LibSVM files + window file."""

from __future__ import annotations

import argparse
import sys
import warnings

from hsbench.split import KINDS as SPLIT_KINDS

HELP = "split a scene once and write the SVM's LibSVM files and the CNN's window file"

EPILOG = """\
outputs (in OUT):
  train.libsvm, test.libsvm  LibSVM format, 1-based indices, labels = class ids,
                             features min-max scaled to [0, 1] on the training pixels
                             (the first --features)
  train.KIND.libsvm, ...     the same rows for every further --features (emp:4 -> emp-4);
                             hsbench grid --data OUT --features KIND reads them
  windows.h5                 cube once + coordinates; the CNN cuts windows at batch time
  dataset.json               split with pixel coordinates (for maps in the report)
  manifest.json              written last: arguments, sha256 of outputs, versions

examples:
  hsbench prepare --out runs/ip                                  # Indian Pines, random 10%
  hsbench prepare --scene indian_pines_full --min-class-pixels 100 --out runs/ipf   # the seed's 52 classes
  hsbench prepare --out runs/ip-disjoint --split disjoint
  hsbench prepare --out runs/ip-all --split all                  # CV-only workload: no test set
  hsbench prepare --cube scene.mat --gt scene_gt.mat --out runs/x --features pca:30
  hsbench prepare --out runs/ip --features raw --features emp:4   # one split, two feature sets
  hsbench prepare --out runs/ip --features eap:4:area=100,500,1000:std=20,30,40

features (docs/FEATURES.md):
  raw                               every band
  pca:N                             N principal components
  emp:N[:radii=R,...]               extended morphological profile of N components: openings
                                    and closings by reconstruction, disks of radius R (1,3,5,7)
  eap:N[:area=A,...][:std=S,...]    extended attribute profile of N components: area openings
                                    and closings (A pixels: 100,500,1000,5000), optionally
                                    standard-deviation thinnings/thickenings (S on 0-1000)
  PCA and scaling are fitted on training pixels; the profiles read the whole image
  (no labels), so they see the pixels around a test pixel, as the CNN's windows do.
"""


def _labels(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated class ids, got {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help=HELP, description=HELP[0].upper() + HELP[1:] + ".",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    from hsbench.scenes.registry import SCENES

    src = p.add_argument_group("scene")
    src.add_argument("--scene", default="indian_pines", choices=list(SCENES), metavar="NAME",
                     help="named scene: %(choices)s (default: indian_pines, shipped inside the tensorly wheel; "
                          "the others are downloaded once into the cache, see hsbench scenes)")
    src.add_argument("--offline", action="store_true",
                     help="never touch the network: a named scene must already be in the cache")
    src.add_argument("--cube", metavar="FILE", help="cube file (.mat, .npy or .tif), height x width x bands")
    src.add_argument("--gt", metavar="FILE",
                     help="ground-truth file (.mat, .npy or .tif), height x width, 0 = unlabelled")
    src.add_argument("--cube-var", metavar="NAME", help="variable in the cube .mat (default: its one 3-D array)")
    src.add_argument("--gt-var", metavar="NAME", help="variable in the gt .mat (default: its one 2-D array)")
    sp = p.add_argument_group("split")
    sp.add_argument("--split", choices=SPLIT_KINDS, default="random",
                    help="random: stratified by class; disjoint: spatially separate train/test with a "
                         "buffer so no test window overlaps a training window; all: every labelled pixel "
                         "trains and there is no test set (the SVM grid's CV-only workload) (default: random)")
    sp.add_argument("--train-fraction", type=float, default=None, metavar="F",
                    help="share of each class's pixels used for training, in (0, 1) (default: 0.1, the seed's; "
                         "does not apply to --split all)")
    sp.add_argument("--seed", type=int, default=0, help="seed of the split (default: 0)")
    sp.add_argument("--exclude", type=_labels, default=(), metavar="IDS",
                    help="class ids to leave out, comma-separated (recorded as excluded labels)")
    sp.add_argument("--min-class-pixels", type=int, default=2, metavar="N",
                    help="exclude classes with fewer labelled pixels than N (default: 2, the least that "
                         "gives one training and one test pixel)")
    p.add_argument("--window", type=int, default=9, help="CNN window size, odd (default: 9)")
    p.add_argument("--features", action="append", metavar="KIND",
                   help="SVM features: raw, pca:N, emp:N[:...] or eap:N[:...] (below); repeat it for several "
                        "feature sets on the same split (default: raw)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--force", action="store_true", help="replace a different dataset already in OUT")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hsbench.features import FeatureWarning
    from hsbench.prepare import PrepareConfig, prepare
    from hsbench.scenes import load_scene
    from hsbench.split import ALL_FRACTION

    scene = load_scene(args.scene, args.cube, args.gt, args.cube_var, args.gt_var, offline=args.offline)
    fraction = args.train_fraction
    if fraction is None:
        fraction = ALL_FRACTION if args.split == "all" else 0.1
    config = PrepareConfig(
        split=args.split, train_fraction=fraction, seed=args.seed, window=args.window,
        features=tuple(args.features or ("raw",)), exclude=args.exclude, min_class_pixels=args.min_class_pixels,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FeatureWarning)
        try:
            manifest = prepare(scene, args.out, config, force=args.force)
        finally:  # one line each, as errors are reported; anything else as Python shows it
            for w in caught:
                if issubclass(w.category, FeatureWarning):
                    print(f"hsbench prepare: warning: {w.message}", file=sys.stderr)
                else:
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    s = manifest["summary"]
    print(f"prepared {scene.name} ({config.split} split, {config.train_fraction:g} train, seed {config.seed}): "
          f"{s['train_pixels']} training / {s['test_pixels']} test pixels, {s['classes']} classes, "
          f"{s['features']} features -> {args.out}")
    for name, n in s["feature_sets"].items():
        print(f"  features {name}: {n} columns, extracted in {s['feature_seconds'][name]:.2f} s")
    return 0
