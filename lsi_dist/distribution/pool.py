"""The pool of evaluation actors: shards, gathers in order, survives lost actors."""

import logging
import os
import shutil
import time
from dataclasses import dataclass, field

import numpy as np
import ray
from ray.exceptions import (
    GetTimeoutError,
    NodeDiedError,
    ObjectLostError,
    OutOfMemoryError,
    OwnerDiedError,
    RayActorError,
    RayTaskError,
    WorkerCrashedError,
)

from lsi_dist.distribution.actor import EvaluationActor
from lsi_dist.distribution.channel import (
    CHANNEL_FOLDER_PREFIX,
    ChannelClient,
    ChannelLost,
    ChannelTimeout,
    EvaluationFailed,
)
from lsi_dist.distribution.placement import Placement, PlacementError
from lsi_dist.distribution.sharding import plan_shards
from lsi_dist.evaluation import check_latents, split_packed

logger = logging.getLogger(__name__)

# Errors after which the shard is re-run elsewhere: the actor, its worker
# process or its node is gone. Any other error was raised by the evaluation
# itself, would recur on every actor, and is reported instead.
_LOST = (
    RayActorError,
    ObjectLostError,
    OwnerDiedError,
    NodeDiedError,
    WorkerCrashedError,
    OutOfMemoryError,
)


# Once one actor is live, how long a new pool waits for the others before it
# starts evaluating with those it has.
_START_GRACE_S = 15.0


class PoolError(RuntimeError):
    """Base class of the pool's errors."""


class ActorStartError(PoolError):
    """No evaluation actor could be started or kept alive."""


class ShardError(PoolError):
    """The evaluation of a shard raised, or its retries ran out."""


class _Lost(Exception):
    """The actor of a call is gone; the reason says how it was seen."""


class _Hung(Exception):
    """A call got no answer in time."""


class _Failed(Exception):
    """The evaluation raised; the text names the error."""


class _RayCall:
    """A shard sent as a Ray actor call."""

    def __init__(self, ref):
        self.ref = ref

    def result(self, timeout):
        try:
            return ray.get(self.ref, timeout=timeout)
        except GetTimeoutError as error:
            raise _Hung() from error
        except _LOST as error:
            raise _Lost(type(error).__name__) from error
        except RayTaskError as error:
            cause = error.cause
            raise _Failed(f"{type(cause).__name__}: {cause}") from cause


class _ChannelCall:
    """A shard sent over an actor's local channel."""

    def __init__(self, channel, number):
        self.channel = channel
        self.number = number

    def result(self, timeout):
        try:
            return self.channel.result(self.number, timeout)
        except ChannelTimeout as error:
            raise _Hung() from error
        except ChannelLost as error:
            raise _Lost(f"its channel closed: {error}") from error
        except EvaluationFailed as error:
            raise _Failed(str(error)) from error


@dataclass
class _Slot:
    """One actor and what the pool knows about it."""

    name: str
    handle: object
    info: dict = field(default_factory=dict)
    speed: float | None = None  # rows per second, smoothed
    inflight: int = 0
    channel: ChannelClient | None = None
    channel_path: str | None = None

    def call(self, latents, timeout_s):
        """Sends a shard over the local channel if there is one, else by Ray."""
        if self.channel is not None:
            return _ChannelCall(self.channel, self.channel.submit(latents, timeout_s))
        return _RayCall(self.handle.evaluate.remote(latents))

    def stop(self):
        """Kills the actor and removes its channel's folder."""
        if self.channel is not None:
            self.channel.close()
        try:
            ray.kill(self.handle, no_restart=True)
        except Exception:  # noqa: BLE001 - it may be gone already, which is fine.
            pass
        folder = os.path.dirname(self.channel_path or "")
        if os.path.basename(folder).startswith(CHANNEL_FOLDER_PREFIX):
            shutil.rmtree(folder, ignore_errors=True)

    def describe(self):
        return (
            f"{self.name} (pid {self.info.get('pid', '?')} on "
            f"{self.info.get('host', '?')}, {self.info.get('device', '?')})"
        )


@dataclass
class _Shard:
    start: int
    stop: int
    slot: _Slot
    call: object
    deadline: float
    attempts: int = 0


class PendingBatch:
    """A batch whose shards are on the actors; pass it to :meth:`RayPool.collect`."""

    def __init__(self, latents, shards):
        self.latents = latents
        self.shards = shards

    def __len__(self):
        return len(self.latents)


class RayPool:
    """Evaluates batches of latents on Ray actors, in ``ask`` order.

    A batch is cut into shards over the actors that have nothing in flight
    (all of them, when batches come one at a time), or goes whole to the
    least loaded actor when every actor is busy. Every shard of a batch is
    submitted before any is waited on. An actor
    that dies, loses its node or stops answering within ``call_timeout_s`` is
    replaced, and its shard re-run on a live actor, so a collected batch is
    always complete and equal to a fault-free one.

    Ray must be initialised first (see :func:`lsi_dist.distribution.connect`).

    Args:
        spec: :class:`~lsi_dist.evaluation.EvaluationSpec`, sent to each actor
            once, at its start.
        placement: :class:`~lsi_dist.distribution.Placement`.
        weights_dir: Weights folder as the actors see it (the shipped weights
            by default).
        call_timeout_s: Seconds a shard may take before its actor counts as hung.
        max_retries: Re-runs allowed per shard before the batch fails.
        start_timeout_s: Seconds to wait for an actor to start when none is live.
        rescan_s: How often the pool looks for new cluster resources to grow into.
        local_channels: Send shards to actors on the driver's own node over a
            Unix socket instead of a Ray call (see
            :mod:`lsi_dist.distribution.channel`); actors elsewhere always
            get Ray calls.

    Raises:
        PlacementError: The cluster cannot hold even one actor.
        ActorStartError: No actor started within ``start_timeout_s``.
    """

    def __init__(
        self,
        spec,
        placement=None,
        weights_dir=None,
        call_timeout_s=120.0,
        max_retries=3,
        start_timeout_s=120.0,
        rescan_s=10.0,
        local_channels=True,
    ):
        if not ray.is_initialized():
            raise PoolError(
                "Ray is not initialised; call "
                "lsi_dist.distribution.connect() before making a pool."
            )
        self.spec = spec
        self.placement = placement or Placement()
        self.weights_dir = None if weights_dir is None else str(weights_dir)
        self.call_timeout_s = call_timeout_s
        self.max_retries = max_retries
        self.start_timeout_s = start_timeout_s
        self.rescan_s = rescan_s
        self.local_channels = local_channels
        self._node_id = ray.get_runtime_context().get_node_id()
        self.last_compute_seconds = 0.0
        self.replaced = 0

        self._live = []
        self._starting = []  # (slot, ready_ref)
        self._first_live_at = None
        self._counter = 0
        resources = ray.cluster_resources()
        self._options = self.placement.actor_options(resources)
        self._check_fits(resources)
        self._threads = self.placement.torch_threads(resources)
        self._target = self.placement.actor_count(resources, self._driver_cpus())
        self._last_scan = time.monotonic()
        fits = max(1, self._fitting_count(resources))
        if fits < self._target:
            logger.warning(
                "%d evaluation actors were asked for, but the cluster's "
                "resources hold %d; starting %d.",
                self._target,
                fits,
                fits,
            )
            self._target = fits
        for _ in range(self._target):
            self._start_actor()
        self._await_starts(all_of_them=True)

    # Actors -------------------------------------------------------------

    def _check_fits(self, resources):
        options = self._options
        for key, ray_key in (("num_gpus", "GPU"), ("num_cpus", "CPU")):
            if options[key] > resources.get(ray_key, 0):
                raise PlacementError(
                    f"Each evaluation actor asks for {options[key]} {ray_key}, but "
                    f"the whole cluster has {resources.get(ray_key, 0)}. Lower "
                    f"the placement's needs or add nodes with {ray_key}s (on a "
                    "cluster whose GPU workers start from zero, wait for them "
                    "with --wait-for-gpus N)."
                )

    def _driver_cpus(self):
        """1 if the driver's own node offers CPUs to Ray (it keeps one), else 0."""
        for node in ray.nodes():
            if node.get("NodeID") == self._node_id and node.get("Alive"):
                return 1 if node.get("Resources", {}).get("CPU", 0) >= 1 else 0
        return 0

    def _fitting_count(self, resources):
        """How many actors the cluster's total resources hold at most."""
        counts = [
            int(resources.get(ray_key, 0) // self._options[key] + 1e-9)
            for key, ray_key in (("num_gpus", "GPU"), ("num_cpus", "CPU"))
            if self._options[key] > 0
        ]
        return min(counts) if counts else self._target

    def _start_actor(self):
        self._counter += 1
        handle = EvaluationActor.options(
            name=None, scheduling_strategy="SPREAD", **self._options
        ).remote(self.spec, self.weights_dir, self._threads)
        slot = _Slot(name=f"actor-{self._counter}", handle=handle)
        self._starting.append((slot, handle.info.remote()))

    def _adopt_ready(self, wanted, timeout):
        """Adopts up to all starting actors that are ready within ``timeout``.

        An actor lost before it started (its node died) is replaced. Returns
        the errors of actors whose constructor raised: those would fail again.
        """
        refs = [ref for _, ref in self._starting]
        ready, _ = ray.wait(refs, num_returns=min(wanted, len(refs)), timeout=timeout)
        ready = set(ready)
        init_errors, still, lost = [], [], 0
        for slot, ref in self._starting:
            if ref not in ready:
                still.append((slot, ref))
                continue
            try:
                slot.info = ray.get(ref)
            except RayActorError as error:
                if error.actor_init_failed:
                    logger.warning(
                        "Evaluation %s failed to start: %s", slot.name, error
                    )
                    init_errors.append(error)
                else:
                    logger.warning(
                        "Evaluation %s was lost while starting (%s); starting another.",
                        slot.name,
                        type(error).__name__,
                    )
                    lost += 1
                continue
            self._open_channel(slot)
            if not self._live:
                self._first_live_at = time.monotonic()
            self._live.append(slot)
            logger.info("Evaluation %s started", slot.describe())
        self._starting = still
        for _ in range(min(lost, self._target - len(self._live) - len(still))):
            self._start_actor()
        return init_errors

    def _open_channel(self, slot):
        """Connects to the local channel of an actor on the driver's node."""
        slot.info["data_path"] = "ray"
        if not self.local_channels or slot.info.get("node_id") != self._node_id:
            return
        try:
            slot.channel_path = ray.get(
                slot.handle.open_channel.remote(), timeout=self.call_timeout_s
            )
            slot.channel = ChannelClient(slot.channel_path)
        except Exception as error:  # noqa: BLE001 - Ray calls still work.
            logger.warning(
                "No local channel to %s (%s: %s); it gets Ray calls.",
                slot.describe(),
                type(error).__name__,
                error,
            )
            return
        slot.info["data_path"] = "local socket"

    def _await_starts(self, all_of_them=False, grace_s=_START_GRACE_S):
        """Waits for every starting actor, or for one live actor, or a timeout.

        When waiting for all, the wait ends ``grace_s`` after the first actor
        is live: the rest, which the cluster may not have room for yet, join
        later as they start.

        Raises:
            ActorStartError: An actor's constructor raised, or no actor is live
                after ``start_timeout_s``.
        """
        deadline = time.monotonic() + self.start_timeout_s
        while self._starting:
            if self._live:
                deadline = min(deadline, self._first_live_at + grace_s)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            wanted = len(self._starting) if all_of_them else 1
            init_errors = self._adopt_ready(wanted, remaining)
            if init_errors:
                raise ActorStartError(
                    self._no_actor_message(init_errors[0])
                ) from init_errors[0]
            if self._live and not all_of_them:
                break
        if not self._live:
            raise ActorStartError(self._no_actor_message(None))

    def _no_actor_message(self, cause):
        if cause is not None:
            return (
                f"No evaluation actor could start; the first failure was: "
                f"{cause}. Fix that error (for example the weights folder) "
                "and run again."
            )
        return (
            f"No evaluation actor started within {self.start_timeout_s:.0f} s. "
            f"Each asks for {self._options}; the cluster has "
            f"{ray.available_resources()} free of {ray.cluster_resources()}. "
            "Add nodes, lower the placement's needs, or raise start_timeout_s."
        )

    def _maintain(self):
        """Adopts actors that have started; grows into new cluster resources."""
        if self._starting:
            for error in self._adopt_ready(len(self._starting), timeout=0):
                logger.error("A replacement actor failed to start: %s", error)
        now = time.monotonic()
        if now - self._last_scan < self.rescan_s:
            return
        self._last_scan = now
        try:
            resources = ray.cluster_resources()
            self._target = max(
                1,
                min(
                    self.placement.actor_count(resources, self._driver_cpus()),
                    self._fitting_count(resources),
                ),
            )
        except PlacementError:
            return
        for _ in range(self._target - len(self._live) - len(self._starting)):
            self._start_actor()

    def _retire(self, slot, reason):
        """Drops an actor that died or hung, and starts its replacement."""
        if slot not in self._live:
            return
        self._live.remove(slot)
        self.replaced += 1
        logger.warning(
            "Evaluation %s lost (%s); its shards go to other actors.",
            slot.describe(),
            reason,
        )
        slot.stop()
        if len(self._live) + len(self._starting) < self._target:
            self._start_actor()

    def _any_live_slot(self):
        if not self._live:
            if not self._starting:
                self._start_actor()
            self._await_starts()
        return min(self._live, key=lambda slot: slot.inflight)

    # Batches ------------------------------------------------------------

    @property
    def num_actors(self):
        """Number of live actors."""
        return len(self._live)

    def describe(self, refresh=False):
        """Where each live actor runs (device, GPU ids, node, host, pid).

        Args:
            refresh: Ask the actors again (for current figures such as their
                peak memory) instead of returning what they said at start.
        """
        if refresh and self._live:
            infos = ray.get(
                [slot.handle.info.remote() for slot in self._live],
                timeout=self.call_timeout_s,
            )
            for slot, info in zip(self._live, infos):
                slot.info.update(info)
        return [dict(slot.info, name=slot.name) for slot in self._live]

    def submit(self, latents, validate=True):
        """Puts a batch on the actors without waiting; see :meth:`collect`.

        Args:
            latents: Array-like ``(n, 128)``.
            validate: Check the latents here first (shape, finiteness) and
                raise ValueError at once. The actors check them again, so a
                caller whose latents are known good may skip this pass.

        Returns:
            PendingBatch: The handle to collect.
        """
        array = check_latents(latents) if validate else np.asarray(latents)
        self._maintain()
        if not self._live:
            self._any_live_slot()
        # Split over the actors with nothing in flight; when all are busy
        # (several batches in flight, as with emitter groups), the batch goes
        # whole to the least loaded one. Each call has a fixed cost (the
        # networks' weights stream through the cache once per call), so a
        # batch is cut only where that buys parallel work.
        targets = [slot for slot in self._live if slot.inflight == 0] or [
            min(self._live, key=lambda slot: slot.inflight)
        ]
        known = [slot.speed for slot in self._live if slot.speed]
        default = float(np.mean(known)) if known else 1.0
        plan = plan_shards(len(array), [slot.speed or default for slot in targets])
        deadline = time.monotonic() + self.call_timeout_s
        shards = []
        for index, start, stop in plan:
            slot = targets[index]
            slot.inflight += 1
            call = slot.call(array[start:stop], self.call_timeout_s)
            shards.append(_Shard(start, stop, slot, call, deadline))
        return PendingBatch(array, shards)

    def collect(self, batch):
        """Waits for a batch and returns ``(objective, measures)`` in its order.

        Raises:
            ShardError: The evaluation raised (the actor and rows are named),
                or a shard failed more than ``max_retries`` times.
            ActorStartError: Every actor was lost and none could be started.
        """
        if not batch.shards:
            return split_packed(np.zeros((0, 1 + self.spec.measure_dim), np.float32))
        values = [self._result(batch, shard) for shard in batch.shards]
        packed = np.empty((len(batch), 1 + self.spec.measure_dim), np.float32)
        compute = 0.0
        for shard, (part, seconds) in zip(batch.shards, values):
            packed[shard.start : shard.stop] = part
            shard.slot.inflight -= 1
            compute = max(compute, seconds)
            if seconds > 0:
                speed = (shard.stop - shard.start) / seconds
                old = shard.slot.speed
                shard.slot.speed = speed if old is None else 0.7 * old + 0.3 * speed
        self.last_compute_seconds = compute
        return split_packed(packed)

    def evaluate(self, latents):
        """Evaluates a batch; returns ``(objective, measures)`` in its order."""
        return self.collect(self.submit(latents))

    def _result(self, batch, shard):
        """Gets one shard, re-running it until it succeeds or retries run out."""
        while True:
            timeout = max(0.0, shard.deadline - time.monotonic())
            try:
                return shard.call.result(timeout)
            except _Hung:
                self._retire(shard.slot, f"no answer within {self.call_timeout_s} s")
            except _Lost as error:
                self._retire(shard.slot, str(error))
            except _Failed as error:
                shard.slot.inflight -= 1
                raise ShardError(
                    f"Evaluation raised on {shard.slot.describe()} for rows "
                    f"{shard.start}-{shard.stop - 1} of a batch of {len(batch)}: "
                    f"{error}"
                ) from error.__cause__
            self._rerun(batch, shard)

    def _rerun(self, batch, shard):
        shard.slot.inflight -= 1
        shard.attempts += 1
        if shard.attempts > self.max_retries:
            raise ShardError(
                f"Rows {shard.start}-{shard.stop - 1} of a batch of {len(batch)} "
                f"failed {shard.attempts} times, more than max_retries="
                f"{self.max_retries}; {self.replaced} actors were lost so far. "
                "See the warnings above for why."
            )
        slot = self._any_live_slot()
        slot.inflight += 1
        shard.slot = slot
        shard.call = slot.call(
            batch.latents[shard.start : shard.stop], self.call_timeout_s
        )
        shard.deadline = time.monotonic() + self.call_timeout_s
        logger.info(
            "Rows %d-%d re-run on %s (attempt %d)",
            shard.start,
            shard.stop - 1,
            slot.describe(),
            shard.attempts + 1,
        )

    def close(self):
        """Stops every actor the pool started."""
        for slot in self._live + [slot for slot, _ in self._starting]:
            slot.stop()
        self._live, self._starting = [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
