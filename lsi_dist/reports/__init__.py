"""Reports of a run: archive export, heatmaps, image grids, discriminator re-scoring."""

from lsi_dist.reports.run_report import OUTPUTS, make_reports

__all__ = ["OUTPUTS", "make_reports"]
