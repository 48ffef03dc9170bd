#!/bin/bash
# hsbench CNN on GPU nodes (Slurm), JAX backend. Submit from the repository root:
#   sbatch --export=ALL,DATA=runs/ip bench/jobs/slurm_cnn.sh
#   sbatch --nodes=4 --export=ALL,DATA=runs/ip bench/jobs/slurm_cnn.sh   # one data-parallel run over 4 nodes
# One task per node: srun starts one `hsbench cnn` per node; with more than one they join
# jax.distributed and train one model over every GPU of every node (process 0 writes).
# Environment: DATA prepared directory (hsbench prepare); OUT results directory, on a filesystem
# every node sees (the checkpoint is read by all processes on resume); PROTOCOL modern|seed;
# EPOCHS the epoch budget (default: the protocol's); VENV the virtual environment.
#SBATCH --job-name=hsbench-cnn
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=8
#SBATCH --gres=gpu:1
#SBATCH --time=04:00:00
#SBATCH --output=hsbench-cnn-%j.out
set -euo pipefail
cd "$SLURM_SUBMIT_DIR"

DATA=${DATA:-runs/ip}
OUT=${OUT:-$SLURM_SUBMIT_DIR/results/cnn_${SLURM_JOB_ID}}
PROTOCOL=${PROTOCOL:-modern}
EPOCHS=${EPOCHS:-}
NODES=${SLURM_JOB_NUM_NODES:-1}

# Environment: a venv with hsbench and jax[cuda12] (TensorFlow is not needed on GPU nodes).
# module load Python CUDA   # site-specific
source "${VENV:-$SLURM_SUBMIT_DIR/.venv}/bin/activate"
export KERAS_BACKEND=jax
nvidia-smi || true

# Stage the prepared dataset to node-local scratch on every node (windows.h5 is read every epoch).
# hsbench cnn accepts only a finished dataset directory: manifest.json comes along, copied last.
export DATA SCRATCH=${TMPDIR:-/tmp}/hsbench_${SLURM_JOB_ID}
srun --nodes="$NODES" --ntasks="$NODES" --ntasks-per-node=1 bash -c \
    'mkdir -p "$SCRATCH/data" && cp "$DATA/windows.h5" "$DATA/dataset.json" "$SCRATCH/data/" &&
     cp "$DATA/manifest.json" "$SCRATCH/data/"'

# Resumes from OUT/checkpoint when a previous job was cut off (time limit sends SIGTERM first).
ARGS=(--protocol "$PROTOCOL" --backend jax --devices all --checkpoint-every 10 --progress epoch)
[ -f "$OUT/checkpoint/state.json" ] && ARGS+=(--resume)
[ -n "$EPOCHS" ] && ARGS+=(--epochs "$EPOCHS")
srun hsbench cnn --data "$SCRATCH/data" --out "$OUT" "${ARGS[@]}"

srun --nodes="$NODES" --ntasks="$NODES" --ntasks-per-node=1 rm -rf "$SCRATCH"
echo "Results in $OUT (cnn.json, model.keras, history.csv)"
