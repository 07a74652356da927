"""Shared fixtures: one local Ray instance for the whole session, data paths."""

from pathlib import Path

import pytest
import torch

# One torch thread, as every CPU evaluator uses: results are then bitwise
# independent of how a batch is split (see lsi_dist.evaluation).
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = REPO.parent / "shared" / "datasets" / "mnist"


@pytest.fixture(scope="session")
def ray_session():
    """A local Ray instance with 8 logical CPUs and 2 logical GPUs.

    The logical GPUs let GPU actors schedule on this CPU-only machine, where
    they compute on the CPU. Starting Ray costs seconds, so every test shares
    this one.
    """
    import ray

    ray.init(
        num_cpus=8,
        num_gpus=2,
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,
    )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def short_run_flags():
    """`lsi-dist run` flags for a run of seconds: small archive, 12 iterations,
    metrics and checkpoints every 4."""
    return (
        "--cells",
        "20",
        "20",
        "--iterations",
        "12",
        "--log-every",
        "4",
        "--checkpoint-every",
        "4",
        "--no-progress",
    )


@pytest.fixture(scope="session")
def mnist_dir():
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(
            f"MNIST is not at {MNIST_DIR} (CI has it beside the repo as "
            "../shared/datasets/mnist); the real-data checks need it."
        )
    return MNIST_DIR


@pytest.fixture(scope="session")
def networks():
    from lsi_dist.models import load_networks

    return load_networks("cpu")
