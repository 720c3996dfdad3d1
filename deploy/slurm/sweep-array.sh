#!/bin/bash
# A clustersim sweep as a Slurm job array: one array task per shard.
#
# Slurm gives each task SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT; clustersim takes the
# runs whose index % COUNT == (TASK_ID − SLURM_ARRAY_TASK_MIN), so `--array=0-2` and
# `--array=1-3` both make three shards. Each task writes its own folder under RESULTS (a file
# system every node sees); a task that fails or is requeued resumes its shard, skipping the
# runs already finished. Submit the array, then the merge once every task is done:
#
#   jobid=$(sbatch --parsable deploy/slurm/sweep-array.sh)
#   sbatch --dependency=afterok:$jobid --wrap \
#     'clustersim sweep-merge results/spot-mix results/spot-mix-shard-*'
#
# Run it from the repository root (the sweep file names its base experiment relative to
# itself), with clustersim on PATH (`cargo install --path .`, or set CLUSTERSIM below).
#
#SBATCH --job-name=clustersim-sweep
#SBATCH --array=0-2
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --requeue
#SBATCH --output=slurm-%A_%a.out

set -euo pipefail

SWEEP=${SWEEP:-experiments/sweeps/spot-mix.ron}
RESULTS=${RESULTS:-results}
CLUSTERSIM=${CLUSTERSIM:-clustersim}
NAME=$(basename "$SWEEP" .ron)

# --jobs: one single-threaded simulation per CPU Slurm gave this task.
exec "$CLUSTERSIM" sweep "$SWEEP" \
  --out "$RESULTS/$NAME-shard-$SLURM_ARRAY_TASK_ID" \
  --jobs "${SLURM_CPUS_PER_TASK:-1}" \
  --quiet
