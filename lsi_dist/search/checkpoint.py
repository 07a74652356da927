"""Run checkpoints: the whole search state, written atomically, read back whole.

A checkpoint holds the schedulers (and with them the archives, the emitters
and every random generator), the latents each emitter group has asked for but
not yet told, the iteration reached, the evaluations made, the seconds spent
and the configuration. Restoring it and re-evaluating the pending latents
continues the run exactly where it stopped, so a resumed run ends bitwise
equal to an uninterrupted one.

The file is a pickle: load only checkpoints your own runs wrote.
"""

import logging
import pickle
from dataclasses import dataclass
from pathlib import Path

from lsi_dist.files import atomic_write_bytes

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.pkl"
FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """Raised when a checkpoint is missing or unreadable."""


@dataclass
class Checkpoint:
    """What a run needs to go on.

    Attributes:
        config: The run's configuration as a dict.
        search: The :class:`~lsi_dist.search.algorithms.SearchState`.
        pending: Per group, the latents asked for and not yet told, or
            ``None`` once the run is complete.
        iteration: Iterations finished.
        evaluations: Latents evaluated and told.
        seconds: Wall time spent in the loop so far, over all resumes.
    """

    config: dict
    search: object
    pending: list | None
    iteration: int
    evaluations: int
    seconds: float
    version: int = FORMAT_VERSION

    @property
    def complete(self):
        return self.pending is None


def checkpoint_path(run_dir):
    return Path(run_dir) / CHECKPOINT_NAME


def save_checkpoint(run_dir, checkpoint):
    """Writes the checkpoint atomically; the previous one stays intact on a crash."""
    data = pickle.dumps(checkpoint, protocol=pickle.HIGHEST_PROTOCOL)
    atomic_write_bytes(checkpoint_path(run_dir), data)
    logger.info(
        "Checkpoint at iteration %d written to %s", checkpoint.iteration, run_dir
    )


def load_checkpoint(run_dir):
    """Reads a run folder's checkpoint.

    Raises:
        CheckpointError: There is none, or it cannot be read.
    """
    path = checkpoint_path(run_dir)
    if not path.is_file():
        raise CheckpointError(
            f"{run_dir} has no checkpoint ({CHECKPOINT_NAME}); it is not a run folder, "
            "or the run stopped before its first checkpoint. Start it anew instead."
        )
    try:
        with open(path, "rb") as file:
            checkpoint = pickle.load(file)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        raise CheckpointError(f"Checkpoint {path} cannot be read: {error}") from error
    if getattr(checkpoint, "version", None) != FORMAT_VERSION:
        raise CheckpointError(
            f"Checkpoint {path} has format version "
            f"{getattr(checkpoint, 'version', None)}; this lsi-dist "
            f"reads version {FORMAT_VERSION}."
        )
    return checkpoint
