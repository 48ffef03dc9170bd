#!/bin/bash
# Multi-node CPU SVM grid: one MPI rank per core, tasks pulled dynamically.
# Submit from the project root: sbatch bench/jobs/svm_grid_cpu.slurm.sh [DATA_DIR] [OUT]
# Environment (optional): FOLDS (default 10); GAMMA and C, values overriding the wide grid (e.g. 1,2).
#SBATCH --job-name=hsbench-grid
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=32
#SBATCH --cpus-per-task=1
#SBATCH --time=02:00:00
#SBATCH --output=hsbench-grid-%j.log
set -euo pipefail
DATA=${1:-runs/ip}
OUT=${2:-results/svm_grid-cpu-${SLURM_JOB_ID}.json}
GRID=(--grid wide --folds "${FOLDS:-10}")
[ -n "${GAMMA:-}" ] && GRID+=(--gamma "$GAMMA")
[ -n "${C:-}" ] && GRID+=(--C "$C")
# libsvm is single-threaded; keep BLAS (kernel matrices) from oversubscribing cores
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# --resume: a requeued job continues from the journal beside $OUT
srun hsbench grid --data "$DATA" --out "$OUT" "${GRID[@]}" --backend sklearn --resume --quiet
