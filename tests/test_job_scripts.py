"""The six job scripts in bench/jobs run for real on CPU, and `hsbench report` reads what they write.

Each script's body runs under bash as a scheduler would start it: its variables set (SLURM_JOB_ID,
SLURM_SUBMIT_DIR, PBS_O_WORKDIR, PBS_NODEFILE, TMPDIR ...), srun/mpiexec/nvidia-smi shimmed
(tests/job_shims.py: srun and mpiexec start real MPI processes), a tiny prepared dataset, and the
scripts' own overrides for a short run (EPOCHS=2; GAMMA/C a 2x2 grid, FOLDS=3). The CNN scripts
use the JAX backend as on GPU nodes (here on CPU); the SVM GPU scripts use --backend thundersvm,
for which the thundersvm-cpu wheel stands in. Checking that the options parse is not enough: that
passed while the CNN jobs exited with status 2 before training (manifest.json was not staged).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hsbench.cli import main
from tests.conftest import make_scene
from tests.job_shims import VENV_BIN, install_shims, shim_env

ROOT = Path(__file__).resolve().parents[1]
JOBS = ROOT / "bench" / "jobs"
SCRIPTS = sorted(p.name for p in JOBS.glob("*.sh"))

pytestmark = pytest.mark.skipif(not (VENV_BIN / "activate").is_file() or not (VENV_BIN / "mpiexec").is_file(),
                                reason="needs a venv with the mpich wheel's mpiexec")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A submit directory holding a tiny prepared dataset in runs/ip (the scripts' default DATA)."""
    submit = tmp_path_factory.mktemp("submit")
    cube, gt = make_scene(h=24, w=24, bands=30)
    np.save(submit / "cube.npy", cube)
    np.save(submit / "gt.npy", gt)
    assert main(["prepare", "--cube", str(submit / "cube.npy"), "--gt", str(submit / "gt.npy"), "--window", "7",
                 "--train-fraction", "0.3", "--out", str(submit / "runs" / "ip")]) == 0
    return submit


def test_there_is_a_cpu_and_gpu_script_for_each_scheduler_and_method():
    assert set(SCRIPTS) == {"slurm_cnn.sh", "pbs_cnn.sh", "svm_grid_cpu.slurm.sh", "svm_grid_gpu.slurm.sh",
                            "svm_grid_cpu.pbs.sh", "svm_grid_gpu.pbs.sh"}


def _scheduler_env(script: str, submit: Path, tmp: Path) -> dict[str, str]:
    """What Slurm or PBS sets for the job; 2 MPI ranks for the SVM scripts, 1 node for the CNN ones."""
    ranks = 1 if "cnn" in script else 2
    if "slurm" in script:
        return {"SLURM_JOB_ID": "4242", "SLURM_SUBMIT_DIR": str(submit), "SLURM_JOB_NUM_NODES": "1",
                "SLURM_NTASKS": str(ranks), "SLURM_CPUS_PER_TASK": "1", "TMPDIR": str(tmp / "scratch")}
    nodefile = tmp / "nodefile"
    nodefile.write_text("localhost\n" * ranks)  # one line per MPI process (PBS mpiprocs)
    return {"PBS_JOBID": "4242.pbs-server", "PBS_O_WORKDIR": str(submit), "PBS_NODEFILE": str(nodefile),
            "TMPDIR": str(tmp / "scratch")}


@pytest.mark.parametrize("script", SCRIPTS)
def test_job_script_runs_and_the_report_reads_its_results(script, prepared, tmp_path):
    if "gpu" in script and importlib.util.find_spec("thundersvm") is None:
        pytest.skip("thundersvm (the thundersvm-cpu wheel stands in on CPU) is not installed")
    if "cnn" in script and importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    (tmp_path / "scratch").mkdir()
    log = tmp_path / "shims.log"
    out = tmp_path / "results" / ("cnn" if "cnn" in script else "svm.json")
    env = shim_env(install_shims(tmp_path / "shims"), log, **_scheduler_env(script, prepared, tmp_path),
                   VENV=str(VENV_BIN.parent), EPOCHS="2", GAMMA="1,2", C="1,10", FOLDS="3", OUT=str(out))
    # Slurm's SVM scripts take DATA and OUT as arguments, the others read the environment
    args = ["runs/ip", str(out)] if script.startswith("svm") and "slurm" in script else []
    proc = subprocess.run(["bash", str(JOBS / script), *args], cwd=prepared, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]

    launcher = "srun" if "slurm" in script else "mpiexec"
    calls = log.read_text().splitlines()
    if script != "pbs_cnn.sh":  # that one activates the venv first, whose own mpiexec (the real one) comes first
        assert any(c.startswith(f"{launcher} ") and " hsbench " in f" {c} " for c in calls), calls
    if "gpu" in script or "cnn" in script:
        assert any(c.startswith("nvidia-smi") for c in calls), calls
    if "cnn" in script:
        res = json.loads((out / "cnn.json").read_text())
        assert res["kind"] == "cnn" and res["backend"] == "jax" and res["epochs_run"] == 2
        assert res["processes"] == 1 and res["protocol"] == "modern"
        assert not (tmp_path / "scratch" / "hsbench_4242").exists()  # the staged copy is cleaned up
    else:
        res = json.loads(out.read_text())
        assert res["kind"] == "svm_grid" and res["ranks"] == 2 and res["n_folds"] == 3
        assert res["grid"] == {"gamma": [1.0, 2.0], "C": [1.0, 10.0]}
        assert res["backend"] == ("thundersvm" if "gpu" in script else "sklearn")

    report = tmp_path / "REPORT.md"
    rep = subprocess.run([str(VENV_BIN / "hsbench"), "report", str(tmp_path / "results"), "-o", str(report)],
                         cwd=prepared, env=env, capture_output=True, text=True, timeout=300)
    assert rep.returncode == 0, rep.stderr[-2000:]
    text = report.read_text()
    assert "1 run(s)" in rep.stdout and ("cnn/cnn" in text if "cnn" in script else "`svm.json`" in text)
