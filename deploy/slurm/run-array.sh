#!/usr/bin/env bash
# scheming-evals on SLURM: one array task per shard of the plan (`run --shard I/N`), logs to a
# shared folder; the report once every shard is done:
#   jid=$(sbatch --parsable --array=1-8 deploy/slurm/run-array.sh)
#   sbatch --dependency=afterok:$jid --wrap "scheming-evals report $LOG_ROOT/$RUN -o report"
# The nodes need bwrap to work (`scheming-evals doctor`): unprivileged user namespaces enabled.
#SBATCH --job-name=scheming-evals
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=24:00:00
#SBATCH --output=scheming-evals-%A_%a.out
set -euo pipefail
: "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=1-N}"
: "${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array=1-N}"
MODEL="${MODEL:-openai/gpt-4o}"
CONDITIONS="${CONDITIONS:-full}"
EPOCHS="${EPOCHS:-8}"
RUN="${RUN:-paper-grid}"
LOG_ROOT="${LOG_ROOT:-$PWD/logs}"
exec scheming-evals run --model "$MODEL" --conditions "$CONDITIONS" --epochs "$EPOCHS" \
  --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" --log-dir "$LOG_ROOT/$RUN" \
  --display plain
