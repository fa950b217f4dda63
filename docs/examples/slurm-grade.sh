#!/bin/bash
#SBATCH --job-name=grade-week-3
#SBATCH --array=1-2
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
# One array task per shard (1..N), then slurm-merge.sh. Submit from the checkout that holds
# week-3/ and submissions/, on a file system every node sees. Once, on the login node:
#   python3 -m venv .venv && . .venv/bin/activate && pip install torch==2.13.0 && pip install -e ".[dev]"
# then:
#   jobid=$(sbatch --parsable docs/examples/slurm-grade.sh)
#   sbatch --dependency=afterok:$jobid docs/examples/slurm-merge.sh
set -euo pipefail
. .venv/bin/activate
katas grade week-3/assignment.yaml submissions/ --out "shards/shard-$SLURM_ARRAY_TASK_ID" \
    --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" --jobs "$SLURM_CPUS_PER_TASK"
