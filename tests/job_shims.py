"""Stand-ins for a scheduler's tools, so job scripts and multi-process runs execute for real on one CPU machine.

`srun` starts its command as N tasks of one MPI world through the venv's real `mpiexec` (MPICH,
from the mpich wheel) and gives each task the variables srun would (SLURM_PROCID, SLURM_LOCALID,
SLURM_STEP_NUM_TASKS, SLURM_NTASKS, SLURM_STEP_NODELIST); N is --ntasks/-n, else $SLURM_NTASKS.
`mpiexec` is the real one. `nvidia-smi` answers as on a node without a GPU. Each logs its
command line to $SHIM_LOG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
REAL_MPIEXEC = VENV_BIN / "mpiexec"

SRUN = r"""#!/bin/bash
echo "srun $*" >> "$SHIM_LOG"
n=${SLURM_NTASKS:-1}
while [[ $# -gt 0 && $1 == -* ]]; do
  case $1 in
    --ntasks=*) n=${1#*=} ;;
    -n) n=$2; shift ;;
    -N) shift ;;
  esac
  shift
done
exec "__MPIEXEC__" -n "$n" bash -c 'export SLURM_PROCID=$PMI_RANK SLURM_LOCALID=$PMI_RANK \
  SLURM_STEP_NUM_TASKS=$PMI_SIZE SLURM_NTASKS=$PMI_SIZE SLURM_STEP_NODELIST=localhost; exec "$@"' srun-task "$@"
"""

MPIEXEC = r"""#!/bin/bash
echo "mpiexec $*" >> "$SHIM_LOG"
exec "__MPIEXEC__" "$@"
"""

NVIDIA_SMI = r"""#!/bin/bash
echo "nvidia-smi $*" >> "$SHIM_LOG"
echo "No devices were found"
exit 6
"""


def install_shims(directory: Path) -> Path:
    """Write the three shims into `directory` (executable); return it, to put first on PATH."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (("srun", SRUN), ("mpiexec", MPIEXEC), ("nvidia-smi", NVIDIA_SMI)):
        path = directory / name
        path.write_text(text.replace("__MPIEXEC__", str(REAL_MPIEXEC)))
        path.chmod(0o755)
    return directory


def shim_env(shims: Path, log: Path, **extra: str) -> dict[str, str]:
    """The environment of a job on CPU: shims first on PATH, then the venv, no launcher variables inherited."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLURM_", "PBS_", "PMI_", "OMPI_", "PMIX_"))}
    env.update(PATH=f"{shims}:{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}", SHIM_LOG=str(log),
               JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="2", **extra)
    return env
