"""The errors a user can fix, which the command line reports without a traceback."""

from lsi_dist.models.weights import WeightsError
from lsi_dist.training.mnist import MnistError


def user_errors():
    """The exception classes a user can fix (imported lazily: Ray is heavy)."""
    from lsi_dist.distribution.placement import PlacementError
    from lsi_dist.search.checkpoint import CheckpointError
    from lsi_dist.search.config import ConfigError

    errors = [WeightsError, MnistError, PlacementError, CheckpointError, ConfigError]
    try:
        from lsi_dist.distribution.cluster import ConnectError
        from lsi_dist.distribution.pool import ActorStartError

        errors += [ConnectError, ActorStartError]
    except ImportError:  # Ray is optional for in-process runs.
        pass
    return tuple(errors)
