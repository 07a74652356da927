"""Building the pyribs archive, emitters and schedulers of a run."""

from dataclasses import dataclass, replace

import numpy as np
from ribs.archives import GridArchive
from ribs.emitters import EvolutionStrategyEmitter, IsoLineEmitter
from ribs.schedulers import Scheduler

from lsi_dist.evaluation import DIGIT_RANGE, EvaluationSpec
from lsi_dist.models.networks import LATENT_DIM


@dataclass
class SearchState:
    """The pyribs objects of a run.

    Attributes:
        archive: The archive emitters work on (CMA-MAE's soft archive).
        result_archive: The archive of the best elites found: the same object
            as ``archive`` except for CMA-MAE.
        schedulers: One scheduler per emitter group, all on ``archive``.
    """

    archive: GridArchive
    result_archive: GridArchive
    schedulers: list


def evaluation_spec(config):
    """The :class:`~lsi_dist.evaluation.EvaluationSpec` a config calls for."""
    return EvaluationSpec(
        target_digit=config.target_digit,
        objective=config.objective,
        realism_threshold=config.realism_threshold,
        repeats=config.repeats,
    )


def archive_layout(config):
    """``(dims, ranges)`` of the archive: 2-D, or 3-D with the digit for all ten."""
    dims = list(config.cells)
    ranges = [tuple(config.boldness_range), tuple(config.lightness_range)]
    if config.target_digit is None:
        dims.append(10)
        ranges.append(DIGIT_RANGE)
    return dims, ranges


def _archive(config, seed, **kwargs):
    dims, ranges = archive_layout(config)
    return GridArchive(
        solution_dim=LATENT_DIM,
        dims=dims,
        ranges=ranges,
        seed=seed,
        solution_dtype=np.float32,
        measures_dtype=np.float32,
        **kwargs,
    )


def build_search(config):
    """Builds archive(s), emitters and schedulers, all seeded from ``config.seed``.

    Returns:
        SearchState
    """
    seeds = np.random.SeedSequence(config.seed).generate_state(config.emitters + 2)
    x0 = np.full(LATENT_DIM, config.x0)

    if config.algorithm == "cma_mae":
        archive = _archive(
            config,
            int(seeds[0]),
            learning_rate=config.learning_rate,
            threshold_min=config.threshold_min,
        )
        result_archive = _archive(config, int(seeds[1]))
    else:
        archive = _archive(config, int(seeds[0]))
        result_archive = None

    emitters = []
    for i in range(config.emitters):
        seed = int(seeds[2 + i])
        if config.algorithm == "map_elites":
            emitters.append(
                IsoLineEmitter(
                    archive,
                    x0=x0,
                    iso_sigma=config.iso_sigma,
                    line_sigma=config.sigma0,
                    batch_size=config.batch_size,
                    seed=seed,
                )
            )
        else:
            ranker = "imp" if config.algorithm == "cma_mae" else config.ranker
            emitters.append(
                EvolutionStrategyEmitter(
                    archive,
                    x0=x0,
                    sigma0=config.sigma0,
                    ranker=ranker,
                    batch_size=config.batch_size,
                    seed=seed,
                )
            )

    groups = np.array_split(np.arange(config.emitters), config.groups)
    schedulers = [
        Scheduler(archive, [emitters[i] for i in group], result_archive=result_archive)
        for group in groups
    ]
    return SearchState(
        archive=archive,
        result_archive=result_archive if result_archive is not None else archive,
        schedulers=schedulers,
    )


def warm_up_search(config, iterations=3):
    """Compiles pyribs' numba kernels by running a throwaway copy of the search.

    The first ``tell`` of a process compiles them, about 4 s on a small
    machine; running this while the evaluation actors start hides that. The
    copy is separate from the run's objects (another seed, its own archive),
    so the run's results do not change.
    """
    search = build_search(replace(config, seed=config.seed + 1))
    rng = np.random.default_rng(0)
    _, ranges = archive_layout(config)
    low, high = np.array(ranges, dtype=np.float64).T
    for _ in range(iterations):
        for scheduler in search.schedulers:
            count = len(scheduler.ask())
            measures = low + (high - low) * rng.random((count, len(ranges)))
            scheduler.tell(
                rng.random(count).astype(np.float32), measures.astype(np.float32)
            )
