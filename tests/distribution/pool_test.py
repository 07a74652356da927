"""The Ray pool on the session's local Ray instance."""

import os
import subprocess
import sys

import numpy as np
import pytest

from lsi_dist.distribution import LocalPool, Placement
from lsi_dist.distribution.pool import ActorStartError, RayPool, ShardError
from lsi_dist.evaluation import EvaluationSpec

SPEC = EvaluationSpec()


@pytest.fixture(scope="module")
def latents():
    return np.random.default_rng(1).standard_normal((151, 128)).astype(np.float32)


@pytest.fixture(scope="module")
def local():
    return LocalPool(SPEC)


@pytest.fixture(scope="module")
def pools(ray_session):
    made = {n: RayPool(SPEC, Placement(device="cpu", num_actors=n)) for n in (1, 2, 3)}
    yield made
    for pool in made.values():
        pool.close()


@pytest.mark.parametrize("rows", [0, 1, 151])
def test_batches_of_any_size_match_in_process(pools, local, latents, rows):
    expected = local.evaluate(latents[:rows])
    objective, measures = pools[3].evaluate(latents[:rows])
    assert objective.shape == (rows,) and measures.shape == (rows, 2)
    np.testing.assert_array_equal(objective, expected[0])
    np.testing.assert_array_equal(measures, expected[1])


def test_bitwise_equal_for_1_2_and_3_actors(pools, local, latents):
    expected = np.column_stack(local.evaluate(latents))
    for count, pool in pools.items():
        assert pool.num_actors == count
        got = np.column_stack(pool.evaluate(latents))
        np.testing.assert_array_equal(got, expected, err_msg=f"{count} actors")


def test_order_kept_with_uneven_shards(pools, local, latents):
    pool = pools[3]
    # Unequal speeds give shards of unequal sizes.
    for slot, speed in zip(pool._live, (1000.0, 2000.0, 3000.0)):
        slot.speed = speed
    batch = pool.submit(latents)
    sizes = [shard.stop - shard.start for shard in batch.shards]
    assert len(set(sizes)) == 3, sizes
    np.testing.assert_array_equal(
        np.column_stack(pool.collect(batch)), np.column_stack(local.evaluate(latents))
    )


def test_several_batches_in_flight_come_back_in_their_own_order(pools, local, latents):
    pool = pools[2]
    parts = [latents[:50], latents[50:], latents[10:140]]
    pending = [pool.submit(part) for part in parts]
    for part, batch in reversed(list(zip(parts, pending))):
        np.testing.assert_array_equal(pool.collect(batch)[0], local.evaluate(part)[0])


def test_a_batch_goes_whole_to_an_idle_actor_while_the_others_are_busy(
    pools, local, latents
):
    pool = pools[3]
    first = pool.submit(latents)  # split over all three idle actors
    assert len(first.shards) == 3
    second = pool.submit(latents[:100])  # every actor busy: one shard
    assert len(second.shards) == 1
    pool.collect(first)
    third = pool.submit(latents[:120])  # two idle actors, one busy with `second`
    assert len(third.shards) == 2
    assert all(shard.slot is not second.shards[0].slot for shard in third.shards)
    for batch, rows in ((second, 100), (third, 120)):
        np.testing.assert_array_equal(
            np.column_stack(pool.collect(batch)),
            np.column_stack(local.evaluate(latents[:rows])),
        )


def test_local_actors_get_the_socket_channel_unless_turned_off(ray_session, latents):
    with RayPool(SPEC, Placement(device="cpu", num_actors=1)) as pool:
        (info,) = pool.describe(refresh=True)
        assert info["data_path"] == "local socket"
        folder = pool._live[0].channel_path.rsplit("/", 1)[0]
        assert pool.evaluate(latents)[0].shape == (151,)
    assert not os.path.exists(folder)  # removed with the actor
    with RayPool(
        SPEC, Placement(device="cpu", num_actors=1), local_channels=False
    ) as pool:
        assert pool.describe()[0]["data_path"] == "ray"


def test_actors_report_where_they_run(pools):
    info = pools[2].describe()
    assert len(info) == 2
    assert {entry["device"] for entry in info} == {"cpu"}
    assert all(entry["pid"] > 0 and entry["node_id"] for entry in info)
    assert pools[2].last_compute_seconds >= 0


def test_gpu_actors_schedule_on_logical_gpus(ray_session, latents, local):
    with RayPool(SPEC, Placement(device="gpu")) as pool:
        info = pool.describe()
        assert len(info) == 2  # one per logical GPU of the session's instance
        assert sorted(entry["gpu_ids"][0] for entry in info) == ["0", "1"]
        # No CUDA device here, so they compute on the CPU.
        assert {entry["device"] for entry in info} == {"cpu"}
        np.testing.assert_array_equal(
            pool.evaluate(latents)[0], local.evaluate(latents)[0]
        )


def test_fractional_gpus_put_several_actors_on_one_gpu(ray_session):
    with RayPool(SPEC, Placement(device="gpu", actors_per_gpu=2, num_actors=3)) as pool:
        ids = sorted(entry["gpu_ids"][0] for entry in pool.describe())
        assert len(ids) == 3 and len(set(ids)) <= 2


def test_bad_input_is_refused_before_sending(pools):
    with pytest.raises(ValueError, match="128 columns"):
        pools[1].submit(np.zeros((4, 10)))


def test_exception_in_evaluation_names_actor_and_rows(pools):
    batch = pools[2].submit(np.zeros((40, 10), np.float32), validate=False)
    with pytest.raises(
        ShardError,
        match=r"on actor-\d+ \(pid \d+.*rows 0-\d+ of a "
        r"batch of 40: ValueError: latents must have 128 columns",
    ):
        pools[2].collect(batch)
    # The pool is still usable afterwards.
    assert pools[2].evaluate(np.zeros((20, 128)))[0].shape == (20,)


def test_actor_that_cannot_start_gives_a_clear_error(ray_session, tmp_path):
    with pytest.raises(ActorStartError, match="is missing"):
        RayPool(SPEC, Placement(device="cpu", num_actors=1), weights_dir=tmp_path)


def test_needs_ray_initialised():
    # In a fresh process, since this session's Ray is already running.
    code = (
        "from lsi_dist.distribution.pool import RayPool, PoolError\n"
        "from lsi_dist.evaluation import EvaluationSpec\n"
        "try:\n    RayPool(EvaluationSpec())\n"
        "except PoolError as error:\n    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "call lsi_dist.distribution.connect()" in done.stdout, done.stderr
