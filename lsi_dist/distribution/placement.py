"""Where evaluation actors go: how many, on GPUs (whole or shared) or on CPUs."""

import math
from dataclasses import dataclass

DEVICES = ("auto", "gpu", "cpu")


class PlacementError(ValueError):
    """Raised when a placement cannot be met by the cluster's resources."""


@dataclass(frozen=True)
class Placement:
    """How evaluation actors are placed.

    Attributes:
        device: ``"auto"`` uses GPU actors where the cluster has GPUs and CPU
            actors otherwise; ``"gpu"`` insists on GPUs; ``"cpu"`` never asks
            for one.
        num_actors: A fixed number of actors. ``None`` sizes the pool to the
            cluster: ``actors_per_gpu`` per GPU, or one per
            ``cpus_per_actor`` CPUs, less a CPU the driver keeps on its own
            node (see :meth:`actor_count`).
        actors_per_gpu: Actors sharing one GPU (each asks for
            ``1 / actors_per_gpu`` of it); more than one hides each actor's
            launch latency behind the others'.
        cpus_per_actor: CPUs each CPU actor asks for and uses as torch threads.
            GPU actors ask for none, so that a GPU node's CPUs never limit how
            many GPU actors it holds.
    """

    device: str = "auto"
    num_actors: int | None = None
    actors_per_gpu: int = 1
    cpus_per_actor: float = 1.0

    def __post_init__(self):
        if self.device not in DEVICES:
            raise PlacementError(
                f"device must be one of {DEVICES}, not {self.device!r}."
            )
        if self.num_actors is not None and (
            not isinstance(self.num_actors, int) or self.num_actors < 1
        ):
            raise PlacementError(
                f"num_actors must be a positive integer or None, "
                f"not {self.num_actors!r}."
            )
        if not isinstance(self.actors_per_gpu, int) or self.actors_per_gpu < 1:
            raise PlacementError(
                f"actors_per_gpu must be a positive integer, not "
                f"{self.actors_per_gpu!r}."
            )
        if not self.cpus_per_actor > 0:
            raise PlacementError(
                f"cpus_per_actor must be positive, not {self.cpus_per_actor!r}."
            )

    def uses_gpus(self, resources):
        """Whether actors ask for GPUs, given the cluster's resources."""
        gpus = resources.get("GPU", 0)
        if self.device == "gpu" and gpus <= 0:
            raise PlacementError(
                "Placement device='gpu' was asked for, but the cluster has no GPUs. "
                "Use device='auto' or 'cpu', or join a cluster with GPU nodes."
            )
        return self.device == "gpu" or (self.device == "auto" and gpus > 0)

    def actor_options(self, resources):
        """Ray ``.options()`` for one actor."""
        if self.uses_gpus(resources):
            return {"num_gpus": 1.0 / self.actors_per_gpu, "num_cpus": 0}
        return {"num_gpus": 0, "num_cpus": self.cpus_per_actor}

    def actor_count(self, resources, driver_cpus=0):
        """The number of actors the cluster's resources call for (at least 1).

        Args:
            resources: The cluster's total resources.
            driver_cpus: CPUs the driver keeps for itself; CPU actors are
                sized to the rest. The pool keeps one when the driver's own
                node offers CPUs (a local instance): it tells and asks while
                the actors evaluate, and actors on every core measured
                slower on two cores.
        """
        if self.num_actors is not None:
            return self.num_actors
        if self.uses_gpus(resources):
            return max(1, math.floor(resources.get("GPU", 0)) * self.actors_per_gpu)
        cpus = resources.get("CPU", 1) - driver_cpus
        return max(1, math.floor(cpus / self.cpus_per_actor))

    def torch_threads(self, resources):
        """Torch threads for each actor."""
        if self.uses_gpus(resources):
            return 1
        return max(1, math.floor(self.cpus_per_actor))
