"""Latents to objective and measures: the LSI evaluation, in torch, without Ray.

The image of a latent ``z`` is ``G(z)`` mapped from [-1, 1] to [0, 1]. From it:

- objective: the classifier's probability that the image is the target digit;
- boldness: the number of pixels >= 0.5, in [0, 784];
- lightness: the sum of those pixels divided by (boldness + 1), in [0.5, 1).

Realism-aware objectives also use the discriminator's score ``D(G(z))``, and
with no target digit the search covers all ten digits at once: the objective
is the probability of the digit the classifier predicts, and that digit is a
third measure.

Determinism: on the CPU, with one torch thread, these networks give bitwise
the same outputs for any split of a batch into shards of 16 rows or more
(torch 2.14.1). Smaller shards whose size is not a multiple of 4 may change
the last bits, so the distributed pool never cuts shards below
:data:`MIN_SHARD_ROWS` rows. With more threads, the kernels torch picks
depend on the batch size and the last bits change with the split (measured
here with 2-4 threads), so every CPU evaluator uses one thread by default:
each CPU actor, and the in-process backend.
"""

import logging
import time
from dataclasses import dataclass

import numpy as np
import torch

from lsi_dist.models.networks import IMAGE_PIXELS, LATENT_DIM, classify, to_unit_range

logger = logging.getLogger(__name__)

MIN_SHARD_ROWS = 16

BOLDNESS_RANGE = (0.0, float(IMAGE_PIXELS))
LIGHTNESS_RANGE = (0.5, 1.0)
DIGIT_RANGE = (-0.5, 9.5)

OBJECTIVES = ("classifier", "product", "constrained")


@dataclass(frozen=True)
class EvaluationSpec:
    """What an evaluation computes; small, so it can travel to every actor.

    Attributes:
        target_digit: The digit 0-9 to search for, or ``None`` for all ten at
            once (then the predicted digit is a third measure).
        objective: ``"classifier"``: the classifier's probability (the
            reference). ``"product"``: that probability times the
            discriminator's score, so only digits that look real score high.
            ``"constrained"``: the classifier's probability where the
            discriminator scores at least ``realism_threshold``, and that
            probability times ``D / realism_threshold`` below it, a soft
            constraint that still ranks near-misses.
        realism_threshold: The discriminator score the constrained objective
            asks for.
        repeats: Runs the networks this many times per batch, to make each
            evaluation costlier for scaling benchmarks; results are unchanged.
    """

    target_digit: int | None = 8
    objective: str = "classifier"
    realism_threshold: float = 0.5
    repeats: int = 1

    def __post_init__(self):
        if self.target_digit is not None and self.target_digit not in range(10):
            raise ValueError(
                f"target_digit must be an integer 0-9, or None for all digits, "
                f"not {self.target_digit!r}."
            )
        if self.objective not in OBJECTIVES:
            raise ValueError(
                f"objective must be one of {OBJECTIVES}, not {self.objective!r}."
            )
        if not 0.0 < self.realism_threshold <= 1.0:
            raise ValueError(
                f"realism_threshold must be in (0, 1], not {self.realism_threshold!r}."
            )
        if not isinstance(self.repeats, int) or self.repeats < 1:
            raise ValueError(f"repeats must be an integer >= 1, not {self.repeats!r}.")

    @property
    def measure_dim(self):
        """Number of measures: 2, or 3 when all digits are searched."""
        return 2 if self.target_digit is not None else 3

    @property
    def measure_ranges(self):
        """The bounds of each measure, for building an archive."""
        ranges = [BOLDNESS_RANGE, LIGHTNESS_RANGE]
        return ranges if self.target_digit is not None else ranges + [DIGIT_RANGE]


def check_latents(latents, latent_dim=LATENT_DIM):
    """Returns ``latents`` as a C-contiguous float32 array, or raises ValueError.

    Args:
        latents: Array-like of shape ``(n, latent_dim)``; ``n`` may be 0.

    Raises:
        ValueError: Wrong number of dimensions, wrong width, or non-finite values.
    """
    array = np.asarray(latents)
    if array.ndim != 2:
        raise ValueError(
            f"latents must be a 2-D array of shape (n, {latent_dim}), but it has "
            f"shape {array.shape}. Stack the solutions into one array."
        )
    if array.shape[1] != latent_dim:
        raise ValueError(
            f"latents must have {latent_dim} columns (the generator's latent size), "
            f"but they have {array.shape[1]}. Set the emitters' solution dimension "
            f"to {latent_dim}."
        )
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"latents must be numbers, not {array.dtype}.")
    array = np.ascontiguousarray(array, dtype=np.float32)
    if not np.isfinite(array).all():
        rows = np.flatnonzero(~np.isfinite(array).all(axis=1))
        raise ValueError(
            f"latents hold NaN or infinite values in rows {rows[:10].tolist()}"
            f"{' and more' if len(rows) > 10 else ''}; every latent must be finite."
        )
    return array


class Evaluator:
    """Computes objective and measures of latents on the networks' device.

    Args:
        networks: :class:`~lsi_dist.models.weights.Networks` in eval mode.
        spec: :class:`EvaluationSpec`.
    """

    def __init__(self, networks, spec=None):
        self.networks = networks
        self.spec = spec or EvaluationSpec()
        self.last_seconds = 0.0

    @property
    def device(self):
        return self.networks.device

    def __call__(self, latents):
        """Evaluates a batch.

        Args:
            latents: Array-like ``(n, 128)``; any ``n`` including 0.

        Returns:
            ``(objective, measures)``: float32 arrays of shapes ``(n,)`` and
            ``(n, spec.measure_dim)``, in the order of ``latents``.
        """
        return split_packed(self.evaluate_packed(latents))

    def evaluate_packed(self, latents):
        """Like calling the evaluator, but returns one float32 array
        ``(n, 1 + measure_dim)``: the objective, then the measures."""
        start = time.perf_counter()
        array = check_latents(latents, self.networks.generator.latent_dim)
        if len(array) == 0:
            result = np.zeros((0, 1 + self.spec.measure_dim), np.float32)
        else:
            if not array.flags.writeable:
                # Ray hands actors read-only arrays; torch warns on those, and
                # a copy of one batch costs microseconds.
                array = array.copy()
            with torch.inference_mode():
                z = torch.from_numpy(array).to(self.device)
                for _ in range(self.spec.repeats):
                    packed = self._evaluate(z)
                # One transfer back: objective and measures side by side.
                result = packed.cpu().numpy()
        self.last_seconds = time.perf_counter() - start
        return result

    def _evaluate(self, z):
        spec = self.spec
        fake = self.networks.generator(z)
        images = to_unit_range(fake)
        probs = classify(self.networks.classifier, images)
        if spec.target_digit is None:
            objective, digit = probs.max(dim=1)
        else:
            objective = probs[:, spec.target_digit]

        if spec.objective != "classifier":
            realism = self.networks.discriminator(fake)[:, 0]
            if spec.objective == "product":
                objective = objective * realism
            else:
                scale = torch.clamp(realism / spec.realism_threshold, max=1.0)
                objective = objective * scale

        flat = images.reshape(len(images), -1)
        inked = flat >= 0.5
        boldness = inked.sum(dim=1, dtype=flat.dtype)
        lightness = (flat * inked).sum(dim=1) / (boldness + 1.0)
        columns = [objective, boldness, lightness]
        if spec.target_digit is None:
            columns.append(digit.to(flat.dtype))
        return torch.stack(columns, dim=1).float()


def split_packed(packed):
    """Splits ``(n, 1 + m)`` packed results into ``(objective, measures)``."""
    return np.ascontiguousarray(packed[:, 0]), np.ascontiguousarray(packed[:, 1:])


def _map_latents(networks, latents, function, empty, batch_size):
    """``function(z)`` over latents in batches on the networks' device, on the CPU."""
    array = check_latents(latents, networks.generator.latent_dim)
    parts = []
    with torch.inference_mode():
        for start in range(0, len(array), batch_size):
            z = torch.from_numpy(array[start : start + batch_size]).to(networks.device)
            parts.append(function(z).cpu())
    if not parts:
        return empty
    return torch.cat(parts).numpy().astype(np.float32)


def discriminator_scores(networks, latents, batch_size=4096):
    """Returns the discriminator's score ``D(G(z))`` of each latent as float32."""
    return _map_latents(
        networks,
        latents,
        lambda z: networks.discriminator(networks.generator(z))[:, 0],
        np.zeros(0, np.float32),
        batch_size,
    )


def generate_images(networks, latents, batch_size=4096):
    """Returns the images ``(n, 28, 28)`` in [0, 1] of latents, as float32."""
    return _map_latents(
        networks,
        latents,
        lambda z: to_unit_range(networks.generator(z))[:, 0],
        np.zeros((0, 28, 28), np.float32),
        batch_size,
    )
