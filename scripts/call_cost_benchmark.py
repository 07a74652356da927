"""Benchmark: CPU time one call costs, as a Ray actor call and over the socket.

Calls an evaluation actor that returns at once (no networks: the cost is the
call alone) with a batch of 150 float32 latents, the reference batch, N
times, blocking and with 5 calls in flight; for each it prints the wall time
per call and the CPU time per call of the driver and of the actor process,
and the busiest other processes (Ray's own, or the kernel's workers, which
on a virtual machine run whether or not anything is called). CPU times are
read from /proc, so Linux only.

    python scripts/call_cost_benchmark.py [--calls 3000]
"""

import argparse
import os
import time

import numpy as np
import ray

from lsi_dist.distribution.channel import ChannelClient, ChannelServer


@ray.remote(num_cpus=1)
class Echo:
    """Answers at once with an array the shape of the evaluation's results."""

    def evaluate(self, latents):
        return np.zeros((len(latents), 3), np.float32), 0.0

    def pid(self):
        return os.getpid()

    def open_channel(self):
        self._server = ChannelServer(self.evaluate)
        return self._server.path

    def close_channel(self):
        self._server.close()  # removes the socket's folder


def cpu_seconds():
    """CPU seconds so far of every process: ``{(pid, name): seconds}``."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as file:
                stat = file.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(pid), name] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def measure(label, call, get, calls, depth, actor_pid):
    for _ in range(200):
        get(call())
    before, start = cpu_seconds(), time.perf_counter()
    pending = []
    for _ in range(calls):
        pending.append(call())
        if len(pending) >= depth:
            get(pending.pop(0))
    for handle in pending:
        get(handle)
    wall = time.perf_counter() - start
    after = cpu_seconds()
    used = {
        key: (after[key] - before.get(key, 0.0)) / calls * 1e3
        for key in after
        if after[key] - before.get(key, 0.0) > 0
    }
    mine = {os.getpid(): 0.0, actor_pid: 0.0}
    others = {}
    for (pid, name), ms in used.items():
        if pid in mine:
            mine[pid] = ms
        else:
            others[f"{name} (pid {pid})"] = ms
    print(
        f"{label}: wall {wall / calls * 1e3:.3f} ms per call; CPU per call: "
        f"driver {mine[os.getpid()]:.3f} ms + actor {mine[actor_pid]:.3f} ms = "
        f"{sum(mine.values()):.3f} ms"
    )
    busiest = sorted(others.items(), key=lambda item: -item[1])[:2]
    print("    others: " + ", ".join(f"{name} {ms:.3f} ms" for name, ms in busiest))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    actor = Echo.remote()
    client = ChannelClient(ray.get(actor.open_channel.remote()))
    actor_pid = ray.get(actor.pid.remote())
    latents = np.random.default_rng(0).standard_normal((150, 128)).astype(np.float32)
    for depth, kind in ((1, "blocking"), (5, "5 in flight")):
        measure(
            f"Ray call, {kind}",
            lambda: actor.evaluate.remote(latents),
            ray.get,
            args.calls,
            depth,
            actor_pid,
        )
        measure(
            f"local socket, {kind}",
            lambda: client.submit(latents, 60.0),
            lambda number: client.result(number, 60.0),
            args.calls,
            depth,
            actor_pid,
        )
    client.close()
    ray.get(actor.close_channel.remote())
    ray.shutdown()


if __name__ == "__main__":
    main()
