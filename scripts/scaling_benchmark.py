"""Benchmark: evaluations/s against the number of actors, for a costly evaluation.

Each latent is evaluated `--work` times over (EvaluationSpec.repeats: the
same results, that many times the compute), batches of `--batch` latents.
For 1 to `--max-actors` CPU actors it prints evaluations/s, the speed-up
over one actor, and the share of each batch's wall time lost to dispatch
(wall time minus the longest compute time inside an actor, over wall time).
Actors beyond the machine's cores share them, which the table shows too.

    cd scripts && python scaling_benchmark.py [--work 8] [--batch 1500] [--max-actors 4]
"""

import argparse
import os

import numpy as np
import ray
from pool_benchmark import measure  # noqa: E402 - a sibling script

from lsi_dist.distribution import Placement
from lsi_dist.distribution.pool import RayPool
from lsi_dist.evaluation import EvaluationSpec


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1500)
    parser.add_argument("--max-actors", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    ray.init(num_cpus=args.max_actors, include_dashboard=False, logging_level="ERROR")
    spec = EvaluationSpec(repeats=args.work)
    latents = (
        np.random.default_rng(0).standard_normal((args.batch, 128)).astype(np.float32)
    )
    print(
        f"batch {args.batch}, each evaluated {args.work} times over; "
        f"{os.cpu_count()} CPU cores"
    )
    print(
        f"{'actors':>6} {'evals/s':>9} {'speed-up':>9} {'ms/batch':>9} "
        f"{'dispatch share':>15}"
    )
    base = None
    for count in range(1, args.max_actors + 1):
        with RayPool(spec, Placement(device="cpu", num_actors=count)) as pool:
            wall, overhead = measure(pool, latents, args.repeats)
        rate = args.batch / wall
        base = base or rate
        print(
            f"{count:>6} {rate:>9,.0f} {rate / base:>9.2f} {wall * 1e3:>9.1f} "
            f"{100 * overhead / wall:>14.1f}%"
        )
    ray.shutdown()


if __name__ == "__main__":
    main()
