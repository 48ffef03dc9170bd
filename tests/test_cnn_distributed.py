"""The CNN as several processes (srun, mpiexec): 2 local CPU processes with jax.distributed (gloo collectives).

Oracle: the one-process loss curve. Two processes each feed half of every global batch to
DataParallel over their 2 CPU devices together, so each step equals the one-device step.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hsbench.cnn.distributed import Launch, check_launch, detect_launch
from hsbench.cnn.errors import InputError
from tests.cnn_fixtures import make_window_file
from tests.job_shims import REAL_MPIEXEC, install_shims, shim_env

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ["--epochs", "3", "--batch-size", "12", "--eval-every", "1", "--checkpoint-every", "1", "--progress", "none"]


@pytest.mark.parametrize("env, expected", [
    ({}, Launch()),
    ({"SLURM_NTASKS": "4", "SLURM_PROCID": "0"}, Launch()),  # a batch script's own variables: one process
    ({"SLURM_STEP_NUM_TASKS": "2", "SLURM_PROCID": "1"}, Launch("srun", 2, 1, "slurm")),
    ({"PMI_SIZE": "2", "PMI_RANK": "1"}, Launch("mpiexec (MPICH, Intel MPI)", 2, 1, "mpi4py")),
    ({"OMPI_COMM_WORLD_SIZE": "3", "OMPI_COMM_WORLD_RANK": "2"}, Launch("mpiexec (Open MPI)", 3, 2, "mpi4py")),
    ({"PMI_SIZE": "1", "PMI_RANK": "0"}, Launch()),  # mpiexec -n 1
])
def test_the_launch_is_read_from_the_launchers_variables(env, expected):
    assert detect_launch(env) == expected


def test_a_launch_this_run_cannot_use_is_refused():
    two = Launch("srun", 2, 0, "slurm")
    check_launch(two, "jax", "all")
    check_launch(Launch(), "tensorflow", "1")
    with pytest.raises(InputError, match=r"tensorflow backend trains in one process only.*pip install jax"):
        check_launch(two, "tensorflow", "1")
    with pytest.raises(InputError, match="add --devices all"):
        check_launch(two, "jax", "1")


pytest.importorskip("jax")
needs_mpiexec = pytest.mark.skipif(not REAL_MPIEXEC.is_file(), reason="needs the mpich wheel's mpiexec")


def _hsbench(launcher: list[str], wfile: Path, out: Path, *extra: str, env: dict[str, str] | None = None):
    argv = [*launcher, sys.executable, "-m", "hsbench", "cnn", "--data", str(wfile), "--out", str(out), *extra]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=env or shim_env(out.parent / "no-shims", out.parent / "shims.log"))


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    d = tmp_path_factory.mktemp("dist")
    wfile = make_window_file(d / "w.h5", window=7)
    proc = _hsbench([], wfile, d / "one", "--backend", "jax", "--devices", "1", *TRAIN)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return wfile, json.loads((d / "one" / "cnn.json").read_text())


def _same_curve(a: dict, b: dict) -> None:
    assert len(a["history_rows"]) == len(b["history_rows"])
    for x, y in zip(a["history_rows"], b["history_rows"], strict=True):
        assert y["loss"] == pytest.approx(x["loss"], rel=1e-4, abs=1e-6)
        assert y["val_loss"] == pytest.approx(x["val_loss"], rel=1e-4, abs=1e-6)
    assert b["test"]["predictions"] == a["test"]["predictions"]


@needs_mpiexec
def test_two_mpiexec_processes_train_the_one_process_curve_and_resume_from_one_checkpoint(one_process, tmp_path):
    wfile, one = one_process
    mpi = [str(REAL_MPIEXEC), "-n", "2"]
    out = tmp_path / "two"
    first = _hsbench(mpi, wfile, out, "--backend", "jax", "--devices", "all", *TRAIN[:-4], "--epochs", "2",
                     "--checkpoint-every", "1", "--progress", "none")
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.count("hsbench cnn: seed protocol") == 1  # process 0 alone reports
    # both processes read the same checkpoint and go on to epoch 3
    second = _hsbench(mpi, wfile, out, "--backend", "jax", "--devices", "all", "--resume", *TRAIN)
    assert second.returncode == 0, second.stderr[-3000:]
    two = json.loads((out / "cnn.json").read_text())
    assert two["processes"] == 2 and two["devices"] == 2 and two["resumed_from"] == 2
    _same_curve(one, two)
    # only process 0 wrote: one set of files, no stray temporaries
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint", "cnn.json", "history.csv", "model.keras"]
    assert sorted(p.name for p in (out / "checkpoint").iterdir()) == [
        "epoch-00003.best.npz", "epoch-00003.keras", "state.json"]


@needs_mpiexec
def test_two_srun_tasks_join_through_slurms_variables(one_process, tmp_path):
    wfile, one = one_process
    env = shim_env(install_shims(tmp_path / "shims"), tmp_path / "shims.log", SLURM_JOB_ID=str(40000 + id(tmp_path)
                                                                                                 % 20000))
    proc = _hsbench(["srun", "--ntasks=2"], wfile, tmp_path / "two", "--backend", "jax", "--devices", "all", *TRAIN,
                    env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    two = json.loads((tmp_path / "two" / "cnn.json").read_text())
    assert two["processes"] == 2 and "srun" in proc.stdout + proc.stderr
    _same_curve(one, two)


@needs_mpiexec
@pytest.mark.parametrize("backend, devices", [("tensorflow", "1"), ("jax", "1")])
def test_a_multi_process_launch_it_cannot_use_exits_2_with_one_line_and_writes_nothing(
        one_process, tmp_path, backend, devices):
    wfile, _ = one_process
    out = tmp_path / "out"
    proc = _hsbench([str(REAL_MPIEXEC), "-n", "2"], wfile, out, "--backend", backend, "--devices", devices, *TRAIN)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("hsbench cnn: error:")]
    assert len(errors) == 1 and "launched as 2 processes by mpiexec" in errors[0], proc.stderr[-2000:]
    assert not out.exists()
