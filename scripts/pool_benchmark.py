"""Benchmark: evaluations/s of the in-process backend and of the Ray pool.

Prints, for batches of 150 and 1,500 latents: evaluations per second of the
in-process backend and of the pool with 1 and 2 CPU actors (over the local
socket channel) and with 1 actor reached by Ray calls, and the pool's
dispatch overhead per batch (its wall time minus the longest compute time
inside an actor for that batch, median over the repeats), and the overhead
per batch when eight batches are in flight on one actor, as in a pipelined
loop (wall time minus the summed compute, per batch). All backends are
measured in one process, in turns, so their ratios hold on a noisy machine.

    python scripts/pool_benchmark.py [--repeats 200]
"""

import argparse
import time

import numpy as np
import ray

from lsi_dist.distribution import LocalPool, Placement
from lsi_dist.distribution.pool import RayPool
from lsi_dist.evaluation import EvaluationSpec


def measure(pool, latents, repeats):
    """Median wall time per batch and median overhead beyond actor compute."""
    for _ in range(5):
        pool.evaluate(latents)
    walls, overheads = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        pool.evaluate(latents)
        wall = time.perf_counter() - start
        walls.append(wall)
        overheads.append(wall - pool.last_compute_seconds)
    return float(np.median(walls)), float(np.median(overheads))


def measure_pipelined(pool, latents, repeats, depth=8):
    """Per-batch overhead with ``depth`` batches in flight on one actor: the
    wall time of a run of batches minus their summed compute, per batch."""
    for _ in range(3):
        pool.evaluate(latents)
    overheads = []
    for _ in range(max(1, repeats // depth)):
        start = time.perf_counter()
        pending = [pool.submit(latents) for _ in range(depth)]
        compute = 0.0
        for batch in pending:
            pool.collect(batch)
            compute += pool.last_compute_seconds
        overheads.append((time.perf_counter() - start - compute) / depth)
    return float(np.median(overheads))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()

    # Four logical CPUs hold the four actors at once; an idle one uses no
    # CPU, so the pool being measured has the machine's cores to itself.
    ray.init(num_cpus=4, include_dashboard=False, logging_level="ERROR")
    spec = EvaluationSpec()
    backends = {"in-process": LocalPool(spec)}
    for count in (1, 2):
        backends[f"pool, {count} actor{'s' * (count > 1)}"] = RayPool(
            spec, Placement(device="cpu", num_actors=count)
        )
    # The same actor reached by Ray calls, as actors on other nodes are.
    backends["pool, 1 actor, Ray calls"] = RayPool(
        spec, Placement(device="cpu", num_actors=1), local_channels=False
    )
    rng = np.random.default_rng(0)

    print(
        f"{'backend':<26} {'batch':>6} {'evals/s':>10} {'ms/batch':>9} "
        f"{'dispatch overhead ms':>21}"
    )
    for batch in (150, 1500):
        latents = rng.standard_normal((batch, 128)).astype(np.float32)
        for name, pool in backends.items():
            repeats = args.repeats if batch == 150 else max(20, args.repeats // 5)
            wall, overhead = measure(pool, latents, repeats)
            shown = "-" if name == "in-process" else f"{overhead * 1e3:.2f}"
            print(
                f"{name:<26} {batch:>6} {batch / wall:>10,.0f} {wall * 1e3:>9.2f} "
                f"{shown:>21}"
            )
    latents = rng.standard_normal((150, 128)).astype(np.float32)
    for name in ("pool, 1 actor", "pool, 1 actor, Ray calls"):
        overhead = measure_pipelined(backends[name], latents, args.repeats)
        print(
            f"{name}, 8 batches of 150 in flight: dispatch overhead "
            f"{overhead * 1e3:.2f} ms per batch"
        )
    for pool in backends.values():
        pool.close()
    ray.shutdown()


if __name__ == "__main__":
    main()
