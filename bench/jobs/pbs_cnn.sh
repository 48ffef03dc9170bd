#!/bin/bash
# hsbench CNN on one GPU node (PBS/Torque, like the seed's job_small.sh). Submit from the repository root:
#   qsub -v DATA=runs/ip bench/jobs/pbs_cnn.sh
#PBS -N hsbench-cnn
#PBS -l nodes=1:ppn=8:gpus=1
#PBS -l walltime=04:00:00
#PBS -j oe
set -euo pipefail
cd "$PBS_O_WORKDIR"

DATA=${DATA:-runs/ip}
OUT=${OUT:-$PBS_O_WORKDIR/results/cnn_${PBS_JOBID%%.*}}
PROTOCOL=${PROTOCOL:-modern}

# Environment: a venv with hsbench and jax[cuda12].
# module load Python CUDA   # site-specific
source "${VENV:-$PBS_O_WORKDIR/.venv}/bin/activate"
export KERAS_BACKEND=jax
nvidia-smi || true

# Stage the window file to node-local scratch.
SCRATCH=${TMPDIR:-/tmp}/hsbench_${PBS_JOBID%%.*}
mkdir -p "$SCRATCH/data"
cp "$DATA/windows.h5" "$SCRATCH/data/"
[ -f "$DATA/dataset.json" ] && cp "$DATA/dataset.json" "$SCRATCH/data/"

RESUME=()
[ -f "$OUT/checkpoint/state.json" ] && RESUME=(--resume)
hsbench cnn --data "$SCRATCH/data" --out "$OUT" --protocol "$PROTOCOL" \
    --backend jax --devices all --checkpoint-every 10 --progress epoch "${RESUME[@]}"

rm -rf "$SCRATCH"
echo "Results in $OUT (cnn.json, model.keras, history.csv)"
