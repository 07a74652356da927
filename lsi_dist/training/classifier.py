"""Training the LeNet-5 classifier on MNIST."""

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from lsi_dist.models.networks import LeNet5, normalize_for_classifier
from lsi_dist.models.weights import save_network
from lsi_dist.training.common import (
    Stopwatch,
    TrainingCheckpoint,
    batches,
    check_settings,
    images_to_tensor,
    last_epoch,
    training_record,
)
from lsi_dist.training.mnist import load_mnist

logger = logging.getLogger(__name__)


@dataclass
class ClassifierTraining:
    """Settings of a classifier training.

    Attributes:
        data_dir: MNIST folder.
        out_dir: Where the weights and manifest are written.
        epochs: Passes over the 60,000 training images.
        batch_size: Images per optimiser step.
        learning_rate: Adam's learning rate at the start; it falls along a
            cosine to zero by the last epoch.
        max_shift: Training images are shifted by up to this many pixels in
            each direction, a cheap augmentation that lifts test accuracy.
        seed: Seeds initialisation, shuffling and shifts.
    """

    data_dir: str
    out_dir: str
    epochs: int = 15
    batch_size: int = 64
    learning_rate: float = 1e-3
    max_shift: int = 2
    seed: int = 0


def random_shift(images, max_shift, generator):
    """Shifts each image ``(n, 1, 28, 28)`` by up to ``max_shift`` pixels, 0-filled."""
    if max_shift == 0:
        return images
    n = len(images)
    padded = torch.nn.functional.pad(images, [max_shift] * 4)
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator)
    rows = (torch.arange(28)[None, :] + dy[:, None])[:, :, None]
    cols = (torch.arange(28)[None, :] + dx[:, None])[:, None, :]
    return padded[:, 0][torch.arange(n)[:, None, None], rows, cols].unsqueeze(1)


def accuracy(classifier, images, labels, batch_size=1000):
    """Share of ``images`` (floats in [0, 1]) that ``classifier`` labels right."""
    classifier.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), batch_size):
            log_probs = classifier(
                normalize_for_classifier(images[start : start + batch_size])
            )
            correct += (log_probs.argmax(1) == labels[start : start + batch_size]).sum()
    return float(correct) / max(len(labels), 1)


def train_classifier(settings, command="", progress=True, stop_after=None):
    """Trains LeNet-5, resuming from the checkpoint in ``out_dir`` if one exists.

    A checkpoint is written after every epoch to ``out_dir/classifier.ckpt`` and
    removed when the weights are saved.

    Args:
        settings: The training's settings.
        command: The command line, recorded in the manifest.
        progress: Show a progress bar.
        stop_after: Stop after this many epochs in this call, leaving the
            checkpoint to go on from (for time-boxed sessions).

    Returns:
        dict: The manifest entry written for the weights, or ``None`` when
        stopped early by ``stop_after``.
    """
    check_settings(settings)
    train = load_mnist(settings.data_dir, "train")
    test = load_mnist(settings.data_dir, "test")
    train_images = images_to_tensor(train.images)
    train_labels = torch.from_numpy(train.labels)

    torch.manual_seed(settings.seed)
    shuffle = torch.Generator().manual_seed(settings.seed)
    classifier = LeNet5()
    optimizer = torch.optim.Adam(classifier.parameters(), lr=settings.learning_rate)
    loss_fn = nn.NLLLoss()
    checkpoint = TrainingCheckpoint(Path(settings.out_dir) / "classifier.ckpt")
    first_epoch, seconds = 0, 0.0
    if checkpoint.exists():
        first_epoch, seconds, _ = checkpoint.load(
            {"classifier": classifier}, {"classifier": optimizer}, shuffle
        )
    stopwatch = Stopwatch(seconds)

    until = last_epoch(settings, first_epoch, stop_after)
    for epoch in range(first_epoch, until):
        classifier.train()
        for group in optimizer.param_groups:
            group["lr"] = (
                settings.learning_rate
                * 0.5
                * (1 + math.cos(math.pi * epoch / settings.epochs))
            )
        bar = tqdm(
            list(batches(len(train_labels), settings.batch_size, shuffle)),
            desc=f"classifier epoch {epoch + 1}/{settings.epochs}",
            disable=not progress,
            leave=False,
        )
        for index in bar:
            optimizer.zero_grad()
            images = random_shift(train_images[index], settings.max_shift, shuffle)
            log_probs = classifier(normalize_for_classifier(images))
            loss = loss_fn(log_probs, train_labels[index])
            loss.backward()
            optimizer.step()
            bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        checkpoint.save(
            epoch + 1,
            {"classifier": classifier},
            {"classifier": optimizer},
            shuffle,
            stopwatch.seconds,
        )
        logger.info("Classifier epoch %d done, last loss %.4f", epoch + 1, loss.item())

    if until < settings.epochs:
        logger.info(
            "Stopped after epoch %d of %d; run again to go on.",
            until,
            settings.epochs,
        )
        return None
    test_accuracy = accuracy(
        classifier, images_to_tensor(test.images), torch.from_numpy(test.labels)
    )
    record = training_record(
        command,
        settings,
        stopwatch,
        {"test_accuracy": test_accuracy},
    )
    save_network("classifier", classifier, settings.out_dir, record)
    checkpoint.path.unlink(missing_ok=True)
    logger.info("Classifier test accuracy %.4f", test_accuracy)
    return record
