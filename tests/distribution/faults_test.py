"""Lost and hung actors: the batch still comes back complete and equal.

Each test runs over both data paths: the local socket channel (actors on the
driver's node, the default) and plain Ray calls (actors on other nodes).
"""

import time

import numpy as np
import pytest
import ray

from lsi_dist.distribution import LocalPool, Placement
from lsi_dist.distribution.pool import RayPool, ShardError
from lsi_dist.evaluation import EvaluationSpec

# A heavier evaluation, so that a shard is still running when it is killed.
HEAVY = EvaluationSpec(repeats=40)


@pytest.fixture(scope="module")
def latents():
    return np.random.default_rng(2).standard_normal((600, 128)).astype(np.float32)


@pytest.fixture(params=[True, False], ids=["channel", "ray-calls"])
def local_channels(request):
    return request.param


@pytest.fixture(scope="module")
def expected(latents):
    return np.column_stack(LocalPool(EvaluationSpec()).evaluate(latents))


def test_actor_killed_mid_batch(ray_session, latents, expected, local_channels):
    with RayPool(
        HEAVY, Placement(device="cpu", num_actors=2), local_channels=local_channels
    ) as pool:
        assert {info["data_path"] for info in pool.describe()} == {
            "local socket" if local_channels else "ray"
        }
        pool.evaluate(latents[:32])  # both actors warm
        batch = pool.submit(latents)
        victim = batch.shards[0].slot
        ray.kill(victim.handle, no_restart=True)
        got = np.column_stack(pool.collect(batch))
        np.testing.assert_array_equal(got, expected)
        assert pool.replaced == 1
        assert victim not in pool._live
        # The replacement joins, and the pool is back to two actors.
        pool._await_starts(all_of_them=True)
        assert pool.num_actors == 2
        np.testing.assert_array_equal(np.column_stack(pool.evaluate(latents)), expected)


def test_every_actor_killed(ray_session, latents, expected, local_channels):
    with RayPool(
        HEAVY, Placement(device="cpu", num_actors=2), local_channels=local_channels
    ) as pool:
        batch = pool.submit(latents)
        for shard in batch.shards:
            ray.kill(shard.slot.handle, no_restart=True)
        np.testing.assert_array_equal(np.column_stack(pool.collect(batch)), expected)
        assert pool.replaced == 2


def test_hung_actor_is_caught_by_the_timeout(
    ray_session, latents, expected, local_channels
):
    with RayPool(
        EvaluationSpec(),
        Placement(device="cpu", num_actors=2),
        call_timeout_s=3.0,
        local_channels=local_channels,
    ) as pool:
        pool.evaluate(latents[:32])
        hung = pool._live[0]
        # Shards queue behind this; over the channel, which is not ordered
        # with Ray calls, only once the sleep has begun.
        hung.handle.sleep.remote(60)
        time.sleep(1.0)
        got = np.column_stack(pool.evaluate(latents))
        np.testing.assert_array_equal(got, expected)
        assert hung not in pool._live and pool.replaced == 1


def test_retries_are_bounded(ray_session, latents, local_channels):
    with RayPool(
        HEAVY,
        Placement(device="cpu", num_actors=1),
        max_retries=0,
        local_channels=local_channels,
    ) as pool:
        batch = pool.submit(latents[:64])
        ray.kill(batch.shards[0].slot.handle, no_restart=True)
        with pytest.raises(ShardError, match="more than max_retries=0"):
            pool.collect(batch)
