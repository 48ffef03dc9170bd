"""CNN backends on this machine: train-step time and inference speed of the standard model, per Keras backend.

    python -m hsbench.benchmarks.cnn_backends                          # -> results/benchmarks/cnn_backends.{json,md}
    python -m hsbench.benchmarks.cnn_backends --accuracy-data runs/ip  # and bf16 vs float32 on a short real training
    python -m hsbench.benchmarks.cnn_backends --tf-threads 2:2,2:1,1:1 # and TensorFlow's thread pools (intra:inter)

In one run on one machine: TensorFlow with oneDNN on and off, JAX, and PyTorch if it is installed,
each in float32 and in bf16 mixed precision. Each variant is its own process, because Keras reads
KERAS_BACKEND and TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, at import. A variant builds the
standard model for 9x9x200 windows and 16 classes (Indian Pines), compiled as the modern protocol
(Adam, cross-entropy), and for each batch size (50, the seed's; 128, the modern protocol's) runs
`--warmup` untimed `train_on_batch` steps (tracing, compilation) and then `--steps` timed ones, and
the same for `predict_on_batch`; it reports the medians. Inputs are random windows: a step's time
does not depend on the values.

`--accuracy-data DIR` (a prepared dataset) also trains `hsbench cnn --protocol modern` for
`--accuracy-epochs` epochs in float32 and with `--mixed-precision` on the backend the defaults use
(TensorFlow with oneDNN), and records test OA and seconds per epoch of both: bf16 is worth making a
default only where it is faster at equal accuracy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hsbench.atomic import write_json, write_text
from hsbench.provenance import host_info, now_iso, package_versions

PRECISIONS = ("float32", "mixed_bfloat16")
INPUT_SHAPE = (9, 9, 200, 1)  # Indian Pines: 9x9 windows, 200 bands
CLASSES = 16


@dataclass(frozen=True)
class Variant:
    """One process: a backend with its environment, a precision, and (TensorFlow) thread pools (0 = its default)."""

    label: str
    backend: str
    env: dict[str, str] = field(default_factory=dict)
    precision: str = "float32"
    intra: int = 0
    inter: int = 0
    jit_compile: bool | str = "auto"  # Keras' default: XLA for JAX; none for TensorFlow on a CPU-only machine


def variants(backends: list[str], tf_threads: list[tuple[int, int]]) -> list[Variant]:
    out = []
    for precision in PRECISIONS:
        bf16 = ", bf16" if precision != "float32" else ""
        for backend in backends:
            if backend == "tensorflow":
                out.append(Variant(f"TensorFlow, oneDNN on{bf16}", backend, {"TF_ENABLE_ONEDNN_OPTS": "1"}, precision))
                out.append(Variant(f"TensorFlow, oneDNN off{bf16}", backend, {"TF_ENABLE_ONEDNN_OPTS": "0"}, precision))
            else:
                out.append(Variant(f"{'JAX' if backend == 'jax' else 'PyTorch'}{bf16}", backend, {}, precision))
    if "tensorflow" in backends:  # Keras runs TensorFlow without XLA on a CPU-only machine; with it, for comparison
        out.append(Variant("TensorFlow, oneDNN on, XLA", "tensorflow", {"TF_ENABLE_ONEDNN_OPTS": "1"},
                           jit_compile=True))
    for intra, inter in tf_threads:
        out.append(Variant(f"TensorFlow, oneDNN on, threads {intra} intra / {inter} inter", "tensorflow",
                           {"TF_ENABLE_ONEDNN_OPTS": "1"}, "float32", intra, inter))
    return out


# ---- the worker: one variant, in its own process ----

def measure(variant: Variant, batches: list[int], warmup: int, steps: int) -> dict[str, Any]:
    """Time train and predict steps of the standard model (run in a process whose environment is the variant's)."""
    import keras
    import numpy as np

    if variant.backend == "tensorflow" and (variant.intra or variant.inter):
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(variant.intra)
        tf.config.threading.set_inter_op_parallelism_threads(variant.inter)
    from hsbench.cnn.config import PROTOCOLS
    from hsbench.cnn.flags import backend_flags
    from hsbench.cnn.models import build_model
    from hsbench.cnn.optimizer import make_optimizer

    keras.mixed_precision.set_global_policy(variant.precision)
    keras.utils.set_random_seed(0)
    model = build_model("standard", INPUT_SHAPE, CLASSES)
    modern = PROTOCOLS["modern"]
    model.compile(optimizer=make_optimizer(modern), loss=modern.loss, metrics=["accuracy"],
                  jit_compile=variant.jit_compile)
    rng = np.random.default_rng(0)
    cpu0, results = time.process_time(), {}
    for batch in batches:
        x = rng.standard_normal((batch, *INPUT_SHAPE), dtype=np.float32)
        y = np.eye(CLASSES, dtype=np.float32)[rng.integers(CLASSES, size=batch)]
        train, cores = _timed(lambda x=x, y=y: model.train_on_batch(x, y), warmup, steps)
        predict, _ = _timed(lambda x=x: model.predict_on_batch(x), warmup, steps)
        results[str(batch)] = {
            "train_step_seconds": float(np.median(train)), "train_step_times": train,
            # CPU seconds of this process per wall second of the timed steps: how many cores the step kept busy
            "train_cores_busy": cores,
            "predict_step_seconds": float(np.median(predict)),
            "inference_samples_per_second": batch / float(np.median(predict)),
        }
    return {"flags": {**backend_flags(), "jit_compile": bool(model.jit_compile)}, "batches": results,
            "cpu_seconds": time.process_time() - cpu0, "params": model.count_params()}


def _timed(step: Any, warmup: int, steps: int) -> tuple[list[float], float]:
    """Wall seconds of each timed step, and the cores kept busy meanwhile (process CPU time / wall time)."""
    for _ in range(warmup):
        step()
    times = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times, (time.process_time() - cpu0) / (time.perf_counter() - wall0)


def run_variant(variant: Variant, batches: list[int], warmup: int, steps: int, timeout: float) -> dict[str, Any]:
    """Measure one variant in a fresh process; its record, or {"error": ...}."""
    spec = json.dumps({"variant": asdict(variant), "batches": batches, "warmup": warmup, "steps": steps})
    env = {**os.environ, **variant.env, "KERAS_BACKEND": variant.backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if variant.backend == "jax":
        env.setdefault("JAX_PLATFORMS", "cpu")
    try:
        proc = subprocess.run([sys.executable, "-m", "hsbench.benchmarks.cnn_backends", "--worker", spec],
                              capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- bf16 vs float32 on a short real training ----

def accuracy_check(data: Path, out: Path, epochs: int) -> dict[str, Any]:
    """`hsbench cnn --protocol modern` for `epochs` epochs, float32 and bf16, on the default backend."""
    record: dict[str, Any] = {"data": str(data), "epochs": epochs}
    for name, extra in (("float32", ["--no-mixed-precision"]), ("mixed_bfloat16", ["--mixed-precision"])):
        run_dir = out / f"accuracy_{name}"
        argv = [sys.executable, "-m", "hsbench", "cnn", "--data", str(data), "--out", str(run_dir), "--protocol",
                "modern", "--backend", "tensorflow", "--epochs", str(epochs), "--progress", "none", *extra]
        proc = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
        if proc.returncode != 0:
            record[name] = {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
            continue
        res = json.loads((run_dir / "cnn.json").read_text())
        record[name] = {"test_oa": res["test"]["oa"], "test_aa": res["test"]["aa"], "epochs_run": res["epochs_run"],
                        "seconds_per_epoch": res["seconds_per_epoch"], "backend_flags": res.get("backend_flags"),
                        "command": " ".join(["hsbench", *argv[3:]])}
    return record


# ---- the document and its table ----

def document(rows: list[dict[str, Any]], *, batches: list[int], warmup: int, steps: int, not_installed: list[str],
             command: str, accuracy: dict[str, Any] | None = None) -> dict[str, Any]:
    """The benchmark's JSON (kind "cnn_backends"): where, with what, and one row per variant."""
    doc: dict[str, Any] = {
        "kind": "cnn_backends", "created": now_iso(), "host": host_info(), "versions": package_versions(),
        "command": command, "model": "standard", "input_shape": list(INPUT_SHAPE), "classes": CLASSES,
        "batches": batches, "warmup": warmup, "steps": steps, "not_installed": not_installed, "variants": rows,
    }
    if accuracy is not None:
        doc["accuracy_check"] = accuracy
    return doc


def markdown(doc: dict[str, Any]) -> str:
    from hsbench.report.backends import backends_table

    return "\n".join(["# CNN backends on this machine", "", *backends_table(doc)]) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, default=Path("results/benchmarks"),
                   help="folder for cnn_backends.json and cnn_backends.md (default: %(default)s)")
    p.add_argument("--backends", default="tensorflow,jax,torch",
                   help="comma-separated; one not installed is recorded as such (default: %(default)s)")
    p.add_argument("--batches", default="50,128", help="batch sizes (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps per batch size (default: %(default)s)")
    p.add_argument("--steps", type=int, default=7, help="timed steps per batch size, >= 5 (default: %(default)s)")
    p.add_argument("--tf-threads", default="", metavar="I:J,...",
                   help="also TensorFlow (oneDNN on) with these intra:inter thread pools, e.g. 2:1,1:1")
    p.add_argument("--only", action="append", metavar="LABEL",
                   help="measure only the variant with this label (repeatable), e.g. 'TensorFlow, oneDNN on, bf16'")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per variant (default: %(default)s)")
    p.add_argument("--accuracy-data", type=Path, help="prepared dataset for the bf16 vs float32 training check")
    p.add_argument("--accuracy-epochs", type=int, default=20, help="epochs of that check (default: %(default)s)")
    args = p.parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        print(json.dumps(measure(Variant(**spec["variant"]), spec["batches"], spec["warmup"], spec["steps"])))
        return 0
    if args.steps < 5:
        p.error("--steps must be >= 5 (the median of at least 5 timed steps)")
    import importlib.util

    batches = [int(b) for b in args.batches.split(",") if b]
    backends = [b for b in args.backends.split(",") if b]
    threads = [(int(i), int(j)) for i, j in (t.split(":") for t in args.tf_threads.split(",") if t)]
    missing = [b for b in backends if importlib.util.find_spec(b) is None]
    rows: list[dict[str, Any]] = []
    load = [os.getloadavg()[0]]
    chosen = [v for v in variants([b for b in backends if b not in missing], threads)
              if not args.only or v.label in args.only]
    for v in chosen:
        print(f"cnn_backends: {v.label} ...", file=sys.stderr, flush=True)
        rec = run_variant(v, batches, args.warmup, args.steps, args.timeout)
        rows.append({**asdict(v), **rec})
        print(f"cnn_backends: {v.label}: "
              + (rec.get("error") or ", ".join(f"batch {b} {r['train_step_seconds']:.3f} s/step"
                                              for b, r in rec["batches"].items())), file=sys.stderr, flush=True)
    accuracy = None
    if args.accuracy_data:
        print("cnn_backends: bf16 vs float32 training check ...", file=sys.stderr, flush=True)
        accuracy = accuracy_check(args.accuracy_data, Path("runs") / "bench_cnn_backends", args.accuracy_epochs)
    doc = document(rows, batches=batches, warmup=args.warmup, steps=args.steps, not_installed=missing,
                   command=" ".join(["python -m hsbench.benchmarks.cnn_backends", *(argv or sys.argv[1:])]),
                   accuracy=accuracy)
    doc["load_average"] = [*load, os.getloadavg()[0]]
    write_json(args.out / "cnn_backends.json", doc)
    write_text(args.out / "cnn_backends.md", markdown(doc))
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
