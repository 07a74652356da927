import pytest

from lsi_dist.search.config import (
    ConfigError,
    RunConfig,
    build_config,
    load_config_file,
)


def test_defaults_are_the_reference_experiment():
    config = RunConfig().validate()
    assert config.algorithm == "cma_me" and config.ranker == "2imp"
    assert config.target_digit == 8
    assert config.cells == [200, 200]
    assert config.boldness_range == [0.0, 784.0]
    assert config.lightness_range == [0.5, 1.0]
    assert (config.emitters, config.batch_size, config.batch_total) == (5, 30, 150)
    assert config.sigma0 == 0.2 and config.x0 == 0.0
    assert config.iterations == 30_000


def test_flags_win_over_the_file(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('algorithm = "cma_mae"\niterations = 50\nsigma0 = 0.1\n')
    config = build_config(load_config_file(path), {"iterations": 7, "seed": None})
    assert (config.algorithm, config.iterations, config.sigma0) == ("cma_mae", 7, 0.1)


def test_yaml_files_and_all_digits(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("target_digit: all\ncells: [20, 30]\n")
    config = build_config(load_config_file(path))
    assert config.target_digit is None and config.cells == [20, 30]


@pytest.mark.parametrize(
    "values, message",
    [
        ({"cells": [0, 200]}, "cells"),
        ({"cells": [200]}, "cells"),
        ({"boldness_range": [10, 10]}, "boldness_range"),
        ({"lightness_range": [1.0, 0.5]}, "lightness_range"),
        ({"batch_size": 0}, "batch_size"),
        ({"target_digit": 10}, "target_digit"),
        ({"target_digit": -1}, "target_digit"),
        ({"algorithm": "nsga2"}, "algorithm"),
        ({"sigma0": 0}, "sigma0"),
        ({"sigma0": -0.2}, "sigma0"),
        ({"groups": 6}, "groups"),
        ({"objective": "realness"}, "objective"),
        ({"iterations": 0}, "iterations"),
        ({"num_actors": 0}, "num_actors"),
        ({"backend": "dask"}, "backend"),
        ({"local_channels": "maybe"}, "local_channels"),
    ],
)
def test_invalid_values_are_refused_by_name(values, message):
    with pytest.raises(ConfigError, match=f"Invalid {message} = "):
        build_config(values)


def test_unknown_keys_are_refused(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("sigma = 0.2\n")
    with pytest.raises(ConfigError, match=r"Unknown key\(s\) \['sigma'\]"):
        build_config(load_config_file(path))


def test_unreadable_files_are_reported(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config_file(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("iterations = = 3")
    with pytest.raises(ConfigError, match="Cannot parse"):
        load_config_file(bad)
    (tmp_path / "run.ini").write_text("")
    with pytest.raises(ConfigError, match="must end in"):
        load_config_file(tmp_path / "run.ini")
