"""Train the CNN's modern protocol on a window file and record epochs, time and test OA.

    python -m bench.benchmarks.cnn_modern --data runs/ip --out results/bench_cnn_modern
    python -m bench.benchmarks.cnn_modern --make-indian-pines runs/ip_bench/windows.h5 --out ...

`--make-indian-pines PATH` writes a window file from the copy of Indian Pines
inside the tensorly wheel (stratified 10% of the labelled pixels for training,
seeded) for use before `hsbench prepare` exists; otherwise `--data` takes a
prepared directory or window file. The training itself is `hsbench cnn`, so
the benchmark measures exactly what users run; its results JSON lies beside
the summary. `--protocol seed --epochs 3` measures the seed protocol's
seconds per epoch instead.
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import sys
import time
from pathlib import Path

import numpy as np

from bench.atomic import write_json
from bench.cli import main as hsbench


def make_indian_pines(path: Path, train_fraction: float = 0.1, seed: int = 0, window: int = 9) -> Path:
    from sklearn.model_selection import train_test_split

    from cnn.windows import write_window_file

    data = importlib.resources.files("tensorly.datasets") / "data"
    cube = np.load(data / "Indian_pines_corrected.npy")
    gt = np.load(data / "Indian_pines_gt.npy")
    rows, cols = np.nonzero(gt)
    coords, labels = np.stack([rows, cols], 1), gt[rows, cols].astype(int)
    tr, te = train_test_split(np.arange(len(labels)), train_size=train_fraction, stratify=labels, random_state=seed)
    split = {"kind": "random", "train_fraction": train_fraction, "seed": seed, "window": window,
             "note": "made by bench.benchmarks.cnn_modern (sklearn train_test_split, stratified)"}
    names = {int(c): f"class {c}" for c in np.unique(labels)}
    write_window_file(path, cube, coords[tr], labels[tr], coords[te], labels[te], names, window, split)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", type=Path, help="prepared directory or window file")
    src.add_argument("--make-indian-pines", type=Path, metavar="PATH", help="write an Indian Pines 10%% window file here first")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--protocol", default="modern", choices=("modern", "seed"))
    p.add_argument("--epochs", type=int)
    p.add_argument("--backend", default=None)
    args, passthrough = p.parse_known_args(argv)
    data = args.data or make_indian_pines(args.make_indian_pines)
    cli = ["cnn", "--data", str(data), "--out", str(args.out), "--protocol", args.protocol, "--progress", "epoch"]
    if args.epochs:
        cli += ["--epochs", str(args.epochs)]
    if args.backend:
        cli += ["--backend", args.backend]
    t0 = time.perf_counter()
    rc = hsbench(cli + passthrough)
    wall = time.perf_counter() - t0
    if rc:
        return rc
    res = json.loads((args.out / "cnn.json").read_text())
    summary = {
        "kind": "benchmark_cnn", "protocol": res["protocol"], "backend": res["backend"], "device": res["device"],
        "epochs_run": res["epochs_run"], "best_epoch": res["best_epoch"], "train_seconds": res["train_seconds"],
        "seconds_per_epoch": res["seconds_per_epoch"], "wall_seconds": wall, "test_oa": res["test"]["oa"],
        "test_aa": res["test"]["aa"], "kappa": res["test"]["kappa"], "selection": res["selection"],
        "cores": res["host"]["cores"], "command": " ".join(["hsbench", *cli, *passthrough]),
    }
    write_json(args.out / "benchmark.json", summary)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
