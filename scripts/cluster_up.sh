#!/usr/bin/env bash
# Brings the Ray cluster of cluster.yaml up, with token authentication.
# The token is made once, kept in ~/.ray/lsi_dist_cluster_token (mode 600),
# copied to every node by cluster.yaml's file_mounts, and used by this
# machine for `ray job submit` and the dashboard tunnel.
#   bash scripts/cluster_up.sh [cluster.yaml]
set -euo pipefail
config=${1:-cluster.yaml}
token_file=~/.ray/lsi_dist_cluster_token
if [ ! -s "$token_file" ]; then
  mkdir -p ~/.ray
  umask 077
  python3 -c "import secrets; print(secrets.token_hex(32))" > "$token_file"
fi
ray up -y "$config"
echo "Cluster up. Dashboard (SSH tunnel): ray dashboard $config"
echo "Submit a run:                      bash scripts/cluster_submit.sh --iterations 30000"
