#!/bin/bash
# One GPU per rank: thundersvm (CUDA build) on each rank, device = rank on its node.
# Submit from the project root: sbatch bench/jobs/svm_grid_gpu.slurm.sh [DATA_DIR] [OUT]
# Environment (optional): FOLDS (default 10); GAMMA and C, values overriding the wide grid.
#SBATCH --job-name=hsbench-grid-gpu
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=4
#SBATCH --gres=gpu:4
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
#SBATCH --output=hsbench-grid-gpu-%j.log
set -euo pipefail
DATA=${1:-runs/ip}
OUT=${2:-results/svm_grid-gpu-${SLURM_JOB_ID}.json}
GRID=(--grid wide --folds "${FOLDS:-10}")
[ -n "${GAMMA:-}" ] && GRID+=(--gamma "$GAMMA")
[ -n "${C:-}" ] && GRID+=(--C "$C")
nvidia-smi || true
# every rank sees all GPUs of its node; hsbench grid picks node-local rank mod GPU count
srun hsbench grid --data "$DATA" --out "$OUT" "${GRID[@]}" --backend thundersvm \
    --threads "${SLURM_CPUS_PER_TASK}" --resume --quiet
