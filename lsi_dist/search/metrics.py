"""Metrics of a run: archive figures and throughput, one CSV row per interval."""

import csv
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

METRICS_NAME = "metrics.csv"
COLUMNS = (
    "iteration",
    "evaluations",
    "archive_size",
    "coverage",
    "qd_score",
    "best_objective",
    "mean_objective",
    "evals_per_s",
    "elapsed_s",
)


def archive_figures(archive):
    """``archive_size``, ``coverage``, ``qd_score`` and best/mean objective."""
    stats = archive.stats
    return {
        "archive_size": int(stats.num_elites),
        "coverage": float(stats.coverage),
        "qd_score": float(stats.qd_score),
        "best_objective": float(stats.obj_max) if stats.obj_max is not None else 0.0,
        "mean_objective": float(stats.obj_mean) if stats.obj_mean is not None else 0.0,
    }


class MetricsLog:
    """Appends metrics rows to ``metrics.csv`` in the run folder.

    On resume, rows past the checkpoint's iteration are dropped first: they
    were written after the last checkpoint and will be written again.
    """

    def __init__(self, run_dir, resume_iteration=None):
        self.path = Path(run_dir) / METRICS_NAME
        kept = []
        if resume_iteration is not None:
            rows = read_metrics(self.path)
            kept = [row for row in rows if row["iteration"] <= resume_iteration]
        self._rewrite(kept)

    def _rewrite(self, rows):
        with open(self.path, "w", newline="") as file:
            writer = csv.DictWriter(file, COLUMNS)
            writer.writeheader()
            writer.writerows(rows)

    def append(self, row):
        with open(self.path, "a", newline="") as file:
            csv.DictWriter(file, COLUMNS).writerow({k: row[k] for k in COLUMNS})
        logger.info(
            "iter %d | evals %d | archive %d (%.2f %%) | QD %.1f | best %.4f | "
            "mean %.4f | %.0f evals/s",
            row["iteration"],
            row["evaluations"],
            row["archive_size"],
            100 * row["coverage"],
            row["qd_score"],
            row["best_objective"],
            row["mean_objective"],
            row["evals_per_s"],
        )


def read_metrics(path):
    """Reads ``metrics.csv`` into a list of dicts of numbers."""
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_NAME
    if not path.is_file():
        return []
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return [
        {
            k: (
                int(float(v))
                if k in ("iteration", "evaluations", "archive_size")
                else float(v)
            )
            for k, v in row.items()
        }
        for row in rows
    ]
