"""Training the MLP GAN (generator and discriminator) on MNIST."""

import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from lsi_dist.models.networks import (
    LATENT_DIM,
    Discriminator,
    Generator,
    to_signed_range,
)
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
class GanTraining:
    """Settings of a GAN training.

    Attributes:
        data_dir: MNIST folder.
        out_dir: Where the weights and manifest are written.
        epochs: Passes over the 60,000 training images.
        batch_size: Real images per step (and as many generated ones).
        learning_rate: Adam's learning rate for both networks.
        real_label: Target of the discriminator on real images; below 1 is
            one-sided label smoothing, which keeps the discriminator from
            overpowering the generator.
        seed: Seeds initialisation, shuffling and latents.
    """

    data_dir: str
    out_dir: str
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 2e-4
    real_label: float = 0.9
    seed: int = 0


def train_gan(settings, command="", progress=True, stop_after=None):
    """Trains the generator and discriminator, resuming from a checkpoint.

    The standard non-saturating GAN loss with Adam (beta1 = 0.5). A checkpoint
    is written after every epoch to ``out_dir/gan.ckpt`` and removed when the
    weights are saved.

    Args:
        settings: The training's settings.
        command: The command line, recorded in the manifest.
        progress: Show a progress bar.
        stop_after: Stop after this many epochs in this call, leaving the
            checkpoint to go on from (for time-boxed sessions).

    Returns:
        dict: The manifest entry written for both networks, or ``None`` when
        stopped early by ``stop_after``.
    """
    check_settings(settings)
    if not 0.0 < settings.real_label <= 1.0:
        raise ValueError(f"real_label must be in (0, 1], not {settings.real_label}.")
    train = load_mnist(settings.data_dir, "train")
    real_images = to_signed_range(images_to_tensor(train.images))

    torch.manual_seed(settings.seed)
    rng = torch.Generator().manual_seed(settings.seed)
    generator = Generator()
    discriminator = Discriminator()
    betas = (0.5, 0.999)
    g_opt = torch.optim.Adam(
        generator.parameters(), settings.learning_rate, betas=betas
    )
    d_opt = torch.optim.Adam(
        discriminator.parameters(), settings.learning_rate, betas=betas
    )
    modules = {"generator": generator, "discriminator": discriminator}
    optimizers = {"generator": g_opt, "discriminator": d_opt}
    bce = nn.BCELoss()

    checkpoint = TrainingCheckpoint(Path(settings.out_dir) / "gan.ckpt")
    first_epoch, seconds, history = 0, 0.0, {"d_real": [], "d_fake": []}
    if checkpoint.exists():
        first_epoch, seconds, history = checkpoint.load(modules, optimizers, rng)
    stopwatch = Stopwatch(seconds)

    until = last_epoch(settings, first_epoch, stop_after)
    for epoch in range(first_epoch, until):
        generator.train()
        discriminator.train()
        d_real_sum = d_fake_sum = 0.0
        steps = 0
        bar = tqdm(
            list(batches(len(real_images), settings.batch_size, rng)),
            desc=f"GAN epoch {epoch + 1}/{settings.epochs}",
            disable=not progress,
            leave=False,
        )
        for index in bar:
            real = real_images[index]
            n = len(real)
            latents = torch.randn(n, LATENT_DIM, generator=rng)
            fake = generator(latents)

            # Discriminator step: real towards real_label, generated towards 0.
            d_opt.zero_grad()
            d_real = discriminator(real)
            d_fake = discriminator(fake.detach())
            d_loss = bce(d_real, torch.full_like(d_real, settings.real_label)) + bce(
                d_fake, torch.zeros_like(d_fake)
            )
            d_loss.backward()
            d_opt.step()

            # Generator step: the non-saturating loss, generated towards 1.
            g_opt.zero_grad()
            d_on_fake = discriminator(fake)
            g_loss = bce(d_on_fake, torch.ones_like(d_on_fake))
            g_loss.backward()
            g_opt.step()

            d_real_sum += d_real.mean().item()
            d_fake_sum += d_fake.mean().item()
            steps += 1
            bar.set_postfix(
                d=f"{d_loss.item():.3f}", g=f"{g_loss.item():.3f}", refresh=False
            )
        history["d_real"].append(d_real_sum / steps)
        history["d_fake"].append(d_fake_sum / steps)
        checkpoint.save(epoch + 1, modules, optimizers, rng, stopwatch.seconds, history)
        logger.info(
            "GAN epoch %d: mean D(real) %.3f, mean D(fake) %.3f",
            epoch + 1,
            history["d_real"][-1],
            history["d_fake"][-1],
        )

    if until < settings.epochs:
        logger.info(
            "Stopped after epoch %d of %d; run again to go on.",
            until,
            settings.epochs,
        )
        return None
    record = training_record(
        command,
        settings,
        stopwatch,
        {
            "last_epoch_mean_d_real": history["d_real"][-1],
            "last_epoch_mean_d_fake": history["d_fake"][-1],
        },
    )
    save_network("generator", generator, settings.out_dir, record)
    save_network("discriminator", discriminator, settings.out_dir, record)
    checkpoint.path.unlink(missing_ok=True)
    return record
