#!/usr/bin/env bash
# Takes the whole cluster down (head and workers). Fetch your runs first.
#   bash scripts/cluster_down.sh [cluster.yaml]
set -euo pipefail
ray down -y "${1:-cluster.yaml}"
