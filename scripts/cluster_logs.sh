#!/usr/bin/env bash
# Follows a cluster job's log (job id as printed by cluster_submit.sh).
#   bash scripts/cluster_logs.sh raysubmit_XXXX
set -euo pipefail
export RAY_AUTH_MODE=token
export RAY_AUTH_TOKEN_PATH=${RAY_AUTH_TOKEN_PATH:-~/.ray/lsi_dist_cluster_token}
export RAY_ADDRESS=${RAY_ADDRESS:-http://127.0.0.1:8265}
ray job logs --follow "$1"
