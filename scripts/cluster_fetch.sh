#!/usr/bin/env bash
# Copies a run folder from the head node back to runs/ on this machine.
#   bash scripts/cluster_fetch.sh lsi-20261203-101500 [cluster.yaml]
set -euo pipefail
run=$1
config=${2:-cluster.yaml}
mkdir -p runs
ray rsync-down "$config" "~/lsi_runs/$run/" "runs/$run/"
echo "Copied to runs/$run"
