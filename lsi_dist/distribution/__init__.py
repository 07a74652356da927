"""Distributed evaluation: Ray actors, the pool that shards over them, placement.

This package is the only one that imports Ray, and it does so lazily: the
in-process backend and :class:`Placement` work without it.
"""

from lsi_dist.distribution.local import LocalPool
from lsi_dist.distribution.placement import Placement, PlacementError
from lsi_dist.distribution.sharding import plan_shards

__all__ = ["LocalPool", "Placement", "PlacementError", "plan_shards", "make_pool"]


def make_pool(spec, backend="ray", placement=None, weights_dir=None, **pool_kwargs):
    """Returns an evaluation pool: ``"ray"`` (actors) or ``"local"`` (in-process).

    The Ray backend needs Ray initialised (:func:`connect`).
    """
    if backend == "local":
        return LocalPool(spec, weights_dir=weights_dir)
    if backend == "ray":
        from lsi_dist.distribution.pool import RayPool

        return RayPool(
            spec, placement=placement, weights_dir=weights_dir, **pool_kwargs
        )
    raise ValueError(f"backend must be 'ray' or 'local', not {backend!r}.")


def __getattr__(name):
    # Ray-backed names load on first use, so `import lsi_dist.distribution`
    # stays cheap for in-process runs.
    if name in ("RayPool", "PoolError", "ActorStartError", "ShardError"):
        from lsi_dist.distribution import pool

        return getattr(pool, name)
    if name in ("connect", "disconnect", "wait_for_gpus", "ConnectError"):
        from lsi_dist.distribution import cluster

        return getattr(cluster, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
