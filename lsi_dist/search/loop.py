"""The ask -> evaluate -> tell loop, with metrics, checkpoints and resume.

Each emitter group has its own pyribs scheduler on the shared archive. The
loop keeps one batch per group on the pool: it collects group g's results,
tells them, asks group g for its next batch and submits it, then moves on to
group g + 1, whose batch has been evaluating meanwhile. With one group this
is the plain pyribs loop. The order of asks and tells depends only on the
configuration, so a seeded run is reproducible, and a checkpoint (taken
after every group has asked) resumes it exactly.
"""

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lsi_dist.files import atomic_write_json
from lsi_dist.search.algorithms import build_search
from lsi_dist.search.checkpoint import Checkpoint, save_checkpoint
from lsi_dist.search.config import ConfigError, RunConfig
from lsi_dist.search.metrics import MetricsLog, archive_figures

logger = logging.getLogger(__name__)

CONFIG_NAME = "config.json"


@dataclass
class RunResult:
    """How a call to :meth:`LsiRun.run` ended.

    Attributes:
        iteration: Iterations finished.
        evaluations: Latents evaluated and told.
        seconds: Loop wall time over all resumes.
        complete: Whether every configured iteration ran.
        figures: Final archive figures (see
            :func:`~lsi_dist.search.metrics.archive_figures`).
    """

    iteration: int
    evaluations: int
    seconds: float
    complete: bool
    figures: dict

    @property
    def evals_per_s(self):
        return self.evaluations / self.seconds if self.seconds > 0 else 0.0


def prepare_run_dir(config):
    """Creates the run folder and writes ``config.json``.

    Raises:
        ConfigError: The folder already holds another run.
    """
    run_dir = Path(config.output)
    if (run_dir / CONFIG_NAME).exists():
        raise ConfigError(
            f"Output folder {run_dir} already holds a run. Resume it with "
            f"`lsi-dist run --resume {run_dir}`, or choose another --output."
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(run_dir / CONFIG_NAME, config.to_dict())
    return run_dir


def read_run_config(run_dir):
    """Reads the configuration a run folder was started with."""
    path = Path(run_dir) / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(f"{run_dir} is not a run folder: it has no {CONFIG_NAME}.")
    return RunConfig.from_dict(json.loads(path.read_text()), source=str(path))


class LsiRun:
    """One LSI run over an evaluation pool.

    Args:
        config: A validated :class:`~lsi_dist.search.config.RunConfig`.
        pool: A pool from :func:`lsi_dist.distribution.make_pool`.
        run_dir: The run folder (see :func:`prepare_run_dir`).
        checkpoint: A :class:`~lsi_dist.search.checkpoint.Checkpoint` to go on
            from, or ``None`` to start anew.
    """

    def __init__(self, config, pool, run_dir, checkpoint=None):
        self.config = config
        self.pool = pool
        self.run_dir = Path(run_dir)
        if checkpoint is None:
            self.search = build_search(config)
            self.iteration = 0
            self.evaluations = 0
            self.seconds_before = 0.0
            self._pending_latents = None
        else:
            self.search = checkpoint.search
            self.iteration = checkpoint.iteration
            self.evaluations = checkpoint.evaluations
            self.seconds_before = checkpoint.seconds
            self._pending_latents = checkpoint.pending
        self.metrics = MetricsLog(
            self.run_dir, None if checkpoint is None else self.iteration
        )

    @property
    def archive(self):
        """The archive of the run's results."""
        return self.search.result_archive

    def run(self, on_iteration=None, should_stop=None):
        """Runs until ``config.iterations`` or until ``should_stop()`` is true.

        When stopped early, a checkpoint is written first, so the run can
        resume. Results go to ``tell`` in ``ask`` order; a non-finite
        objective or measure stops the run with an error, the last checkpoint
        intact.

        Args:
            on_iteration: Called as ``on_iteration(run)`` after every iteration.
            should_stop: Polled after every iteration.

        Returns:
            RunResult
        """
        config = self.config
        schedulers = self.search.schedulers
        start = time.perf_counter()
        last_row_time, last_row_evals = start, self.evaluations
        if self.iteration >= config.iterations:
            return self._result(start)

        if self._pending_latents is None:
            self._pending_latents = [scheduler.ask() for scheduler in schedulers]
        pending = [self.pool.submit(latents) for latents in self._pending_latents]

        while self.iteration < config.iterations:
            last = self.iteration + 1 == config.iterations
            for g, scheduler in enumerate(schedulers):
                objective, measures = self.pool.collect(pending[g])
                _check_finite(objective, measures, self.iteration)
                scheduler.tell(objective, measures)
                self.evaluations += len(objective)
                if not last:
                    latents = scheduler.ask()
                    self._pending_latents[g] = latents
                    pending[g] = self.pool.submit(latents)
            self.iteration += 1
            if last:
                self._pending_latents = None

            if self.iteration % config.log_every == 0 or last:
                now = time.perf_counter()
                rate = (self.evaluations - last_row_evals) / max(
                    now - last_row_time, 1e-9
                )
                last_row_time, last_row_evals = now, self.evaluations
                self.metrics.append(
                    {
                        "iteration": self.iteration,
                        "evaluations": self.evaluations,
                        **archive_figures(self.archive),
                        "evals_per_s": rate,
                        "elapsed_s": self.seconds_before + now - start,
                    }
                )
            stopping = should_stop is not None and should_stop()
            if self.iteration % config.checkpoint_every == 0 or last or stopping:
                self.checkpoint(start)
            if on_iteration is not None:
                on_iteration(self)
            if stopping and not last:
                # The batches already submitted are dropped; the checkpoint
                # holds their latents and evaluates them again on resume.
                for batch in pending:
                    self._drain(batch)
                break
        return self._result(start)

    def _drain(self, batch):
        try:
            self.pool.collect(batch)
        except Exception:  # noqa: BLE001 - results are discarded anyway.
            logger.debug("Discarded a batch that failed while stopping", exc_info=True)

    def checkpoint(self, loop_start):
        """Writes the run's checkpoint now."""
        save_checkpoint(
            self.run_dir,
            Checkpoint(
                config=self.config.to_dict(),
                search=self.search,
                pending=None
                if self._pending_latents is None
                else [np.asarray(latents) for latents in self._pending_latents],
                iteration=self.iteration,
                evaluations=self.evaluations,
                seconds=self.seconds_before + time.perf_counter() - loop_start,
            ),
        )

    def _result(self, loop_start):
        return RunResult(
            iteration=self.iteration,
            evaluations=self.evaluations,
            seconds=self.seconds_before + time.perf_counter() - loop_start,
            complete=self.iteration >= self.config.iterations,
            figures=archive_figures(self.archive),
        )


def _check_finite(objective, measures, iteration):
    if not (np.isfinite(objective).all() and np.isfinite(measures).all()):
        bad = np.flatnonzero(
            ~(np.isfinite(objective) & np.isfinite(measures).all(axis=1))
        )
        raise FloatingPointError(
            f"Evaluation returned non-finite values at iteration {iteration} for "
            f"rows {bad[:10].tolist()}; pyribs cannot take them. The last "
            "checkpoint is intact; check the weights with `lsi-dist check-weights`."
        )
