#!/bin/bash
# hsbench CNN on one GPU node (Slurm). Submit from the repository root:
#   sbatch --export=ALL,DATA=runs/ip bench/jobs/slurm_cnn.sh
# DATA: prepared directory (holding windows.h5 and dataset.json); OUT: results directory.
#SBATCH --job-name=hsbench-cnn
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=8
#SBATCH --gres=gpu:1
#SBATCH --time=04:00:00
#SBATCH --output=hsbench-cnn-%j.out
set -euo pipefail

DATA=${DATA:-runs/ip}
OUT=${OUT:-$SLURM_SUBMIT_DIR/results/cnn_${SLURM_JOB_ID}}
PROTOCOL=${PROTOCOL:-modern}

# Environment: a venv with hsbench and jax[cuda12] (TensorFlow is not needed on GPU nodes).
# module load Python CUDA   # site-specific
source "${VENV:-$SLURM_SUBMIT_DIR/.venv}/bin/activate"
export KERAS_BACKEND=jax
nvidia-smi || true

# Stage the window file (and its dataset.json) to node-local scratch: read once per epoch.
SCRATCH=${TMPDIR:-/tmp}/hsbench_${SLURM_JOB_ID}
mkdir -p "$SCRATCH/data"
cp "$DATA/windows.h5" "$SCRATCH/data/"
[ -f "$DATA/dataset.json" ] && cp "$DATA/dataset.json" "$SCRATCH/data/"

# Resumes from OUT/checkpoint when a previous job was cut off (time limit sends SIGTERM first).
RESUME=()
[ -f "$OUT/checkpoint/state.json" ] && RESUME=(--resume)
srun hsbench cnn --data "$SCRATCH/data" --out "$OUT" --protocol "$PROTOCOL" \
    --backend jax --devices all --checkpoint-every 10 --progress epoch "${RESUME[@]}"

rm -rf "$SCRATCH"
echo "Results in $OUT (cnn.json, model.keras, history.csv)"
