"""Archive export, per-digit slices, and discriminator re-scoring of elites."""

import logging

import numpy as np
from ribs.archives import GridArchive

from lsi_dist.evaluation import discriminator_scores

logger = logging.getLogger(__name__)

ARCHIVE_NAME = "archive.csv"
DISCRIMINATOR_ARCHIVE_NAME = "discriminator_archive.csv"


def elites(archive):
    """The elites as a dict of arrays: solution, objective, measures, index."""
    return archive.data(["solution", "objective", "measures", "index"])


def export_archive(archive, path):
    """Writes the elites as CSV, which ``pandas.read_csv(path)`` reads in one call.

    Columns: ``index`` (the cell), ``objective``, ``measures_0`` ...,
    ``solution_0`` ... ``solution_127``.
    """
    frame = archive.data(
        ["index", "objective", "measures", "solution"], return_type="pandas"
    )
    frame.to_csv(path, index=False, float_format="%.9g")
    logger.info("Exported %d elites to %s", len(frame), path)
    return path


def empty_like(archive, dims=None, ranges=None):
    """A plain (not soft) grid archive with the layout of ``archive``."""
    dims = list(archive.dims) if dims is None else dims
    if ranges is None:
        ranges = list(zip(archive.lower_bounds, archive.upper_bounds))
    return GridArchive(
        solution_dim=archive.solution_dim,
        dims=dims,
        ranges=ranges,
        solution_dtype=np.float32,
        measures_dtype=np.float32,
    )


def rescore_with_discriminator(networks, archive):
    """Every elite re-scored by the discriminator, in an archive of the same layout.

    Returns:
        ``(scored_archive, scores)``: the new archive (objective = D(G(z)),
        same measures, same cells) and the scores in the order of
        :func:`elites`.
    """
    data = elites(archive)
    scores = discriminator_scores(networks, data["solution"])
    scored = empty_like(archive)
    if len(scores):
        scored.add(data["solution"], scores, data["measures"])
    return scored, scores


def digit_slice(archive, digit):
    """The 2-D boldness x lightness archive of one digit of a 3-D archive."""
    data = elites(archive)
    keep = np.rint(data["measures"][:, 2]) == digit
    sliced = empty_like(
        archive,
        dims=list(archive.dims[:2]),
        ranges=list(zip(archive.lower_bounds[:2], archive.upper_bounds[:2])),
    )
    if keep.any():
        sliced.add(
            data["solution"][keep], data["objective"][keep], data["measures"][keep, :2]
        )
    return sliced


def per_digit_figures(archive):
    """Elites, coverage and QD score of each digit of a 3-D (all-digit) archive."""
    rows = []
    for digit in range(10):
        stats = digit_slice(archive, digit).stats
        rows.append(
            {
                "digit": digit,
                "archive_size": int(stats.num_elites),
                "coverage": float(stats.coverage),
                "qd_score": float(stats.qd_score),
            }
        )
    return rows
