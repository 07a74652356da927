#!/usr/bin/env bash
# Submits `lsi-dist run` to the cluster as a Ray job; extra flags pass through.
# Needs `ray dashboard cluster.yaml` running in another terminal: it forwards
# the head's dashboard, which listens on localhost only, to localhost:8265.
#   bash scripts/cluster_submit.sh --iterations 30000 --wait-for-gpus 4
# Environment: RAY_ADDRESS (default http://127.0.0.1:8265), RAY_AUTH_TOKEN_PATH
# (default ~/.ray/lsi_dist_cluster_token), LSI_RUN (the run folder's name),
# LSI_RUNS_ROOT and LSI_PYTHON (on the head; defaults fit cluster.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
export RAY_AUTH_MODE=token
export RAY_AUTH_TOKEN_PATH=${RAY_AUTH_TOKEN_PATH:-~/.ray/lsi_dist_cluster_token}
export RAY_ADDRESS=${RAY_ADDRESS:-http://127.0.0.1:8265}
run=${LSI_RUN:-lsi-$(date +%Y%m%d-%H%M%S)}
# Expanded on the head, not here: the job's entrypoint runs in a shell there.
runs_root=${LSI_RUNS_ROOT:-'$HOME/lsi_runs'}
python=${LSI_PYTHON:-'$HOME/lsi-venv/bin/python'}
# The job runs in a copy of this working tree (on the head, and on every
# worker its actors start on), so the cluster runs exactly this version.
# Ray sets RAY_ADDRESS for the job, so the run joins this cluster.
submit() {
  ray job submit --no-wait \
    --submission-id "$run" \
    --working-dir . \
    --runtime-env-json '{"excludes": [".venv", "runs", ".git", "*.ckpt"], "env_vars": {"PYTHONUNBUFFERED": "1"}}' \
    -- "$python" -m lsi_dist run --no-progress \
    --output "$runs_root/$run" "$@"
}
# Right after `ray up` the head's job agent may not be ready yet.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if out=$(submit "$@" 2>&1); then
    echo "$out"
    break
  fi
  if [ "$attempt" = 10 ] || ! grep -q "No available agent" <<<"$out"; then
    echo "$out" >&2
    exit 1
  fi
  sleep 3
done
echo "Submitted job $run. Follow it: bash scripts/cluster_logs.sh $run"
echo "When it is done:  bash scripts/cluster_fetch.sh $run"
