#!/usr/bin/env bash
# The reference experiment on one GPU: the plain pyribs loop against
# `lsi-dist run` with GPU actors (the default two groups, one group, and five
# groups over two actors sharing the GPU), and the same table
# as the CPU benchmark. Run it on a machine with a CUDA GPU, from the repo:
#   bash scripts/gpu_benchmark.sh [ITERATIONS]     # default 30000
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
"$python" -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU here'; print('GPU:', torch.cuda.get_device_name(0))"
"$python" scripts/throughput_benchmark.py --iterations "${1:-30000}" --rounds 1 \
  --variant device=gpu \
  --variant device=gpu,groups=1 \
  --variant device=gpu,groups=5,actors_per_gpu=2
