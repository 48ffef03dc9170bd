#!/bin/bash
# One GPU per rank under PBS: thundersvm (CUDA build), device = node-local rank mod GPU count.
# Submit from the project root: qsub -v DATA=runs/ip bench/jobs/svm_grid_gpu.pbs.sh
# Environment (optional): OUT; FOLDS (default 10); GAMMA and C, values overriding the wide grid.
#PBS -N hsbench-grid-gpu
#PBS -l select=1:ncpus=16:ngpus=4:mpiprocs=4
#PBS -l walltime=01:00:00
#PBS -j oe
set -euo pipefail
cd "${PBS_O_WORKDIR:-.}"
DATA=${DATA:-runs/ip}
OUT=${OUT:-results/svm_grid-gpu-${PBS_JOBID%%.*}.json}
GRID=(--grid wide --folds "${FOLDS:-10}")
[ -n "${GAMMA:-}" ] && GRID+=(--gamma "$GAMMA")
[ -n "${C:-}" ] && GRID+=(--C "$C")
nvidia-smi || true
# one rank per GPU (mpiprocs=4 lines in PBS_NODEFILE), 4 of the 16 cores each
NP=$(wc -l < "$PBS_NODEFILE")
mpiexec -n "$NP" hsbench grid --data "$DATA" --out "$OUT" "${GRID[@]}" --backend thundersvm \
    --threads 4 --resume --quiet
