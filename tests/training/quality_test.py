"""The shipped weights meet their quality figures on the real MNIST test set."""

import numpy as np

from lsi_dist.training.quality import quality_figures


def test_shipped_weights_meet_the_quality_bar(networks, mnist_dir):
    figures = quality_figures(networks, mnist_dir, samples=2000)
    assert figures["test_accuracy"] >= 0.99
    assert figures["confident_share"] >= 0.75
    assert min(figures["digit_shares"]) >= 0.04
    assert figures["d_real_mean"] > figures["d_fake_mean"]
    assert figures["passed"], figures["failures"]
    assert figures["samples"].shape == (100, 28, 28)
    assert np.isclose(sum(figures["digit_shares"]), 1.0)
