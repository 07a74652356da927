import json

import pandas as pd

from lsi_dist.distribution import LocalPool
from lsi_dist.reports import OUTPUTS, make_reports
from lsi_dist.search import LsiRun, RunConfig, evaluation_spec, prepare_run_dir


def start_run(tmp_path, **values):
    config = RunConfig(
        cells=[20, 20],
        iterations=10,
        log_every=2,
        checkpoint_every=2,
        backend="local",
        output=str(tmp_path / "run"),
        **values,
    ).validate()
    return config, LsiRun(
        config, LocalPool(evaluation_spec(config)), prepare_run_dir(config)
    )


def test_report_from_the_checkpoint_of_a_run_still_going(tmp_path, networks):
    _, run = start_run(tmp_path)
    calls = iter(range(100))
    result = run.run(should_stop=lambda: next(calls) == 3)
    assert not result.complete
    summary = make_reports(tmp_path / "run", networks)
    assert not summary["complete"] and summary["iterations"] == 4
    for name in OUTPUTS:
        assert (tmp_path / "run" / name).exists(), name
    scored = pd.read_csv(tmp_path / "run" / "discriminator_archive.csv")
    elites = pd.read_csv(tmp_path / "run" / "archive.csv")
    assert sorted(scored["index"]) == sorted(elites["index"])
    assert scored["objective"].between(0, 1).all()


def test_all_digit_runs_get_per_digit_panels(tmp_path, networks):
    _, run = start_run(tmp_path, target_digit=None)
    run.run()
    summary = make_reports(tmp_path / "run", networks)
    assert len(summary["per_digit"]) == 10
    assert (
        sum(d["archive_size"] for d in summary["per_digit"]) == summary["archive_size"]
    )
    for digit in range(10):
        assert (tmp_path / "run" / f"grid_digit_{digit}.png").exists()
    written = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert written["target_digit"] is None
