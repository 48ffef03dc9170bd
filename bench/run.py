"""`hsbench run`: the whole study on one dataset per split seed, resumable stage by stage.

prepare -> serial SVM grid -> parallel SVM grid (mpiexec) -> CNN, for each split seed
(`--seeds 0-4`: each seed in its own data and results directories), then one report.
The SVM grids run on every feature set of the one prepared split: the raw bands
and a spectral-spatial profile (RUN_FEATURES), so the SVM sees the neighbourhood
as the CNN does.

Each stage is a separate `hsbench` process (the parallel grid under
`mpiexec`), so MPI and the Keras backend start clean. A stage is skipped when
this checkout's `hsbench run` finished it with the same command line (so
`--cnn-epochs 200` after a finished run trains again); an interrupted stage is
re-run with `--resume`, which picks up its checkpoint, or its journal when the stage
was started with the same command line (a journal of other arguments is replaced). Killing
`hsbench run` and starting it again with the same arguments therefore
continues where it stopped; the stages of seeds already finished are all "done already".
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from hsbench import atomic
from hsbench.cnn.config import DEFAULT_BACKEND
from hsbench.errors import InputError
from hsbench.features import slug
from hsbench.paths import check_output_dir

# The SVM's inputs: the seed's scenario (1), raw bands, and (2), engineered features. eap:4
# measured best of the two profiles on Indian Pines 10% random, seed 0 (wide grid, 10-fold CV
# 92.78% vs emp:4 92.10%; test OA 93.21% vs 91.14%): docs/FEATURES.md.
RUN_FEATURES = ("raw", "eap:4")


@dataclass(frozen=True)
class RunConfig:
    scene: str = "indian_pines"
    cube: str | None = None  # a scene from files instead of a named one
    gt: str | None = None
    split: str = "random"
    train_fraction: float = 0.1
    seed: int = 0
    results: Path = Path("results")
    work: Path = Path("runs")
    ranks: int = field(default_factory=lambda: os.cpu_count() or 1)
    grids: tuple[str, ...] = ("seed", "wide")
    features: tuple[str, ...] = RUN_FEATURES  # the first one's results keep the plain file names
    cnn_protocol: str = "modern"
    cnn_epochs: int | None = None
    cnn_backend: str = DEFAULT_BACKEND
    offline: bool = False  # prepare may not download a named scene

    @property
    def scene_name(self) -> str:
        return Path(self.cube).stem if self.cube else self.scene

    @property
    def name(self) -> str:
        frac = f"{self.train_fraction:g}"
        return f"{self.split}-{frac}-s{self.seed}" if (frac, self.seed) != ("0.1", 0) else self.split

    @property
    def data_dir(self) -> Path:
        return self.work / f"{self.scene_name}-{self.name}"

    @property
    def out_dir(self) -> Path:
        return self.results / self.scene_name / self.name

    @property
    def report(self) -> Path:
        # one report per scene, collecting every split run so far (random vs disjoint side by side)
        return self.results / self.scene_name / "REPORT.md"


@dataclass(frozen=True)
class Stage:
    """One `hsbench` subcommand: `args` after `hsbench`, run on `ranks` MPI ranks (1: no mpiexec)."""

    name: str
    args: list[str]
    output: Path  # the stage is done when this exists and the record says it was made by `args`
    ranks: int = 1
    resume: bool = False  # append --resume: an earlier run of this stage left a checkpoint
    # a grid: append --resume only when this checkout last started the stage with these very arguments,
    # since a journal of other ones (another fold seed, say) answers another question
    journaled: bool = False

    @property
    def identity(self) -> str:
        return json.dumps({"args": self.args, "ranks": self.ranks})

    def argv(self) -> list[str]:
        """The command line; mpiexec is looked up only now, so a finished MPI stage never needs it."""
        argv = hsbench_argv() + self.args + (["--resume"] if self.resume else [])
        return [find_mpiexec(), "-n", str(self.ranks), *argv] if self.ranks > 1 else argv


def hsbench_argv() -> list[str]:
    return [sys.executable, "-m", "hsbench"]


def find_mpiexec() -> str:
    # the mpich wheel puts mpiexec beside the interpreter of the venv
    local = Path(sys.executable).parent / "mpiexec"
    found = str(local) if local.exists() else shutil.which("mpiexec")
    if not found:
        raise InputError("mpiexec not found: install the mpich wheel (pip install mpich) or load your MPI module")
    return found


def stages(cfg: RunConfig) -> list[Stage]:
    data, out = cfg.data_dir, cfg.out_dir
    source = ["--cube", cfg.cube, "--gt", cfg.gt] if cfg.cube and cfg.gt else ["--scene", cfg.scene]
    if cfg.offline:
        source.append("--offline")
    prep = ["prepare", *source, "--split", cfg.split, "--train-fraction", str(cfg.train_fraction),
            "--seed", str(cfg.seed), "--out", str(data), *_feature_args(cfg.features), "--force"]
    result = [Stage("prepare", prep, data / "manifest.json")]
    for grid in cfg.grids:
        for features in cfg.features:
            first = features == cfg.features[0]
            # the split seed seeds the folds too: the CNN's spatial CV holds out the very same sub-strips
            grid_args = ["grid", "--data", str(data), "--features", features, "--grid", grid,
                         "--seed", str(cfg.seed)]
            what, tag = (grid, grid) if first else (f"{grid}, {features}", f"{grid}_{slug(features)}")
            serial = out / f"svm_{tag}_serial.json"
            result.append(Stage(f"svm {what} grid, 1 rank (serial)", [*grid_args, "--out", str(serial)], serial,
                                journaled=True))
            if cfg.ranks > 1:
                par = out / f"svm_{tag}_mpi{cfg.ranks}.json"
                result.append(Stage(f"svm {what} grid, {cfg.ranks} MPI ranks", [*grid_args, "--out", str(par)],
                                    par, ranks=cfg.ranks, journaled=True))
    cnn_dir = out / f"cnn_{cfg.cnn_protocol}_{cfg.cnn_backend}"
    # the split seed seeds the CNN too (initialisation, shuffle, validation block), so the spread over
    # seeds includes the network's own randomness
    cnn = ["cnn", "--data", str(data), "--protocol", cfg.cnn_protocol, "--backend", cfg.cnn_backend,
           "--seed", str(cfg.seed), "--out", str(cnn_dir), "--progress", "epoch"]
    if cfg.cnn_epochs:
        cnn += ["--epochs", str(cfg.cnn_epochs)]
    # an earlier run of this stage was interrupted after a checkpoint (or finished: --epochs may extend it)
    resume = _checkpoint_seed(cnn_dir) == cfg.seed  # another seed's checkpoint is another run: train afresh
    result.append(Stage(f"cnn {cfg.cnn_protocol} ({cfg.cnn_backend})", cnn, cnn_dir / "cnn.json", resume=resume))
    return result


def _checkpoint_seed(cnn_dir: Path) -> int | None:
    """The seed of the CNN checkpoint in `cnn_dir` (0 in checkpoints that did not record it), or None.
    A spatially cross-validated run checkpoints per fold: its first fold's tells."""
    for state in (cnn_dir / "checkpoint" / "state.json", cnn_dir / "cv" / "fold-00" / "checkpoint" / "state.json"):
        try:
            return int(json.loads(state.read_text())["config"].get("seed", 0))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def _feature_args(features: tuple[str, ...]) -> list[str]:
    return [arg for f in features for arg in ("--features", f)]


def prepared_as_asked(stage: Stage) -> bool:
    """A prepare stage is done when its manifest exists and holds the feature sets asked for now
    (a directory prepared earlier may hold raw bands only: then it is prepared again, --force)."""
    asked = [a for flag, a in zip(stage.args, stage.args[1:], strict=False) if flag == "--features"]
    try:
        have = json.loads(stage.output.read_text())["fingerprint"]["features"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return ([have] if isinstance(have, str) else have) == asked


def parse_seeds(text: str) -> tuple[int, ...]:
    """Split seeds from "0-4", "0,3,7" or a mix ("0-2,5"), in the order given, each once."""
    seeds: list[int] = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            raise InputError(f"--seeds {text!r}: expected seeds >= 0 as a list and/or ranges lo-hi, "
                             "such as 0-4 or 0,3,7")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        seeds += [s for s in range(lo, hi + 1) if s not in seeds]
    return tuple(seeds)


def run(cfg: RunConfig, seeds: Sequence[int] | None = None) -> Path:
    """Run every stage not yet done, for each split seed (default: cfg.seed), then the report."""
    seeds = tuple(seeds) if seeds is not None else (cfg.seed,)
    check_output_dir(cfg.results, "--results")
    check_output_dir(cfg.work, "--work")
    t_all = time.perf_counter()
    done = _Done(cfg.work / ".hsbench-run-done.json")
    runs = [replace(cfg, seed=seed) for seed in seeds]
    for k, one in enumerate(runs, 1):
        if len(runs) > 1:
            print(f"split seed {one.seed} ({k} of {len(runs)}): {one.data_dir} -> {one.out_dir}", flush=True)
        _run_stages(one, done, f"seed {one.seed}, " if len(runs) > 1 else "")
        one.out_dir.mkdir(parents=True, exist_ok=True)
        # the report paints maps from the split's coordinates: keep them beside the results
        atomic.write_bytes(one.out_dir / "dataset.json", (one.data_dir / "dataset.json").read_bytes())
    scaling = cfg.results / "benchmarks" / "svm_scaling.json"  # the scaling benchmark's, when it was run
    extra = ["--scaling", str(scaling)] if scaling.is_file() else []
    backends = cfg.results / "benchmarks" / "cnn_backends.json"  # this machine's backend benchmark, when it was run
    extra += ["--cnn-backends", str(backends)] if backends.is_file() else []
    fields = cfg.results / "benchmarks" / "field_gap.json"  # the field-coverage diagnosis, when it was run
    extra += ["--fields", str(fields)] if fields.is_file() else []
    report = subprocess.run([*hsbench_argv(), "report", str(cfg.report.parent), "-o", str(cfg.report), *extra])
    if report.returncode != 0:
        raise StageFailed(f"report failed with exit status {report.returncode}", report.returncode)
    for one in runs:
        if len(runs) > 1:
            print(f"split seed {one.seed}:")
        print(summary_table(one.out_dir))
    print(f"all stages done in {time.perf_counter() - t_all:.1f} s; report: {cfg.report}")
    return cfg.report


def _run_stages(cfg: RunConfig, done: _Done, tag: str) -> None:
    todo = stages(cfg)
    for i, stage in enumerate(todo, 1):
        prefix = f"[{tag}{i}/{len(todo)}] {stage.name}"
        if stage.output.exists() and (prepared_as_asked(stage) if stage.name == "prepare" else done.has(stage)):
            print(f"{prefix}: done already ({stage.output})", flush=True)
            continue
        if stage.journaled and done.started_as(stage):
            stage = replace(stage, resume=True)
        print(f"{prefix}: running", flush=True)
        t0 = time.perf_counter()
        argv = stage.argv()
        done.start(stage)
        returncode = _wait_for(argv)
        if returncode != 0:
            raise StageFailed(f"{stage.name} failed with exit status {returncode}: {' '.join(argv)}", returncode)
        done.add(stage)
        print(f"{prefix}: finished in {time.perf_counter() - t0:.1f} s", flush=True)


class _Done:
    """Stages that `hsbench run` itself finished (and started) in this checkout: output path -> stage identity.

    A results file alone does not mark a stage done: the reference results
    committed in results/ would otherwise make `hsbench run` on a fresh clone skip
    every stage instead of measuring this machine; and a stage asked with other
    arguments (say `--cnn-epochs 200`) must run again. The record lives beside the
    prepared data (not committed); prepare itself is done when its manifest exists.
    """

    def __init__(self, path: Path):
        self.path = path
        self.outputs, self.started = self._read("outputs"), self._read("started")

    def _read(self, part: str) -> dict[str, str]:
        try:
            return {str(k): str(v) for k, v in json.loads(self.path.read_text())[part].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def has(self, stage: Stage) -> bool:
        return self.outputs.get(str(stage.output)) == stage.identity

    def started_as(self, stage: Stage) -> bool:
        """This checkout last started the stage with the same arguments (its journal is theirs)."""
        return self.started.get(str(stage.output)) == stage.identity

    def start(self, stage: Stage) -> None:
        self.started[str(stage.output)] = stage.identity
        self._write()

    def add(self, stage: Stage) -> None:
        self.outputs[str(stage.output)] = stage.identity
        self._write()

    def _write(self) -> None:
        atomic.write_json(self.path, {"outputs": self.outputs, "started": self.started})


def _wait_for(argv: list[str]) -> int:
    """Run one stage. On Ctrl-C the stage got the same SIGINT and is saving its state (the CNN
    finishes its epoch and checkpoints), so wait for it instead of killing it, then re-raise.
    A SIGTERM to `hsbench run` (a batch system's time limit) is passed on the same way, so no
    stage is left running on its own to race a restarted run."""
    proc = subprocess.Popen(argv)

    def forward(signum: int, frame: object) -> None:
        proc.send_signal(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.wait()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


class StageFailed(RuntimeError):
    def __init__(self, message: str, returncode: int):
        super().__init__(message)
        self.returncode = returncode


def summary_table(out_dir: Path) -> str:
    """Plain-text table of every result in `out_dir`: method, OA, AA, kappa, time."""
    rows = [("method", "test OA", "AA", "kappa", "seconds")]
    for path in sorted(out_dir.rglob("*.json")):
        r = json.loads(path.read_text())
        if r.get("kind") not in ("svm_grid", "cnn") or not r.get("test"):
            continue
        t = r["test"]
        secs = r.get("wall_seconds") if r["kind"] == "svm_grid" else r.get("train_seconds")
        rows.append((str(path.relative_to(out_dir).with_suffix("")), f"{100 * t['oa']:.2f}%",
                     f"{100 * t['aa']:.2f}%", f"{t['kappa']:.4f}", f"{secs:.1f}" if secs is not None else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
