"""Run as a script by node_loss_test.py: a two-node cluster loses its worker.

It needs a Ray instance of its own (ray.cluster_utils.Cluster), which cannot
share a process with the test session's instance. Prints one line: RESULT
and a JSON object.
"""

import json
import sys
import time

import numpy as np
import ray
from ray.cluster_utils import Cluster

from lsi_dist.distribution import LocalPool, Placement
from lsi_dist.distribution.pool import RayPool
from lsi_dist.evaluation import EvaluationSpec


def main():
    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False}
    )
    try:
        worker = cluster.add_node(num_cpus=2)
        ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
        latents = (
            np.random.default_rng(3).standard_normal((600, 128)).astype(np.float32)
        )
        expected = np.column_stack(LocalPool(EvaluationSpec()).evaluate(latents))
        pool = RayPool(
            EvaluationSpec(repeats=40),
            Placement(device="cpu", num_actors=2),
            start_timeout_s=60,
            rescan_s=0.0,
        )
        first_nodes = {entry["node_id"] for entry in pool.describe()}
        batch = pool.submit(latents)

        # The worker node goes away mid-batch and another joins (Cluster must
        # be driven from the main thread, so the join comes before collect).
        time.sleep(0.3)
        start = time.perf_counter()
        cluster.remove_node(worker, allow_graceful=False)
        cluster.add_node(num_cpus=2)
        got = np.column_stack(pool.collect(batch))
        recovery_s = time.perf_counter() - start
        pool._await_starts(all_of_them=True)
        after = pool.describe()
        again = np.column_stack(pool.evaluate(latents))
        result = {
            "equal": bool(np.array_equal(got, expected)),
            "equal_after": bool(np.array_equal(again, expected)),
            "replaced": pool.replaced,
            "actors_after": len(after),
            "moved_node": not ({e["node_id"] for e in after} & first_nodes),
            "recovery_s": recovery_s,
        }
        pool.close()

        # A pool sized to the cluster grows into a node that joins mid-run.
        growing = RayPool(EvaluationSpec(), Placement(device="cpu"), rescan_s=0.0)
        before = growing.num_actors
        cluster.add_node(num_cpus=2)
        grown = np.column_stack(growing.evaluate(latents))
        deadline = time.monotonic() + 90
        while growing.num_actors < 4 and time.monotonic() < deadline:
            grown = np.column_stack(growing.evaluate(latents))  # adopts new actors
            time.sleep(0.5)
        result["grew"] = [before, growing.num_actors]
        result["equal_grown"] = bool(np.array_equal(grown, expected))
        growing.close()
        print("RESULT " + json.dumps(result))
    finally:
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    sys.exit(main())
