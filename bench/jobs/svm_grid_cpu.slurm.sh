#!/bin/bash
# Multi-node CPU SVM grid: one MPI rank per core, tasks pulled dynamically.
# Submit from the project root: sbatch bench/jobs/svm_grid_cpu.slurm.sh [DATA_DIR] [OUT]
#SBATCH --job-name=hsbench-grid
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=32
#SBATCH --cpus-per-task=1
#SBATCH --time=02:00:00
#SBATCH --output=hsbench-grid-%j.log
set -euo pipefail
DATA=${1:-runs/ip}
OUT=${2:-results/svm_grid-cpu-${SLURM_JOB_ID}.json}
# libsvm is single-threaded; keep BLAS (kernel matrices) from oversubscribing cores
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# --resume: a requeued job continues from the journal beside $OUT
srun hsbench grid --data "$DATA" --out "$OUT" --grid wide --folds 10 --backend sklearn --resume --quiet
