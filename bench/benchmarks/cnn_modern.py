"""Train the CNN's modern protocol on a window file and record epochs, time and test OA.

    python -m hsbench.benchmarks.cnn_modern --out runs/bench_cnn_modern
    python -m hsbench.benchmarks.cnn_modern --data runs/ip --out runs/bench_cnn_seed --protocol seed --epochs 3

`--data` takes a prepared directory or window file; without it the benchmark
first runs `hsbench prepare` on Indian Pines (random 10%, seed 0) into
OUT/data. The training itself is `hsbench cnn`, so
the benchmark measures exactly what users run; its results JSON lies beside
the summary. `--protocol seed --epochs 3` measures the seed protocol's
seconds per epoch instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from hsbench.atomic import write_json
from hsbench.cli import main as hsbench


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, help="prepared directory or window file (default: prepare Indian Pines)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--protocol", default="modern", choices=("modern", "seed"))
    p.add_argument("--epochs", type=int)
    p.add_argument("--backend", default=None)
    args, passthrough = p.parse_known_args(argv)
    data = args.data
    if data is None:
        data = args.out / "data"
        if hsbench(["prepare", "--out", str(data)]):
            return 2
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
