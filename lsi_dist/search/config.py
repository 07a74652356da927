"""The run configuration: defaults are the reference experiment, checked early."""

import dataclasses
import json
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ALGORITHMS = ("cma_me", "cma_mae", "map_elites")
RANKERS = ("2imp", "imp", "obj", "2rd", "rd", "2obj")
BACKENDS = ("ray", "local")


class ConfigError(ValueError):
    """Raised for a configuration value that cannot work; names key and fix."""


@dataclass
class RunConfig:
    """Everything a run needs. Defaults reproduce the reference experiment.

    Attributes:
        algorithm: ``cma_me`` (CMA-ES emitters ranked by improvement, the
            reference), ``cma_mae`` (CMA-ES on a soft archive with learning
            rate and threshold_min, elites kept in a result archive) or
            ``map_elites`` (iso-line Gaussian emitters, a baseline).
        target_digit: Digit 0-9 to illuminate, or ``None`` (``"all"`` in files
            and flags) for all ten in one run, the digit as a third measure.
        objective: ``classifier`` (reference), ``product`` or ``constrained``;
            see :class:`~lsi_dist.evaluation.EvaluationSpec`.
        realism_threshold: Discriminator score the constrained objective asks for.
        cells: Archive cells along boldness and lightness.
        boldness_range: Archive bounds of boldness.
        lightness_range: Archive bounds of lightness.
        emitters: Number of emitters.
        batch_size: Solutions each emitter asks for per iteration.
        sigma0: Initial step size of the CMA-ES emitters, and the line sigma of
            the iso-line emitters.
        iso_sigma: Iso-line emitter's isotropic sigma (``map_elites``).
        x0: Every coordinate of the initial solution.
        ranker: Ranker of the CMA-ES emitters (``2imp`` for CMA-ME; CMA-MAE
            uses ``imp``).
        learning_rate: CMA-MAE archive learning rate.
        threshold_min: CMA-MAE archive initial threshold.
        iterations: Iterations; each evaluates ``emitters * batch_size`` latents.
        seed: Seeds archive and emitters; a seeded run is reproducible.
        groups: Emitters are split into this many groups, each with its own
            scheduler on the shared archive; while one group's batch is
            evaluated, the driver serves another. 1 is the plain loop; 2
            (the default) measured fastest (see the README's Throughput).
        backend: ``ray`` (actors) or ``local`` (in the driver process).
        address: Ray cluster to join; ``None`` starts a local Ray instance
            (``RAY_ADDRESS`` is honoured too).
        device: Actor placement: ``auto``, ``gpu`` or ``cpu``.
        num_actors: Fixed actor count; ``None`` sizes it to the cluster.
        actors_per_gpu: Actors sharing each GPU.
        cpus_per_actor: CPUs of each CPU actor.
        local_channels: Send batches to actors on the driver's node over a
            Unix socket rather than as Ray calls (much less CPU per batch);
            actors on other nodes always get Ray calls.
        wait_for_gpus: Before starting, wait until the cluster has this many GPUs.
        wait_timeout_s: How long to wait for them.
        repeats: Evaluate each batch this many times (a heavier evaluation for
            scaling benchmarks; results are unchanged).
        output: The run folder.
        log_every: Iterations between metrics rows.
        checkpoint_every: Iterations between checkpoints.
    """

    algorithm: str = "cma_me"
    target_digit: int | None = 8
    objective: str = "classifier"
    realism_threshold: float = 0.5
    cells: list[int] = field(default_factory=lambda: [200, 200])
    boldness_range: list[float] = field(default_factory=lambda: [0.0, 784.0])
    lightness_range: list[float] = field(default_factory=lambda: [0.5, 1.0])
    emitters: int = 5
    batch_size: int = 30
    sigma0: float = 0.2
    iso_sigma: float = 0.02
    x0: float = 0.0
    ranker: str = "2imp"
    learning_rate: float = 0.01
    threshold_min: float = 0.0
    iterations: int = 30_000
    seed: int = 0
    groups: int = 2
    backend: str = "ray"
    address: str | None = None
    device: str = "auto"
    num_actors: int | None = None
    actors_per_gpu: int = 1
    cpus_per_actor: float = 1.0
    local_channels: bool = True
    wait_for_gpus: int = 0
    wait_timeout_s: float = 600.0
    repeats: int = 1
    output: str = "runs/lsi"
    log_every: int = 100
    checkpoint_every: int = 1000

    @property
    def batch_total(self):
        """Latents evaluated per iteration."""
        return self.emitters * self.batch_size

    def validate(self):
        """Checks every value; raises :class:`ConfigError` naming the first bad one."""
        _check(
            self.algorithm in ALGORITHMS,
            "algorithm",
            self.algorithm,
            f"use one of {', '.join(ALGORITHMS)}",
        )
        _check(
            self.target_digit is None
            or (isinstance(self.target_digit, int) and 0 <= self.target_digit <= 9),
            "target_digit",
            self.target_digit,
            "use a digit 0-9, or 'all'",
        )
        _check(
            self.objective in ("classifier", "product", "constrained"),
            "objective",
            self.objective,
            "use classifier, product or constrained",
        )
        _check(
            0 < self.realism_threshold <= 1,
            "realism_threshold",
            self.realism_threshold,
            "use a value in (0, 1]",
        )
        _check(
            len(self.cells) == 2
            and all(isinstance(c, int) and c > 0 for c in self.cells),
            "cells",
            self.cells,
            "give two positive integers, e.g. [200, 200]",
        )
        for name in ("boldness_range", "lightness_range"):
            bounds = getattr(self, name)
            _check(
                len(bounds) == 2 and bounds[0] < bounds[1],
                name,
                bounds,
                "give [low, high] with low < high",
            )
        for name in (
            "emitters",
            "batch_size",
            "iterations",
            "groups",
            "repeats",
            "log_every",
            "checkpoint_every",
            "actors_per_gpu",
        ):
            value = getattr(self, name)
            _check(
                isinstance(value, int) and value >= 1,
                name,
                value,
                "use an integer >= 1",
            )
        _check(
            self.groups <= self.emitters,
            "groups",
            self.groups,
            f"use at most emitters={self.emitters} groups",
        )
        _check(self.sigma0 > 0, "sigma0", self.sigma0, "use a positive step size")
        _check(self.iso_sigma > 0, "iso_sigma", self.iso_sigma, "use a positive value")
        _check(
            self.ranker in RANKERS,
            "ranker",
            self.ranker,
            f"use one of {', '.join(RANKERS)}",
        )
        _check(
            0 < self.learning_rate <= 1,
            "learning_rate",
            self.learning_rate,
            "use a value in (0, 1]",
        )
        _check(self.backend in BACKENDS, "backend", self.backend, "use ray or local")
        _check(
            self.device in ("auto", "gpu", "cpu"),
            "device",
            self.device,
            "use auto, gpu or cpu",
        )
        _check(
            self.num_actors is None
            or (isinstance(self.num_actors, int) and self.num_actors >= 1),
            "num_actors",
            self.num_actors,
            "use a positive integer, or leave unset",
        )
        _check(
            self.cpus_per_actor > 0,
            "cpus_per_actor",
            self.cpus_per_actor,
            "use a positive number",
        )
        _check(
            isinstance(self.local_channels, bool),
            "local_channels",
            self.local_channels,
            "use true or false",
        )
        _check(
            self.wait_for_gpus >= 0,
            "wait_for_gpus",
            self.wait_for_gpus,
            "use 0 (do not wait) or a GPU count",
        )
        _check(bool(self.output), "output", self.output, "name a run folder")
        return self

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values, source="configuration"):
        """Builds a config from a mapping, refusing unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"Unknown key(s) {unknown} in {source}. Known keys: "
                f"{', '.join(sorted(known))}."
            )
        values = dict(values)
        if values.get("target_digit") == "all":
            values["target_digit"] = None
        return cls(**values)


def _check(ok, name, value, fix):
    if not ok:
        raise ConfigError(f"Invalid {name} = {value!r}: {fix}.")


def load_config_file(path):
    """Reads a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file into a dict."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Configuration file {path} does not exist.")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text)
        if path.suffix in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text) or {}
        if path.suffix == ".json":
            return json.loads(text)
    except Exception as error:  # noqa: BLE001 - every parser's error is reported.
        raise ConfigError(f"Cannot parse {path}: {error}") from error
    raise ConfigError(
        f"Configuration file {path} must end in .toml, .yaml, .yml or .json."
    )


def build_config(file_values=None, overrides=None):
    """Merges defaults, a file's values, then flags (flags win); validates.

    Args:
        file_values: Mapping read from a configuration file.
        overrides: Mapping of flags that were given (``None`` values are
            treated as not given).
    """
    values = dict(file_values or {})
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return RunConfig.from_dict(values).validate()
