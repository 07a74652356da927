import subprocess
import sys
import time

import pytest

from lsi_dist.search.checkpoint import CheckpointError, load_checkpoint

WRITER = """
import sys
from lsi_dist.search.checkpoint import Checkpoint, save_checkpoint
i = 0
while True:
    i += 1
    # 40 MB per checkpoint, so that the kill lands mid-write.
    save_checkpoint(sys.argv[1], Checkpoint(config={}, search=b"x" * 40_000_000,
                                            pending=None, iteration=i,
                                            evaluations=i, seconds=0.0))
    print(i, flush=True)
"""


def test_a_crash_mid_write_leaves_the_previous_checkpoint(tmp_path):
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "1"
        time.sleep(0.15)
    finally:
        writer.kill()
        writer.wait()
    checkpoint = load_checkpoint(tmp_path)
    assert checkpoint.iteration >= 1
    assert len(checkpoint.search) == 40_000_000


def test_missing_and_damaged_checkpoints_are_reported(tmp_path):
    with pytest.raises(CheckpointError, match="has no checkpoint"):
        load_checkpoint(tmp_path)
    (tmp_path / "checkpoint.pkl").write_bytes(b"not a pickle")
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_checkpoint(tmp_path)
