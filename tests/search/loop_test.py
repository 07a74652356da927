"""Short seeded runs: reproducible across backends, resumable, checkpointed."""

from dataclasses import replace

import numpy as np
import pytest

from lsi_dist.distribution import LocalPool, Placement
from lsi_dist.search import (
    ConfigError,
    LsiRun,
    RunConfig,
    evaluation_spec,
    load_checkpoint,
    prepare_run_dir,
)
from lsi_dist.search.algorithms import warm_up_search


def small_config(tmp_path, name="run", **values):
    values = {
        "cells": [20, 20],
        "iterations": 12,
        "log_every": 4,
        "checkpoint_every": 5,
        "backend": "local",
        "output": str(tmp_path / name),
        **values,
    }
    return RunConfig(**values).validate()


def archive_arrays(archive):
    data = archive.data(["index", "objective", "measures", "solution"])
    order = np.argsort(data["index"])
    return {key: value[order] for key, value in data.items()}


def assert_same_archive(a, b):
    a, b = archive_arrays(a), archive_arrays(b)
    assert len(a["index"]) > 0
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def run_to_end(config, pool=None, checkpoint=None, **kwargs):
    pool = pool or LocalPool(evaluation_spec(config))
    run_dir = config.output if checkpoint else prepare_run_dir(config)
    run = LsiRun(config, pool, run_dir, checkpoint)
    return run, run.run(**kwargs)


@pytest.fixture(scope="module")
def local_pool():
    return LocalPool(evaluation_spec(RunConfig()))


def test_in_process_and_ray_give_the_same_archive(tmp_path, ray_session, local_pool):
    from lsi_dist.distribution.pool import RayPool

    local_run, _ = run_to_end(small_config(tmp_path, "local"), local_pool)
    config = small_config(tmp_path, "ray", backend="ray")
    with RayPool(
        evaluation_spec(config), Placement(device="cpu", num_actors=2)
    ) as pool:
        ray_run, result = run_to_end(config, pool)
    assert result.complete and result.evaluations == 12 * 150
    assert_same_archive(local_run.archive, ray_run.archive)


@pytest.mark.parametrize("groups", [1, 2])
def test_resume_equals_uninterrupted(tmp_path, local_pool, groups):
    whole, _ = run_to_end(small_config(tmp_path, "whole", groups=groups), local_pool)

    config = small_config(tmp_path, "parts", groups=groups)
    stop_at = iter(range(100))
    first, result = run_to_end(
        config, local_pool, should_stop=lambda: next(stop_at) == 6
    )
    assert not result.complete and result.iteration == 7
    checkpoint = load_checkpoint(config.output)
    assert checkpoint.iteration == 7 and checkpoint.pending is not None
    resumed, result = run_to_end(config, local_pool, checkpoint=checkpoint)
    assert result.complete and result.evaluations == 12 * 150
    assert_same_archive(whole.archive, resumed.archive)
    # Metrics rows of the first part past its checkpoint are not duplicated.
    lines = (tmp_path / "parts" / "metrics.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["4", "8", "12"]


@pytest.mark.parametrize("algorithm", ["cma_me", "cma_mae", "map_elites"])
def test_every_algorithm_runs(tmp_path, local_pool, algorithm):
    run, result = run_to_end(small_config(tmp_path, algorithm=algorithm), local_pool)
    assert result.complete
    assert result.figures["archive_size"] > 10
    if algorithm == "cma_mae":
        assert run.search.result_archive is not run.search.archive
        assert run.search.archive.learning_rate == 0.01


@pytest.mark.parametrize(
    "values", [{}, {"algorithm": "cma_mae"}, {"target_digit": None, "groups": 2}]
)
def test_warm_up_leaves_the_run_unchanged(tmp_path, values):
    config = small_config(tmp_path, iterations=3, **values)
    cold_run, _ = run_to_end(config)
    warm_up_search(config)
    warm_run, _ = run_to_end(replace(config, output=str(tmp_path / "warm")))
    assert_same_archive(cold_run.archive, warm_run.archive)


def test_groups_share_one_archive(tmp_path, local_pool):
    run, result = run_to_end(small_config(tmp_path, groups=2), local_pool)
    assert len(run.search.schedulers) == 2
    assert all(s.archive is run.search.archive for s in run.search.schedulers)
    assert result.evaluations == 12 * 150


def test_a_folder_that_holds_a_run_is_refused(tmp_path, local_pool):
    config = small_config(tmp_path, iterations=2)
    run_to_end(config, local_pool)
    with pytest.raises(ConfigError, match="already holds a run"):
        prepare_run_dir(config)


def test_non_finite_results_stop_the_run_with_the_checkpoint_kept(tmp_path):
    class Broken(LocalPool):
        calls = 0

        def collect(self, batch):
            objective, measures = super().collect(batch)
            Broken.calls += 1
            if Broken.calls == 9:
                objective[3] = np.nan
            return objective, measures

    config = small_config(tmp_path, checkpoint_every=4, groups=1)
    with pytest.raises(FloatingPointError, match=r"iteration 8 for rows \[3\]"):
        run_to_end(config, Broken(evaluation_spec(config)))
    assert load_checkpoint(config.output).iteration == 8


@pytest.mark.parametrize("objective", ["product", "constrained"])
def test_realism_objectives_run(tmp_path, objective):
    config = small_config(tmp_path, objective=objective, iterations=4)
    run, result = run_to_end(config, LocalPool(evaluation_spec(config)))
    assert result.complete and result.figures["archive_size"] > 0
    # The objective includes the discriminator, so no elite beats the
    # classifier-only score of the same latent.
    data = run.archive.data(["solution", "objective"])
    plain, _ = LocalPool(evaluation_spec(RunConfig())).evaluate(data["solution"])
    assert (data["objective"] <= plain + 1e-6).all()
    assert (data["objective"] < plain - 1e-3).any()


def test_all_digit_runs_use_a_3d_archive(tmp_path):
    config = small_config(tmp_path, target_digit=None, iterations=4)
    run, _ = run_to_end(config, LocalPool(evaluation_spec(config)))
    assert list(run.archive.dims) == [20, 20, 10]
    digits = run.archive.data("measures")[:, 2]
    assert set(np.unique(digits)) <= set(range(10)) and len(np.unique(digits)) > 3
