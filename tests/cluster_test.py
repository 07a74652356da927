"""Running on a Ray cluster: cluster.yaml, a real two-node cluster, bad addresses.

The cluster is a head and a worker started as separate processes with
`ray start` (own ports, own temp folder, token authentication); the worker
has two logical GPUs. Every process it started is killed at the end, also
when a test fails.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

RAY = str(Path(sys.executable).with_name("ray"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# cluster.yaml -------------------------------------------------------------


@pytest.mark.parametrize("path", ["cluster.yaml", "scripts/cluster-onprem.yaml"])
def test_cluster_configs_match_the_launcher_schema(path):
    import jsonschema
    import ray

    schema_path = Path(ray.__file__).parent / "autoscaler" / "ray-schema.json"
    config = yaml.safe_load((REPO / path).read_text())
    jsonschema.validate(config, json.loads(schema_path.read_text()))

    node_types = config.get("available_node_types")
    if node_types:  # the local provider fills its node types in itself
        assert config["head_node_type"] in node_types
        for node in node_types.values():
            for value in node.get("resources", {}).values():
                assert isinstance(value, int) and value >= 0
        assert (
            sum(n.get("min_workers", 0) for n in node_types.values())
            <= config["max_workers"]
        )
    commands = " ".join(config["head_start_ray_commands"])
    assert "RAY_AUTH_MODE=token" in commands
    assert "--dashboard-host=127.0.0.1" in commands
    assert "RAY_AUTH_MODE=token" in " ".join(config["worker_start_ray_commands"])
    assert "~/.ray/auth_token" in config["file_mounts"]


def test_aws_cluster_opens_only_ssh():
    config = yaml.safe_load((REPO / "cluster.yaml").read_text())
    rules = config["provider"]["security_group"]["IpPermissions"]
    assert [(r["FromPort"], r["ToPort"]) for r in rules] == [(22, 22)]
    gpus = [
        n["resources"].get("GPU", 0) for n in config["available_node_types"].values()
    ]
    assert sorted(gpus) == [0, 1, 4]
    assert all(n["min_workers"] == 0 for n in config["available_node_types"].values())


# A real two-node cluster ---------------------------------------------------


class LocalCluster:
    """A head and a worker started with `ray start`, and their teardown."""

    def __init__(self, temp_dir):
        self.temp_dir = str(temp_dir)
        self.port = free_port()
        self.dashboard_port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.dashboard = f"http://127.0.0.1:{self.dashboard_port}"
        self.token = secrets.token_hex(16)
        self.env = dict(
            os.environ,
            RAY_AUTH_MODE="token",
            RAY_AUTH_TOKEN=self.token,
            RAY_USAGE_STATS_ENABLED="0",
        )
        self.env.pop("RAY_ADDRESS", None)
        # As with the virtual environment activated: scripts call `ray`.
        self.env["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
        self.worker_ports = []

    def start(self):
        self._ray(
            "start",
            "--head",
            f"--port={self.port}",
            "--num-cpus=0",
            "--num-gpus=0",
            f"--dashboard-port={self.dashboard_port}",
            "--dashboard-host=127.0.0.1",
            f"--temp-dir={self.temp_dir}",
            f"--ray-client-server-port={free_port()}",
            *self._agent_ports(),
        )
        self.add_worker(num_cpus=2, num_gpus=2)

    def add_worker(self, num_cpus, num_gpus=0):
        port = free_port()
        # A temp folder of its own, as on a machine of its own: nodes that
        # share one unpack a job's working directory over each other.
        temp_dir = Path(self.temp_dir) / f"worker-{port}"
        self._ray(
            "start",
            f"--address={self.address}",
            f"--temp-dir={temp_dir}",
            *self._agent_ports(),
            f"--num-cpus={num_cpus}",
            f"--num-gpus={num_gpus}",
            f"--node-manager-port={port}",
        )
        self.worker_ports.append(port)
        return port

    @staticmethod
    def _agent_ports():
        # Each node's agents on ports of their own, as on machines of their own.
        return [
            f"--dashboard-agent-listen-port={free_port()}",
            f"--dashboard-agent-grpc-port={free_port()}",
            f"--runtime-env-agent-port={free_port()}",
            f"--metrics-export-port={free_port()}",
        ]

    def kill_worker(self, port):
        """Kills one worker node's raylet, as when its machine is lost."""
        for pid, args in _processes():
            if "raylet" in args and f"--node_manager_port={port}" in args:
                os.kill(pid, signal.SIGKILL)

    def _ray(self, *args):
        subprocess.run(
            [RAY, *args, "--disable-usage-stats"],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def stop(self):
        """Kills every process of this cluster and their children."""
        roots = {pid for pid, args in _processes() if self.temp_dir in args}
        family = set(roots)
        children = _children()
        while roots:
            roots = {c for pid in roots for c in children.get(pid, [])} - family
            family |= roots
        for pid in family:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _processes():
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            yield int(entry.name), args


def _children():
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


@pytest.fixture(scope="module")
def cluster():
    # A short root: Ray's socket paths under it must stay within 107 bytes.
    temp_dir = tempfile.mkdtemp(prefix="lsi", dir="/tmp")
    made = LocalCluster(temp_dir)
    try:
        made.start()
        yield made
    finally:
        made.stop()
        shutil.rmtree(temp_dir, ignore_errors=True)


def lsi(env, *args, timeout=300):
    """Runs the `lsi-dist` command line with ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "lsi_dist", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def test_a_job_submitted_with_ray_job_submit(cluster, tmp_path, short_run_flags):
    env = dict(
        cluster.env,
        RAY_ADDRESS=cluster.dashboard,
        LSI_RUN="job-test",
        LSI_RUNS_ROOT=str(tmp_path),
        LSI_PYTHON=sys.executable,
    )
    env.pop("RAY_AUTH_TOKEN_PATH", None)
    done = subprocess.run(
        ["bash", "scripts/cluster_submit.sh", *short_run_flags, "--device", "gpu"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    follow = subprocess.run(
        ["bash", "scripts/cluster_logs.sh", "job-test"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Done: 12 iterations" in follow.stdout, follow.stdout + follow.stderr

    run_dir = tmp_path / "job-test"
    for name in ("archive.csv", "heatmap.png", "summary.json", "metrics.csv"):
        assert (run_dir / name).exists(), name
    actors = json.loads((run_dir / "actors.json").read_text())
    assert len(actors) == 2  # one per logical GPU of the worker
    # GPU actors can only be on the worker: the head has no GPUs.
    assert all(actor["gpu_ids"] for actor in actors)
    head = head_node_id(cluster)
    assert all(actor["node_id"] != head for actor in actors)


def head_node_id(cluster):
    code = (
        f"import ray; ray.init(address={cluster.address!r}, logging_level='ERROR'); "
        "print([n['NodeID'] for n in ray.nodes() "
        "if 'node:__internal_head__' in n['Resources']][0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1]


def test_driver_joins_with_address_and_survives_a_lost_worker(
    cluster, tmp_path, short_run_flags
):
    spare = cluster.add_worker(num_cpus=2)
    run_dir = tmp_path / "run"
    driver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lsi_dist",
            "-v",
            "run",
            *short_run_flags[:-3],
            "--iterations",
            "400",
            "--log-every",
            "20",
            "--no-progress",
            "--device",
            "cpu",
            "--num-actors",
            "2",
            "--address",
            cluster.address,
            "--output",
            str(run_dir),
        ],
        env=cluster.env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while (
            not (run_dir / "metrics.csv").exists()
            or len((run_dir / "metrics.csv").read_text().splitlines()) < 3
        ):
            assert driver.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        actors = json.loads((run_dir / "actors.json").read_text())
        cluster.kill_worker(spare)
        output, _ = driver.communicate(timeout=240)
    finally:
        driver.kill()
    assert driver.returncode == 0, output[-3000:]
    assert "Done: 400 iterations, 60,000 evaluations" in output
    # The actor on the lost node was replaced and its shards re-run.
    assert "lost (" in output and "its shards go to other actors" in output
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["complete"] and summary["evaluations"] == 60_000
    assert len({a["node_id"] for a in actors}) == 2  # spread over both workers


def test_unreachable_address_fails_in_seconds(tmp_path):
    start = time.monotonic()
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)
    done = lsi(
        env,
        "run",
        "--address",
        f"127.0.0.1:{free_port()}",
        "--output",
        str(tmp_path / "r"),
    )
    assert done.returncode == 2
    assert "Cannot reach a Ray head at 127.0.0.1:" in done.stderr
    assert time.monotonic() - start < 30


def test_wrong_and_missing_tokens_are_named(cluster, tmp_path):
    env = dict(cluster.env, RAY_AUTH_TOKEN="not-the-token")
    done = lsi(
        env, "run", "--address", cluster.address, "--output", str(tmp_path / "a")
    )
    assert done.returncode == 2
    assert "wrong token" in done.stderr
    env = dict(cluster.env, HOME=str(tmp_path))
    env.pop("RAY_AUTH_TOKEN")
    done = lsi(
        env, "run", "--address", cluster.address, "--output", str(tmp_path / "b")
    )
    assert done.returncode == 2
    assert "refused this driver's token" in done.stderr


def test_missing_resources_fail_in_seconds(cluster, tmp_path):
    start = time.monotonic()
    done = lsi(
        cluster.env,
        "run",
        "--address",
        cluster.address,
        "--device",
        "cpu",
        "--cpus-per-actor",
        "64",
        "--output",
        str(tmp_path / "a"),
    )
    assert done.returncode == 2
    assert "asks for 64" in done.stderr and "whole cluster has" in done.stderr
    done = lsi(
        cluster.env,
        "run",
        "--address",
        cluster.address,
        "--wait-for-gpus",
        "8",
        "--wait-timeout-s",
        "3",
        "--output",
        str(tmp_path / "b"),
    )
    assert done.returncode == 2
    assert "Waited 3 s for 8 GPUs, but the cluster has 2" in done.stderr
    assert time.monotonic() - start < 60
