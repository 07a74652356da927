"""Quality figures of a set of weights: accuracy, sample confidence, realism."""

import logging

import numpy as np
import torch

from lsi_dist.models.networks import (
    LATENT_DIM,
    classify,
    to_signed_range,
    to_unit_range,
)
from lsi_dist.training.classifier import accuracy
from lsi_dist.training.common import images_to_tensor
from lsi_dist.training.mnist import load_mnist

logger = logging.getLogger(__name__)

# Thresholds the shipped weights must meet.
MIN_TEST_ACCURACY = 0.99
MIN_CONFIDENT_SHARE = 0.75
CONFIDENCE = 0.9
MIN_DIGIT_SHARE = 0.04


def _batched(function, tensor, batch_size=1000):
    with torch.no_grad():
        return torch.cat(
            [
                function(tensor[start : start + batch_size])
                for start in range(0, len(tensor), batch_size)
            ]
        )


def quality_figures(networks, data_dir, samples=10_000, seed=0):
    """Measures the figures that tell whether the weights are fit for LSI.

    Args:
        networks: :class:`~lsi_dist.models.weights.Networks`.
        data_dir: MNIST folder; its test split is used.
        samples: Number of generator samples with ``z ~ N(0, I)``.
        seed: Seeds the latents.

    Returns:
        dict: ``test_accuracy``, ``confident_share`` (samples the classifier
        labels with probability >= 0.9), ``digit_shares`` (share of samples
        predicted as each digit), ``d_real_mean`` and ``d_fake_mean`` (mean
        discriminator score on the real test images and on the samples), the
        sample images (``(n, 28, 28)`` in [0, 1]) under ``samples``, and
        ``passed`` with the list of ``failures``.
    """
    device = networks.device
    test = load_mnist(data_dir, "test")
    test_images = images_to_tensor(test.images).to(device)
    test_labels = torch.from_numpy(test.labels).to(device)
    test_accuracy = accuracy(networks.classifier, test_images, test_labels)

    latents = torch.randn(
        samples, LATENT_DIM, generator=torch.Generator().manual_seed(seed)
    ).to(device)
    fake = _batched(networks.generator, latents)
    probs = _batched(lambda x: classify(networks.classifier, x), to_unit_range(fake))
    top_prob, predicted = probs.max(1)
    confident_share = float((top_prob >= CONFIDENCE).float().mean())
    digit_shares = np.bincount(predicted.cpu().numpy(), minlength=10) / samples

    d_real = _batched(networks.discriminator, to_signed_range(test_images))
    d_fake = _batched(networks.discriminator, fake)

    figures = {
        "test_accuracy": test_accuracy,
        "confident_share": confident_share,
        "digit_shares": [float(share) for share in digit_shares],
        "d_real_mean": float(d_real.mean()),
        "d_fake_mean": float(d_fake.mean()),
    }
    failures = []
    if test_accuracy < MIN_TEST_ACCURACY:
        failures.append(f"test accuracy {test_accuracy:.4f} < {MIN_TEST_ACCURACY}")
    if confident_share < MIN_CONFIDENT_SHARE:
        failures.append(
            f"confident share {confident_share:.4f} < {MIN_CONFIDENT_SHARE}"
        )
    for digit, share in enumerate(digit_shares):
        if share < MIN_DIGIT_SHARE:
            failures.append(f"digit {digit} share {share:.4f} < {MIN_DIGIT_SHARE}")
    if figures["d_real_mean"] <= figures["d_fake_mean"]:
        failures.append("discriminator scores generated images as high as real ones")
    figures["failures"] = failures
    figures["passed"] = not failures
    figures["samples"] = to_unit_range(fake[:100]).squeeze(1).cpu().numpy()
    return figures


def save_sample_grid(images, path, columns=10):
    """Writes images ``(n, 28, 28)`` in [0, 1] as one PNG grid, 2 px apart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = int(np.ceil(len(images) / columns))
    canvas = np.ones((rows * 30 - 2, columns * 30 - 2))
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        canvas[r * 30 : r * 30 + 28, c * 30 : c * 30 + 28] = image
    plt.imsave(path, canvas, cmap="gray", vmin=0.0, vmax=1.0)
