import pytest

from lsi_dist.distribution.sharding import plan_shards


def sizes(plan):
    return [stop - start for _, start, stop in plan]


def test_shards_are_contiguous_and_cover_the_batch():
    for rows in (0, 1, 15, 16, 33, 150, 151, 1500):
        for actors in (1, 2, 3, 7):
            plan = plan_shards(rows, [1.0] * actors)
            assert sum(sizes(plan)) == rows
            if rows == 0:
                assert plan == []
                continue
            starts = [start for _, start, _ in plan]
            stops = [stop for _, _, stop in plan]
            assert starts == [0] + stops[:-1]
            assert all(size >= 16 for size in sizes(plan)) or len(plan) == 1


def test_equal_speeds_give_balanced_shards():
    assert sizes(plan_shards(150, [1, 1])) == [75, 75]
    assert sizes(plan_shards(151, [1, 1, 1])) == [51, 50, 50]


def test_small_batches_use_fewer_actors():
    assert len(plan_shards(40, [1, 1, 1])) == 2
    assert len(plan_shards(1, [1, 1, 1])) == 1


def test_shards_follow_measured_speed():
    plan = plan_shards(300, [1.0, 2.0])
    assert sizes(plan) == [100, 200]
    # An actor too slow to earn 16 rows is left out.
    assert plan_shards(150, [1.0, 100.0]) == [(1, 0, 150)]


def test_needs_an_actor():
    with pytest.raises(ValueError):
        plan_shards(10, [])
