#!/bin/bash
#SBATCH --job-name=merge-week-3
#SBATCH --time=00:15:00
# Starts once every task of slurm-grade.sh has succeeded (sbatch --dependency=afterok:JOBID).
set -euo pipefail
. .venv/bin/activate
katas grade --merge shards/shard-* --out graded
