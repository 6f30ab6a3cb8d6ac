#!/bin/bash
# DefectStudio batch as a Slurm job array: one array task per shard. Each task reads the whole job file and
# takes the jobs whose stable hash falls in its shard (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT, set by
# Slurm; the array may start at 0 or 1). All tasks write into one folder on the shared file system; the last
# one to finish writes results.jsonl and coco.json (or run `defect-studio merge --out OUT`). A task that is
# killed or requeued resumes: finished jobs are skipped.
#
#   sbatch deploy/slurm/batch-array.sh /shared/jobs.jsonl /shared/out
#   sbatch --array=0-15 deploy/slurm/batch-array.sh /shared/jobs.jsonl /shared/out     (16 shards)
#
# DS_RUN says how to start the CLI on the nodes: a checkout with `npm ci` done (default), or the container
# image from deploy/Dockerfile, e.g. DS_RUN="apptainer exec --bind /shared defect-studio.sif node /app/bin/defect-studio.mjs".
#SBATCH --job-name=defect-studio
#SBATCH --array=0-3
#SBATCH --cpus-per-task=4
#SBATCH --mem=6G
#SBATCH --time=08:00:00
#SBATCH --requeue
#SBATCH --output=defect-studio-%A_%a.log
set -euo pipefail

JOBS=${1:?usage: sbatch batch-array.sh JOBS.jsonl OUT_DIR [extra batch options]}
OUT=${2:?usage: sbatch batch-array.sh JOBS.jsonl OUT_DIR [extra batch options]}
shift 2
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DS_RUN=${DS_RUN:-node $HERE/bin/defect-studio.mjs}
DS_MODEL=${DS_MODEL:-$HERE/public/models/ds-surface-v1}

: "${SLURM_ARRAY_TASK_ID:?run this with sbatch --array (SLURM_ARRAY_TASK_ID is not set)}"
export ORT_DISABLE_TELEMETRY=1

# --threads: onnxruntime uses the CPUs Slurm gave the task, not every core of the node
# shellcheck disable=SC2086  # DS_RUN is a command line
exec $DS_RUN batch --jobs "$JOBS" --model "$DS_MODEL" --out "$OUT" --threads "${SLURM_CPUS_PER_TASK:-1}" --progress json --coco "$@"
