"""The command line end to end: a short run on local Ray, report, resume, errors."""

import json

import pandas as pd
import pytest

from lsi_dist.cli import main
from lsi_dist.reports import OUTPUTS


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, ray_session, short_run_flags):
    run_dir = tmp_path_factory.mktemp("cli") / "run"
    flags = [*short_run_flags, "--output", str(run_dir), "--num-actors", "2"]
    assert main(["run", *flags]) == 0
    return run_dir


def test_a_short_run_writes_every_output(finished_run, capsys):
    for name in OUTPUTS:
        assert (finished_run / name).stat().st_size > 0, name
    archive = pd.read_csv(finished_run / "archive.csv")
    assert {
        "index",
        "objective",
        "measures_0",
        "measures_1",
        "solution_0",
        "solution_127",
    } <= set(archive.columns)
    summary = json.loads((finished_run / "summary.json").read_text())
    assert summary["complete"] and summary["evaluations"] == 12 * 150
    assert summary["archive_size"] == len(archive)
    assert 0 <= summary["realistic_share"] <= 1
    metrics = pd.read_csv(finished_run / "metrics.csv")
    assert list(metrics["iteration"]) == [4, 8, 12]
    assert (metrics["evals_per_s"] > 0).all()


def test_report_remakes_the_outputs(finished_run, capsys):
    (finished_run / "heatmap.png").unlink()
    assert main(["report", str(finished_run)]) == 0
    assert (finished_run / "heatmap.png").exists()
    assert "complete run" in capsys.readouterr().out


def test_resume_extends_a_finished_run(finished_run, capsys):
    assert (
        main(
            [
                "run",
                "--resume",
                str(finished_run),
                "--iterations",
                "14",
                "--no-progress",
                "--no-report",
            ]
        )
        == 0
    )
    assert "14 iterations" in capsys.readouterr().out


def test_resume_refuses_changes_that_would_alter_results(finished_run, capsys):
    assert main(["run", "--resume", str(finished_run), "--sigma0", "0.3"]) == 2
    assert "--sigma0 cannot change on resume" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--cells", "0", "200"], "Invalid cells"),
        (["--batch-size", "0"], "Invalid batch_size"),
        (["--target-digit", "12"], "Invalid target_digit"),
        (["--algorithm", "cmaes"], "Invalid algorithm"),
        (["--sigma0", "-1"], "Invalid sigma0"),
        (["--boldness-range", "500", "100"], "Invalid boldness_range"),
    ],
)
def test_bad_flags_fail_before_any_work(tmp_path, capsys, flags, message):
    assert main(["run", *flags, "--output", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_an_output_folder_with_a_run_is_refused(finished_run, capsys):
    assert main(["run", "--output", str(finished_run)]) == 2
    assert "already holds a run" in capsys.readouterr().err


def test_a_config_file_is_read(tmp_path, capsys):
    path = tmp_path / "run.toml"
    path.write_text('backend = "local"\niterations = 3\ncells = [10, 10]\n')
    assert (
        main(
            [
                "run",
                "--config",
                str(path),
                "--output",
                str(tmp_path / "r"),
                "--no-progress",
                "--no-report",
            ]
        )
        == 0
    )
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["backend"] == "local" and config["cells"] == [10, 10]
