import pytest

from lsi_dist.distribution.placement import Placement, PlacementError

GPU_NODE = {"CPU": 16, "GPU": 4}
CPU_NODE = {"CPU": 8}


def test_one_actor_per_gpu_by_default():
    placement = Placement()
    assert placement.actor_count(GPU_NODE) == 4
    assert placement.actor_options(GPU_NODE) == {"num_gpus": 1.0, "num_cpus": 0}


def test_fractional_gpus():
    placement = Placement(actors_per_gpu=4)
    assert placement.actor_count(GPU_NODE) == 16
    assert placement.actor_options(GPU_NODE)["num_gpus"] == 0.25


def test_cpu_actors_sized_to_the_cpus():
    assert Placement().actor_count(CPU_NODE) == 8
    # The driver keeps a CPU of its node; a fixed count is taken as asked.
    assert Placement().actor_count(CPU_NODE, driver_cpus=1) == 7
    assert Placement().actor_count({"CPU": 1.0}, driver_cpus=1) == 1
    assert Placement(num_actors=8).actor_count(CPU_NODE, driver_cpus=1) == 8
    assert Placement(cpus_per_actor=2).actor_count(CPU_NODE) == 4
    assert Placement(device="cpu").actor_options(GPU_NODE) == {
        "num_gpus": 0,
        "num_cpus": 1.0,
    }
    assert Placement(num_actors=3).actor_count(CPU_NODE) == 3


def test_gpu_placement_needs_gpus():
    with pytest.raises(PlacementError, match="no GPUs"):
        Placement(device="gpu").actor_count(CPU_NODE)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"device": "tpu"},
        {"num_actors": 0},
        {"actors_per_gpu": 0},
        {"cpus_per_actor": 0},
    ],
)
def test_bad_values_are_refused(kwargs):
    with pytest.raises(PlacementError, match=next(iter(kwargs))):
        Placement(**kwargs)
