"""The in-process backend: the pool's interface, evaluated in the driver."""

import logging
import time

import torch

from lsi_dist.evaluation import Evaluator, split_packed
from lsi_dist.models.weights import WEIGHTS_DIR, load_networks

logger = logging.getLogger(__name__)


class LocalBatch:
    """A batch submitted to :class:`LocalPool`; it is already evaluated."""

    def __init__(self, packed, seconds):
        self.packed = packed
        self.seconds = seconds
        self.compute_seconds = seconds


class LocalPool:
    """Evaluates in the calling process, with the same interface as the Ray pool.

    For runs and tests without Ray. ``submit`` evaluates at once, so there is
    no overlap between evaluation and the caller's work.

    Args:
        spec: :class:`~lsi_dist.evaluation.EvaluationSpec`.
        device: Torch device for the networks.
        weights_dir: Weights folder (the shipped weights by default).
        threads: Torch threads of this process. One, the default, keeps
            results bitwise equal to those of Ray actors (which use one thread
            each); more are faster on the CPU but change the last bits of
            some results.
    """

    def __init__(self, spec, device="cpu", weights_dir=None, threads=1):
        if threads is not None:
            torch.set_num_threads(threads)
        self.spec = spec
        self.evaluator = Evaluator(
            load_networks(device, weights_dir or WEIGHTS_DIR), spec
        )
        self.last_compute_seconds = 0.0

    @property
    def num_actors(self):
        return 0

    def describe(self, refresh=False):
        """One entry for the driver process itself."""
        return [{"device": str(self.evaluator.device), "backend": "in-process"}]

    def submit(self, latents):
        """Evaluates ``latents`` and returns a handle for :meth:`collect`."""
        start = time.perf_counter()
        # evaluate_packed checks the latents itself.
        packed = self.evaluator.evaluate_packed(latents)
        return LocalBatch(packed, time.perf_counter() - start)

    def collect(self, batch):
        """Returns ``(objective, measures)`` of a submitted batch."""
        self.last_compute_seconds = batch.compute_seconds
        return split_packed(batch.packed)

    def evaluate(self, latents):
        """Evaluates ``latents``; returns ``(objective, measures)`` in their order."""
        return self.collect(self.submit(latents))

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
