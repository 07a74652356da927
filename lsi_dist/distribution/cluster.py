"""Joining Ray: a local instance, or a cluster at an address, checked early."""

import logging
import os
import socket
import time

import ray

logger = logging.getLogger(__name__)


class ConnectError(RuntimeError):
    """Raised when Ray cannot be started or joined."""


def _split_address(address):
    """Returns ``(host, port)`` of a ``host:port`` GCS address, else ``None``."""
    if address in (None, "", "auto", "local") or "://" in address:
        return None
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConnectError(
            f"Ray address {address!r} is not of the form HOST:PORT (for example "
            "10.0.0.5:6379), 'auto', or ray://HOST:10001."
        )
    return host, int(port)


def _check_reachable(address, timeout_s):
    split = _split_address(address)
    if split is None:
        return
    host, port = split
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as error:
        raise ConnectError(
            f"Cannot reach a Ray head at {address} ({error}). Check the address "
            "(the head node's IP and GCS port, 6379 by default), that "
            "`ray start --head` runs there, and that the port is open to you."
        ) from error


def connect(
    address=None,
    num_cpus=None,
    num_gpus=None,
    connect_timeout_s=10.0,
    include_dashboard=False,
    **init_kwargs,
):
    """Starts a local Ray instance, or joins the cluster at ``address``.

    Without an address (and without ``RAY_ADDRESS`` set) a local instance is
    started with all of this machine's CPUs and GPUs, or with ``num_cpus`` and
    ``num_gpus`` logical ones. With an address the driver joins that cluster;
    the address is checked for a listening head first, so a wrong one fails
    in seconds.

    Ray 2.60 turns token authentication on: a local instance makes its own
    token, and joining a cluster needs the cluster's token in
    ``RAY_AUTH_TOKEN`` or ``~/.ray/auth_token``.

    Raises:
        ConnectError: The address is malformed or unreachable, or the token
            is missing or wrong.
    """
    if ray.is_initialized():
        return ray.get_runtime_context()
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address is not None:
        _check_reachable(address, connect_timeout_s)
        kwargs = dict(address=address, **init_kwargs)
    else:
        kwargs = dict(
            num_cpus=num_cpus,
            num_gpus=num_gpus,
            include_dashboard=include_dashboard,
            **init_kwargs,
        )
    kwargs.setdefault("logging_level", logging.WARNING)
    start = time.perf_counter()
    try:
        context = ray.init(**kwargs)
    except ray.exceptions.AuthenticationError as error:
        raise ConnectError(
            f"The Ray cluster at {address} refused this driver's token ({error}). "
            "Set RAY_AUTH_TOKEN to the cluster's token (on the head node: "
            "`cat ~/.ray/auth_token`), or copy that file to ~/.ray/auth_token."
        ) from error
    except (ConnectionError, TimeoutError) as error:
        hint = ""
        if os.environ.get("RAY_AUTH_MODE") == "token":
            hint = (
                " With token authentication a wrong token fails this way too: "
                "check that RAY_AUTH_TOKEN (or ~/.ray/auth_token) holds the "
                "cluster's token (on the head: `ray get-auth-token`)."
            )
        raise ConnectError(
            f"Could not join Ray at {address}: {error}.{hint}"
        ) from error
    logger.info(
        "Ray ready in %.1f s: %s", time.perf_counter() - start, ray.cluster_resources()
    )
    return context


def wait_for_gpus(count, timeout_s):
    """Blocks until the cluster has ``count`` GPUs, or raises after ``timeout_s``.

    For clusters whose GPU workers scale from zero: the run starts once
    enough of them have joined.

    Raises:
        ConnectError: Fewer than ``count`` GPUs joined within ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        gpus = ray.cluster_resources().get("GPU", 0)
        if gpus >= count:
            return gpus
        if time.monotonic() > deadline:
            raise ConnectError(
                f"Waited {timeout_s:.0f} s for {count} GPUs, but the cluster has "
                f"{gpus:g}. Check that GPU worker nodes can start (the autoscaler "
                "log: `ray monitor cluster.yaml`), or lower --wait-for-gpus."
            )
        logger.info("Waiting for GPUs: %g of %d joined", gpus, count)
        time.sleep(2.0)


def disconnect():
    """Shuts Ray down in this process (a local instance stops with it)."""
    if ray.is_initialized():
        ray.shutdown()
