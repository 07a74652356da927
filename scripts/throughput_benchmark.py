"""Benchmark: `lsi-dist run` against a plain in-process pyribs loop.

The plain loop is the reference experiment written the obvious way: one
pyribs Scheduler with five CMA-ES emitters, and each batch evaluated in the
driver process (on its GPU if it has one, else on the CPU with torch's
default threads), ask, evaluate, tell, in turn. `lsi-dist run` is the
library's LsiRun on the Ray pool, with the settings given. Both run the
same number of iterations with the same seed and weights; the variants
alternate, each in a fresh process, so that their peak memory is their own
and their ratio holds on a noisy machine.

Prints iterations/s, evaluations/s, the ratio to the plain loop, archive size
and QD score at equal evaluations, peak memory of the driver and of each
actor, and the CPU time per iteration the driver process (all its threads)
and each actor used during the loop.

    python scripts/throughput_benchmark.py --iterations 2000 --rounds 2
    python scripts/throughput_benchmark.py --variant groups=2 --variant groups=1
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time


def plain_loop(iterations, seed):
    """The reference loop in its plainest form; returns its figures."""
    import numpy as np
    import torch
    from ribs.archives import GridArchive
    from ribs.emitters import EvolutionStrategyEmitter
    from ribs.schedulers import Scheduler

    from lsi_dist.evaluation import Evaluator
    from lsi_dist.models import load_networks

    evaluate = Evaluator(load_networks("cuda" if torch.cuda.is_available() else "cpu"))

    def reference_scheduler(seed):
        # The seeds lsi-dist derives from the run seed, for a like-for-like archive.
        seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(7)]
        archive = GridArchive(
            solution_dim=128,
            dims=[200, 200],
            ranges=[(0, 784), (0.5, 1)],
            seed=seeds[0],
        )
        emitters = [
            EvolutionStrategyEmitter(
                archive,
                x0=np.zeros(128),
                sigma0=0.2,
                ranker="2imp",
                batch_size=30,
                seed=seeds[2 + i],
            )
            for i in range(5)
        ]
        return archive, Scheduler(archive, emitters)

    # pyribs compiles its numba kernels on the first tells of a process (~4 s);
    # both variants do that before the clock starts (lsi-dist while its actors
    # load), so the figures compare the loops themselves.
    _, warm = reference_scheduler(seed + 1)
    for _ in range(3):
        warm.tell(*evaluate(warm.ask()))
    archive, scheduler = reference_scheduler(seed)
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(iterations):
        latents = scheduler.ask()
        objective, measures = evaluate(latents)
        scheduler.tell(objective, measures)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "driver_cpu_s": time.process_time() - cpu_start,
        "actors_cpu_s": [],
        "archive_size": int(archive.stats.num_elites),
        "qd_score": float(archive.stats.qd_score),
        "actors_peak_mb": [],
    }


def lsi_run(iterations, seed, settings):
    """`lsi-dist run`'s loop on the Ray pool; returns its figures."""
    from lsi_dist.cli import start_pool
    from lsi_dist.search import LsiRun, RunConfig, prepare_run_dir

    with tempfile.TemporaryDirectory() as folder:
        config = RunConfig(
            iterations=iterations, seed=seed, output=folder + "/run", **settings
        ).validate()
        pool = start_pool(config)
        try:
            run = LsiRun(config, pool, prepare_run_dir(config))
            before = {i["pid"]: i["cpu_seconds"] for i in pool.describe(refresh=True)}
            cpu_start = time.process_time()
            result = run.run()
            driver_cpu = time.process_time() - cpu_start
            infos = pool.describe(refresh=True)
        finally:
            pool.close()
    return {
        "seconds": result.seconds,
        "driver_cpu_s": driver_cpu,
        "actors_cpu_s": [i["cpu_seconds"] - before.get(i["pid"], 0) for i in infos],
        "archive_size": result.figures["archive_size"],
        "qd_score": result.figures["qd_score"],
        "actors_peak_mb": [info["peak_rss_mb"] for info in infos],
    }


def child(args):
    if args.child == "plain":
        figures = plain_loop(args.iterations, args.seed)
    else:
        settings = json.loads(args.child)
        figures = lsi_run(args.iterations, args.seed, settings)
    figures["driver_peak_mb"] = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    print("RESULT " + json.dumps(figures), flush=True)


def parse_variant(text):
    """``groups=2,num_actors=1`` -> a dict of RunConfig values."""
    settings = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        settings[key] = (
            json.loads(value)
            if value[:1].isdigit() or value in ("true", "false", "null")
            else value
        )
    return settings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--variant",
        action="append",
        metavar="KEY=VALUE,...",
        help="settings of an lsi-dist run to measure (repeatable); "
        "default: the run's defaults",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    variants = {"plain loop": "plain"}
    for text in args.variant or [""]:
        variants[f"lsi-dist run {text or '(defaults)'}"] = json.dumps(
            parse_variant(text)
        )
    results = {name: [] for name in variants}
    for round_index in range(args.rounds):
        for name, spec in variants.items():
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    spec,
                    "--iterations",
                    str(args.iterations),
                    "--seed",
                    str(args.seed),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            lines = [
                line for line in done.stdout.splitlines() if line.startswith("RESULT ")
            ]
            if done.returncode or not lines:
                sys.exit(f"{name} failed:\n{done.stderr[-3000:]}")
            results[name].append(json.loads(lines[-1][7:]))
            print(
                f"round {round_index + 1}: {name}: "
                f"{results[name][-1]['seconds']:.1f} s",
                file=sys.stderr,
            )

    evaluations = args.iterations * 150
    base = min(r["seconds"] for r in results["plain loop"])
    print(
        f"{args.iterations} iterations ({evaluations:,} evaluations) each, best of "
        f"{args.rounds} rounds"
    )
    print(
        f"{'variant':<34} {'it/s':>7} {'evals/s':>9} {'ratio':>6} {'archive':>8} "
        f"{'QD score':>9} {'driver MB':>10} {'actors MB':>14} "
        f"{'CPU ms/it driver':>17} {'actors':>11}"
    )
    per_it = 1e3 / args.iterations  # seconds of CPU to ms per iteration
    for name, runs in results.items():
        best = min(runs, key=lambda r: r["seconds"])
        actors = "/".join(f"{mb:.0f}" for mb in best["actors_peak_mb"]) or "-"
        actors_cpu = (
            "/".join(f"{cpu * per_it:.1f}" for cpu in best["actors_cpu_s"]) or "-"
        )
        print(
            f"{name:<34} {args.iterations / best['seconds']:>7.1f} "
            f"{evaluations / best['seconds']:>9,.0f} {base / best['seconds']:>6.2f} "
            f"{best['archive_size']:>8,} {best['qd_score']:>9,.1f} "
            f"{best['driver_peak_mb']:>10.0f} {actors:>14} "
            f"{best['driver_cpu_s'] * per_it:>17.1f} {actors_cpu:>11}"
        )


if __name__ == "__main__":
    main()
