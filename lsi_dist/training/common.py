"""Pieces shared by the classifier and GAN trainings: data, seeds, checkpoints."""

import io
import logging
import time
from dataclasses import asdict
from pathlib import Path

import torch

from lsi_dist.files import atomic_write_bytes

logger = logging.getLogger(__name__)


def images_to_tensor(images):
    """Turns ``uint8`` images ``(n, 28, 28)`` into floats ``(n, 1, 28, 28)``, 0-1."""
    return torch.tensor(images, dtype=torch.float32).div_(255.0).unsqueeze(1)


def batches(count, batch_size, generator):
    """Yields index tensors of one shuffled epoch, the last batch possibly smaller."""
    order = torch.randperm(count, generator=generator)
    for start in range(0, count, batch_size):
        yield order[start : start + batch_size]


class TrainingCheckpoint:
    """Saves and restores a training between epochs.

    The file holds the epoch reached, the state of every module and optimizer,
    the shuffling generator, torch's global RNG (used by dropout) and the
    seconds spent so far. It is written atomically and read with
    ``weights_only=True``, so it never runs pickled code.
    """

    def __init__(self, path):
        self.path = Path(path)

    def exists(self):
        return self.path.is_file()

    def save(self, epoch, modules, optimizers, generator, seconds, extra=None):
        state = {
            "epoch": epoch,
            "modules": {name: module.state_dict() for name, module in modules.items()},
            "optimizers": {name: opt.state_dict() for name, opt in optimizers.items()},
            "generator": generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "seconds": seconds,
            "extra": extra or {},
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        atomic_write_bytes(self.path, buffer.getvalue())
        logger.info("Checkpoint after epoch %d written to %s", epoch, self.path)

    def load(self, modules, optimizers, generator):
        """Restores the states in place and returns ``(epoch, seconds, extra)``."""
        state = torch.load(self.path, map_location="cpu", weights_only=True)
        for name, module in modules.items():
            module.load_state_dict(state["modules"][name])
        for name, optimizer in optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        logger.info("Resumed from %s after epoch %d", self.path, state["epoch"])
        return state["epoch"], state["seconds"], state["extra"]


class Stopwatch:
    """Counts seconds of training, carried over a resume."""

    def __init__(self, already=0.0):
        self.already = already
        self.start = time.perf_counter()

    @property
    def seconds(self):
        return self.already + time.perf_counter() - self.start


def check_settings(settings):
    """Refuses epoch counts and batch sizes below one."""
    if settings.epochs < 1 or settings.batch_size < 1:
        raise ValueError(
            f"epochs ({settings.epochs}) and batch_size "
            f"({settings.batch_size}) must be at least 1."
        )


def last_epoch(settings, first_epoch, stop_after):
    """The epoch this call trains up to: all of them, or ``stop_after`` more."""
    if stop_after is None:
        return settings.epochs
    return min(settings.epochs, first_epoch + stop_after)


def training_record(command, settings, stopwatch, figures):
    """The manifest entry of a finished training."""
    return {
        "command": command,
        "settings": {
            k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()
        },
        "train_seconds": round(stopwatch.seconds, 1),
        "torch": torch.__version__,
        "figures": figures,
    }
