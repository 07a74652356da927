"""The QD search: configuration, pyribs objects, the ask/evaluate/tell loop."""

from lsi_dist.search.algorithms import SearchState, build_search, evaluation_spec
from lsi_dist.search.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from lsi_dist.search.config import ConfigError, RunConfig, build_config
from lsi_dist.search.loop import LsiRun, RunResult, prepare_run_dir, read_run_config

__all__ = [
    "Checkpoint",
    "ConfigError",
    "LsiRun",
    "RunConfig",
    "RunResult",
    "SearchState",
    "build_config",
    "build_search",
    "evaluation_spec",
    "load_checkpoint",
    "prepare_run_dir",
    "read_run_config",
    "save_checkpoint",
]
