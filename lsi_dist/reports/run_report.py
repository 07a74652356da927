"""All outputs of a run folder, made from its checkpoint (finished or not)."""

import logging
import time
from pathlib import Path

import numpy as np

from lsi_dist.files import atomic_write_json
from lsi_dist.models.weights import load_networks
from lsi_dist.reports.archives import (
    ARCHIVE_NAME,
    DISCRIMINATOR_ARCHIVE_NAME,
    export_archive,
    per_digit_figures,
    rescore_with_discriminator,
)
from lsi_dist.reports.figures import save_elite_grid, save_heatmap, save_metrics_plot
from lsi_dist.search.checkpoint import load_checkpoint
from lsi_dist.search.metrics import archive_figures, read_metrics

logger = logging.getLogger(__name__)

SUMMARY_NAME = "summary.json"
REALISTIC = 0.5

OUTPUTS = (
    ARCHIVE_NAME,
    DISCRIMINATOR_ARCHIVE_NAME,
    "heatmap.png",
    "discriminator_heatmap.png",
    "grid_central.png",
    "grid_wide.png",
    "metrics.png",
    SUMMARY_NAME,
)


def make_reports(run_dir, networks=None):
    """Writes every output of a run folder from its latest checkpoint.

    Outputs: ``archive.csv``, ``heatmap.png``, ``grid_central.png`` and
    ``grid_wide.png``, ``discriminator_archive.csv`` and
    ``discriminator_heatmap.png``, ``metrics.png`` and ``summary.json``.
    For an all-digit run the heatmaps are 2 x 5 panels and there is one wide
    grid per digit (``grid_digit_<d>.png``).

    Args:
        run_dir: The run folder.
        networks: Networks for re-scoring and images; the shipped ones on the
            CPU by default.

    Returns:
        dict: The summary written to ``summary.json``.
    """
    start = time.perf_counter()
    run_dir = Path(run_dir)
    checkpoint = load_checkpoint(run_dir)
    config = checkpoint.config
    archive = checkpoint.search.result_archive
    networks = networks or load_networks("cpu")
    all_digits = config["target_digit"] is None
    target = "all digits" if all_digits else f"digit {config['target_digit']}"

    export_archive(archive, run_dir / ARCHIVE_NAME)
    save_heatmap(
        archive,
        run_dir / "heatmap.png",
        f"{config['algorithm']}: {config['objective']} objective, {target}",
        "objective",
    )
    if all_digits:
        for digit in range(10):
            save_elite_grid(
                networks,
                archive,
                run_dir / f"grid_digit_{digit}.png",
                f"Elites of digit {digit}",
                digit=digit,
            )
    else:
        save_elite_grid(
            networks,
            archive,
            run_dir / "grid_central.png",
            "Elites, central region",
            quantiles=(0.3, 0.7),
        )
        save_elite_grid(
            networks,
            archive,
            run_dir / "grid_wide.png",
            "Elites, wide region",
            quantiles=(0.02, 0.98),
        )

    scored, scores = rescore_with_discriminator(networks, archive)
    export_archive(scored, run_dir / DISCRIMINATOR_ARCHIVE_NAME)
    save_heatmap(
        scored,
        run_dir / "discriminator_heatmap.png",
        f"Elites re-scored by the discriminator, {target}",
        "discriminator score D(G(z))",
    )
    rows = read_metrics(run_dir)
    save_metrics_plot(rows, run_dir / "metrics.png", f"{config['algorithm']}, {target}")

    figures = archive_figures(archive)
    summary = {
        "algorithm": config["algorithm"],
        "target_digit": config["target_digit"],
        "objective": config["objective"],
        "complete": checkpoint.complete,
        "iterations": checkpoint.iteration,
        "evaluations": checkpoint.evaluations,
        "wall_seconds": round(checkpoint.seconds, 2),
        "evals_per_s": checkpoint.evaluations / checkpoint.seconds
        if checkpoint.seconds
        else 0.0,
        **figures,
        "cells": int(np.prod(archive.dims)),
        "discriminator_mean": float(scores.mean()) if len(scores) else 0.0,
        "realistic_share": float((scores >= REALISTIC).mean()) if len(scores) else 0.0,
        "discriminator_qd_score": float(scored.stats.qd_score),
    }
    if all_digits:
        summary["per_digit"] = per_digit_figures(archive)
    atomic_write_json(run_dir / SUMMARY_NAME, summary)
    logger.info("Reports of %s written in %.1f s", run_dir, time.perf_counter() - start)
    return summary
