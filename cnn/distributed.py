"""Several processes, one training run: who launched them, which one this is, and JAX's distributed runtime.

`srun` with more than one task or `mpiexec -n N` starts N copies of `hsbench cnn`. With the JAX
backend and `--devices all` they form one data-parallel run: every process calls
`jax.distributed.initialize()` before Keras builds anything, `keras.distribution.DataParallel`
then spans the devices of every process, each process feeds its own slice of every global batch,
and only process 0 writes (results, history, checkpoints, the model). Every process reads the same
checkpoint to resume, so OUT must be on a filesystem all nodes see.

How JAX learns the coordinator's address, the process count and this process's index: under
Slurm from srun's environment (JAX's own Slurm detection); under mpiexec from MPI itself
(mpi4py, built against the MPI that launched it), which works for MPICH, Intel MPI and Open MPI.

No keras import here: the launch is checked before anything is trained or written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from hsbench.cnn.errors import InputError

# (launcher, variable with the number of processes, variable with this process's index, JAX's detection method)
LAUNCHERS = (
    ("srun", "SLURM_STEP_NUM_TASKS", "SLURM_PROCID", "slurm"),
    ("mpiexec (Open MPI)", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "mpi4py"),
    ("mpiexec (MPICH, Intel MPI)", "PMI_SIZE", "PMI_RANK", "mpi4py"),
)


@dataclass(frozen=True)
class Launch:
    """How this process was started: `count` processes by `launcher`; this one is number `index`."""

    launcher: str | None = None
    count: int = 1
    index: int = 0
    detection: str | None = None  # how jax.distributed finds the others

    @property
    def multi(self) -> bool:
        return self.count > 1

    @property
    def writer(self) -> bool:
        """Process 0 alone writes files and prints."""
        return self.index == 0


def detect_launch(environ: Mapping[str, str] = os.environ) -> Launch:
    """The launch this process belongs to; one process (Launch()) when no launcher says otherwise.

    srun is recognised by SLURM_STEP_NUM_TASKS, which only srun sets: a batch script's own
    SLURM_NTASKS says what the job may start, not how many copies of this command run.
    """
    for launcher, count_var, index_var, detection in LAUNCHERS:
        count = _int(environ.get(count_var))
        if count is not None and count > 1:
            return Launch(launcher, count, _int(environ.get(index_var)) or 0, detection)
    return Launch()


def check_launch(launch: Launch, backend: str, devices: str) -> None:
    """Refuse a multi-process launch this run cannot use, before anything is written."""
    if not launch.multi:
        return
    started = f"launched as {launch.count} processes by {launch.launcher}"
    if backend != "jax":
        raise InputError(f"{started}, but the {backend} backend trains in one process only: use --backend jax "
                         "--devices all (pip install jax; jax[cuda12] on GPUs), or start one process")
    if devices != "all":
        raise InputError(f"{started}: add --devices all (data parallel over the devices of every process), "
                         "or start one process")


def initialize(launch: Launch) -> None:
    """jax.distributed.initialize() for a multi-process launch (once, before any JAX computation)."""
    if not launch.multi:
        return
    import jax

    if jax.distributed.is_initialized():
        return
    if launch.detection == "mpi4py":
        jax.distributed.initialize(cluster_detection_method="mpi4py")
    else:  # Slurm: JAX reads srun's SLURM_* variables itself
        jax.distributed.initialize()
    if jax.process_count() != launch.count:
        raise RuntimeError(f"jax.distributed found {jax.process_count()} processes, {launch.launcher} started "
                           f"{launch.count}")


def agree(launch: Launch, value: int, what: str) -> None:
    """Raise InputError on every process unless all processes hold the same `value` (a collective)."""
    if not launch.multi:
        return
    import numpy as np
    from jax.experimental import multihost_utils

    values = np.asarray(multihost_utils.process_allgather(np.int64(value)))
    if len(set(values.reshape(-1).tolist())) > 1:
        raise InputError(f"the {launch.count} processes disagree on {what}: {values.reshape(-1).tolist()} "
                         "(is OUT on a filesystem every node sees?)")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
