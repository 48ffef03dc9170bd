#!/bin/bash
# Multi-node CPU SVM grid under PBS: one MPI rank per core.
# Submit from the project root: qsub -v DATA=runs/ip bench/jobs/svm_grid_cpu.pbs.sh
# Environment (optional): OUT; FOLDS (default 10); GAMMA and C, values overriding the wide grid.
#PBS -N hsbench-grid
#PBS -l select=2:ncpus=32:mpiprocs=32
#PBS -l walltime=02:00:00
#PBS -j oe
set -euo pipefail
cd "${PBS_O_WORKDIR:-.}"
DATA=${DATA:-runs/ip}
OUT=${OUT:-results/svm_grid-cpu-${PBS_JOBID%%.*}.json}
GRID=(--grid wide --folds "${FOLDS:-10}")
[ -n "${GAMMA:-}" ] && GRID+=(--gamma "$GAMMA")
[ -n "${C:-}" ] && GRID+=(--C "$C")
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
NP=$(wc -l < "$PBS_NODEFILE")
mpiexec -n "$NP" hsbench grid --data "$DATA" --out "$OUT" "${GRID[@]}" --backend sklearn --resume --quiet
