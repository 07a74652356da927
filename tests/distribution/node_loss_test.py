import json
import subprocess
import sys
from pathlib import Path


def test_worker_node_lost_mid_batch_and_a_joining_node_used():
    script = Path(__file__).with_name("node_loss_check.py")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert line, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(line[-1][len("RESULT ") :])
    assert result["equal"], result
    assert result["equal_after"], result
    assert result["replaced"] == 2, result
    assert result["actors_after"] == 2 and result["moved_node"], result
    assert result["grew"] == [2, 4] and result["equal_grown"], result
