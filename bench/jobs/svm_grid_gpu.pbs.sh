#!/bin/bash
# One GPU per rank under PBS: thundersvm (CUDA build), device = node-local rank mod GPU count.
# Submit from the project root: qsub -v DATA=runs/ip bench/jobs/svm_grid_gpu.pbs.sh
#PBS -N hsbench-grid-gpu
#PBS -l select=1:ncpus=16:ngpus=4:mpiprocs=4
#PBS -l walltime=01:00:00
#PBS -j oe
set -euo pipefail
cd "${PBS_O_WORKDIR:-.}"
DATA=${DATA:-runs/ip}
OUT=${OUT:-results/svm_grid-gpu-${PBS_JOBID%%.*}.json}
mpiexec -n 4 hsbench grid --data "$DATA" --out "$OUT" --grid wide --folds 10 --backend thundersvm \
    --threads 4 --resume --quiet
