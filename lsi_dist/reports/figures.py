"""Pictures of a run: heatmaps, image grids of elites, metric curves."""

import logging

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first.
import numpy as np  # noqa: E402
from ribs.visualize import grid_archive_heatmap  # noqa: E402

from lsi_dist.evaluation import generate_images  # noqa: E402
from lsi_dist.reports.archives import digit_slice  # noqa: E402

logger = logging.getLogger(__name__)

MEASURE_LABELS = ("boldness (pixels >= 0.5)", "lightness (mean ink of those pixels)")


def _label(ax, title):
    ax.set_xlabel(MEASURE_LABELS[0])
    ax.set_ylabel(MEASURE_LABELS[1])
    ax.set_title(title)


def save_heatmap(archive, path, title, colorbar_label):
    """Heatmap of a 2-D archive: x boldness, y lightness, colour on a fixed 0-1 scale.

    A 3-D (all-digit) archive is drawn as a 2 x 5 panel, one heatmap per digit.
    """
    if len(archive.dims) == 3:
        return save_digit_heatmaps(archive, path, title, colorbar_label)
    fig, ax = plt.subplots(figsize=(8, 6))
    grid_archive_heatmap(
        archive,
        ax=ax,
        vmin=0.0,
        vmax=1.0,
        aspect="auto",
        cbar_kwargs={"label": colorbar_label},
    )
    _label(ax, title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def save_digit_heatmaps(archive, path, title, colorbar_label):
    """A 2 x 5 panel of heatmaps, one per digit, of a 3-D archive."""
    fig, axes = plt.subplots(2, 5, figsize=(22, 8.5), sharex=True, sharey=True)
    for digit, ax in enumerate(axes.flat):
        sliced = digit_slice(archive, digit)
        grid_archive_heatmap(
            sliced, ax=ax, vmin=0.0, vmax=1.0, aspect="auto", cbar=None
        )
        ax.set_title(
            f"digit {digit}: {sliced.stats.num_elites} elites, "
            f"{100 * float(sliced.stats.coverage):.1f} %"
        )
        if digit >= 5:
            ax.set_xlabel("boldness")
        if digit % 5 == 0:
            ax.set_ylabel("lightness")
    mappable = plt.cm.ScalarMappable(norm=plt.Normalize(0, 1), cmap="magma")
    fig.colorbar(mappable, ax=axes, label=colorbar_label, fraction=0.02)
    fig.suptitle(title)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def grid_points(archive, low_quantile, high_quantile, count):
    """Measure values along each axis between quantiles of the elites' measures."""
    measures = archive.data("measures")[:, :2]
    if len(measures) == 0:
        lows, highs = archive.lower_bounds[:2], archive.upper_bounds[:2]
    else:
        lows = np.quantile(measures, low_quantile, axis=0)
        highs = np.quantile(measures, high_quantile, axis=0)
    return [np.linspace(lows[axis], highs[axis], count) for axis in range(2)]


def save_elite_grid(
    networks, archive, path, title, quantiles=(0.05, 0.95), count=8, digit=None
):
    """An image grid of elites at evenly spaced boldness and lightness values.

    Columns go along boldness, rows along lightness (light at the top), the
    measure values are the tick labels, and where the archive has no elite
    in that cell the square stays blank.

    Args:
        quantiles: The region, as quantiles of the elites' measures on both
            axes: ``(0.05, 0.95)`` is wide, ``(0.3, 0.7)`` central.
        digit: For a 3-D archive, the digit to show.
    """
    if digit is not None:
        archive = digit_slice(archive, digit)
    boldness, lightness = grid_points(archive, *quantiles, count)
    lightness = lightness[::-1]
    points = np.array(
        [(b, light) for light in lightness for b in boldness], dtype=np.float32
    )
    occupied, data = archive.retrieve(points)
    canvas = np.ones((count * 30 - 2, count * 30 - 2))
    found = np.flatnonzero(occupied)
    if len(found):
        images = generate_images(networks, data["solution"][found])
        for image, flat in zip(images, found):
            row, col = divmod(flat, count)
            canvas[row * 30 : row * 30 + 28, col * 30 : col * 30 + 28] = 1.0 - image

    fig, ax = plt.subplots(figsize=(8, 8))
    ax.imshow(canvas, cmap="gray", vmin=0.0, vmax=1.0)
    centres = np.arange(count) * 30 + 14
    ax.set_xticks(centres, [f"{b:.0f}" for b in boldness])
    ax.set_yticks(centres, [f"{light:.3f}" for light in lightness])
    _label(ax, f"{title} ({len(found)} of {count * count} cells filled)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def save_metrics_plot(rows, path, title="Run metrics"):
    """Archive size, QD score, mean objective and evaluations/s over iterations."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    if rows:
        x = [row["iteration"] for row in rows]
        for ax, key, label in zip(
            axes.flat,
            ("archive_size", "qd_score", "mean_objective", "evals_per_s"),
            ("archive size (elites)", "QD score", "mean objective", "evaluations/s"),
        ):
            ax.plot(x, [row[key] for row in rows])
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("iteration")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
