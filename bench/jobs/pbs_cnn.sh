#!/bin/bash
# hsbench CNN on GPU nodes (PBS/Torque, like the seed's job_small.sh), JAX backend. Submit from the
# repository root:
#   qsub -v DATA=runs/ip bench/jobs/pbs_cnn.sh
#   qsub -l nodes=4:ppn=8:gpus=1 -v DATA=runs/ip bench/jobs/pbs_cnn.sh   # one data-parallel run over 4 nodes
# mpiexec starts one `hsbench cnn` per node; with more than one they join jax.distributed
# (addresses exchanged over MPI: mpi4py must be built for the site's MPI) and train one model
# over every GPU of every node (process 0 writes). -ppn is MPICH/Intel MPI syntax; Open MPI:
# --map-by ppr:1:node.
# Environment: DATA prepared directory (hsbench prepare); OUT results directory, on a filesystem
# every node sees; PROTOCOL modern|seed; EPOCHS the epoch budget (default: the protocol's); VENV.
#PBS -N hsbench-cnn
#PBS -l nodes=1:ppn=8:gpus=1
#PBS -l walltime=04:00:00
#PBS -j oe
set -euo pipefail
cd "$PBS_O_WORKDIR"

DATA=${DATA:-runs/ip}
OUT=${OUT:-$PBS_O_WORKDIR/results/cnn_${PBS_JOBID%%.*}}
PROTOCOL=${PROTOCOL:-modern}
EPOCHS=${EPOCHS:-}
NODES=$(sort -u "$PBS_NODEFILE" | wc -l)

# Environment: a venv with hsbench and jax[cuda12].
# module load Python CUDA   # site-specific
source "${VENV:-$PBS_O_WORKDIR/.venv}/bin/activate"
export KERAS_BACKEND=jax
nvidia-smi || true

# Stage the prepared dataset to node-local scratch on every node (windows.h5 is read every epoch).
# hsbench cnn accepts only a finished dataset directory: manifest.json comes along, copied last.
export DATA SCRATCH=${TMPDIR:-/tmp}/hsbench_${PBS_JOBID%%.*}
mpiexec -n "$NODES" -ppn 1 bash -c \
    'mkdir -p "$SCRATCH/data" && cp "$DATA/windows.h5" "$DATA/dataset.json" "$SCRATCH/data/" &&
     cp "$DATA/manifest.json" "$SCRATCH/data/"'

ARGS=(--protocol "$PROTOCOL" --backend jax --devices all --checkpoint-every 10 --progress epoch)
[ -f "$OUT/checkpoint/state.json" ] && ARGS+=(--resume)
[ -n "$EPOCHS" ] && ARGS+=(--epochs "$EPOCHS")
mpiexec -n "$NODES" -ppn 1 hsbench cnn --data "$SCRATCH/data" --out "$OUT" "${ARGS[@]}"

mpiexec -n "$NODES" -ppn 1 rm -rf "$SCRATCH"
echo "Results in $OUT (cnn.json, model.keras, history.csv)"
