"""The Ray actor that holds the networks and evaluates shards of latents."""

import os
import resource
import socket
import threading
import time

import ray
import torch

from lsi_dist.distribution.channel import ChannelServer
from lsi_dist.evaluation import Evaluator
from lsi_dist.models.weights import WEIGHTS_DIR, load_networks


@ray.remote(max_restarts=0, max_task_retries=0)
class EvaluationActor:
    """Loads the networks once and evaluates shards.

    It computes on the GPU Ray assigned it (Ray sets ``CUDA_VISIBLE_DEVICES``,
    so that GPU is ``cuda:0`` here), and on the CPU when it was given none or
    when the node has no CUDA device (logical GPUs on a CPU machine).

    Restarts are left to the pool, which re-runs a lost actor's shard elsewhere
    at once instead of waiting for Ray to bring the actor back.

    Shards come as Ray calls of :meth:`evaluate`, or, from a driver on the
    same node, over the socket :meth:`open_channel` starts; one evaluation
    runs at a time either way.
    """

    def __init__(self, spec, weights_dir=None, torch_threads=1):
        torch.set_num_threads(torch_threads)
        gpu_ids = ray.get_gpu_ids()
        if gpu_ids and torch.cuda.is_available():
            device = torch.device("cuda", 0)
        else:
            device = torch.device("cpu")
        self.gpu_ids = [str(gpu) for gpu in gpu_ids]
        self.evaluator = Evaluator(
            load_networks(device, weights_dir or WEIGHTS_DIR), spec
        )
        self._busy = threading.Lock()
        self._channel = None

    def evaluate(self, latents):
        """Returns ``(results, seconds)``: ``results`` is float32 ``(n, 1 + m)``,
        the objective followed by the measures; ``seconds`` the compute time."""
        with self._busy:
            packed = self.evaluator.evaluate_packed(latents)
            return packed, self.evaluator.last_seconds

    def open_channel(self):
        """Starts serving :meth:`evaluate` on a Unix socket; returns its
        path (see :mod:`lsi_dist.distribution.channel`). The driver removes
        the socket's folder when it stops the actor."""
        if self._channel is None:
            self._channel = ChannelServer(self.evaluate)
        return self._channel.path

    def info(self):
        """Where the actor runs (device, GPU ids, node, host, process), its
        peak resident memory and the CPU time its process used so far."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "device": str(self.evaluator.device),
            "gpu_ids": self.gpu_ids,
            "node_id": ray.get_runtime_context().get_node_id(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "torch_threads": torch.get_num_threads(),
            "last_seconds": self.evaluator.last_seconds,
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
        }

    def sleep(self, seconds):
        """Blocks evaluation for ``seconds``; lets tests stand in for a hung
        evaluation."""
        with self._busy:
            time.sleep(seconds)
