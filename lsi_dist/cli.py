"""The ``lsi-dist`` command line: one entry point, one subcommand per job."""

import argparse
import logging
import shlex
import sys
import threading
from pathlib import Path

from lsi_dist.training.mnist import DEFAULT_DATA_DIR


def _command_line():
    return "lsi-dist " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])


def _train(args):
    from lsi_dist.models.weights import WEIGHTS_DIR

    out_dir = args.out or str(WEIGHTS_DIR)
    if args.network == "classifier":
        from lsi_dist.training.classifier import ClassifierTraining, train_classifier

        settings = ClassifierTraining(
            data_dir=args.data, out_dir=out_dir, seed=args.seed
        )
        if args.epochs:
            settings.epochs = args.epochs
        record = train_classifier(
            settings, command=_command_line(), stop_after=args.stop_after
        )
        if record is None:
            print(
                f"classifier: stopped early; checkpoint in {out_dir}, run again "
                "to go on"
            )
            return 0
        print(
            f"classifier: test accuracy {record['figures']['test_accuracy']:.4f}, "
            f"{record['train_seconds']:.0f} s; weights in {out_dir}"
        )
    else:
        from lsi_dist.training.gan import GanTraining, train_gan

        settings = GanTraining(data_dir=args.data, out_dir=out_dir, seed=args.seed)
        if args.epochs:
            settings.epochs = args.epochs
        record = train_gan(
            settings, command=_command_line(), stop_after=args.stop_after
        )
        if record is None:
            print(f"GAN: stopped early; checkpoint in {out_dir}, run again to go on")
            return 0
        figures = record["figures"]
        print(
            f"GAN: last epoch mean D(real) {figures['last_epoch_mean_d_real']:.3f}, "
            f"D(fake) {figures['last_epoch_mean_d_fake']:.3f}, "
            f"{record['train_seconds']:.0f} s; weights in {out_dir}"
        )
    return 0


def _check_weights(args):
    import torch

    from lsi_dist.models.weights import (
        WEIGHTS_DIR,
        load_networks,
        read_manifest,
        write_manifest,
    )
    from lsi_dist.training.quality import quality_figures, save_sample_grid

    weights_dir = Path(args.weights or WEIGHTS_DIR)
    torch.manual_seed(0)
    networks = load_networks("cpu", weights_dir)
    figures = quality_figures(networks, args.data, samples=args.samples)
    save_sample_grid(figures.pop("samples"), args.grid)

    print(
        f"classifier accuracy on the MNIST test set: "
        f"{figures['test_accuracy'] * 100:.2f} % (must be >= 99.0 %)"
    )
    print(
        f"generator samples labelled with p >= 0.9: "
        f"{figures['confident_share'] * 100:.1f} % (must be >= 75 %)"
    )
    shares = "  ".join(
        f"{d}: {s * 100:.1f}" for d, s in enumerate(figures["digit_shares"])
    )
    print(f"share of each predicted digit, %: {shares} (each must be >= 4 %)")
    print(
        f"discriminator mean score: real {figures['d_real_mean']:.3f}, "
        f"generated {figures['d_fake_mean']:.3f} (real must be higher)"
    )
    print(f"grid of 100 samples: {args.grid}")
    if args.write_manifest:
        manifest = read_manifest(weights_dir)
        manifest["quality"] = {k: v for k, v in figures.items()}
        manifest["quality"]["samples"] = args.samples
        write_manifest(manifest, weights_dir)
    if figures["passed"]:
        print("all quality checks passed")
        return 0
    print("FAILED: " + "; ".join(figures["failures"]))
    return 1


# Settings that may differ on resume: where and how fast the work runs, and how
# long; they do not change the results of the iterations already planned.
RESUMABLE_OVERRIDES = (
    "iterations",
    "backend",
    "address",
    "device",
    "num_actors",
    "actors_per_gpu",
    "cpus_per_actor",
    "local_channels",
    "wait_for_gpus",
    "wait_timeout_s",
    "log_every",
    "checkpoint_every",
)


def _config_help():
    """Per-field help, read from the RunConfig docstring's Attributes section."""
    from lsi_dist.search.config import RunConfig

    helps, name = {}, None
    text = RunConfig.__doc__.split("Attributes:")[1]
    for line in text.splitlines():
        stripped = line.strip()
        head, sep, rest = stripped.partition(":")
        if (
            sep
            and head.isidentifier()
            and line.startswith(" " * 8)
            and not line.startswith(" " * 9)
        ):
            name = head
            helps[name] = rest.strip()
        elif name and stripped:
            helps[name] += " " + stripped
    return helps


def _add_config_flags(parser):
    """One flag per RunConfig field; flags left out keep the file's or default value."""
    from dataclasses import MISSING, fields

    from lsi_dist.search.config import RunConfig

    helps = _config_help()
    for field in fields(RunConfig):
        flag = "--" + field.name.replace("_", "-")
        default = (
            field.default if field.default is not MISSING else field.default_factory()
        )
        kwargs = {
            "default": None,
            "dest": field.name,
            "help": f"{helps.get(field.name, '')} (default: {default})",
        }
        if isinstance(default, list):
            element = int if all(isinstance(v, int) for v in default) else float
            kwargs.update(
                nargs=2,
                type=element,
                metavar=("LOW", "HIGH") if element is float else ("X", "Y"),
            )
        elif field.name == "target_digit":
            kwargs.update(type=_digit, metavar="DIGIT|all")
        elif field.name in ("num_actors",):
            kwargs.update(type=int)
        elif isinstance(default, bool):
            kwargs.update(type=_boolean)
        elif isinstance(default, (int, float)):
            kwargs.update(type=type(default))
        parser.add_argument(flag, **kwargs)


def _digit(text):
    if text == "all":
        return "all"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"target digit must be 0-9 or 'all', not {text!r}"
        ) from None


def _boolean(text):
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"use true or false, not {text!r}")


def _overrides(args):
    from dataclasses import fields

    from lsi_dist.search.config import RunConfig

    return {
        f.name: getattr(args, f.name)
        for f in fields(RunConfig)
        if getattr(args, f.name, None) is not None
    }


def _open_run(args):
    """Returns ``(config, run_dir, checkpoint)`` for a new or resumed run."""
    from lsi_dist.search import (
        ConfigError,
        RunConfig,
        build_config,
        load_checkpoint,
        prepare_run_dir,
        read_run_config,
    )
    from lsi_dist.search.config import load_config_file

    overrides = _overrides(args)
    if args.resume:
        if args.config:
            raise ConfigError(
                "--config cannot be used with --resume: a resumed run "
                "keeps the configuration it was started with."
            )
        config = read_run_config(args.resume)
        fixed = sorted(set(overrides) - set(RESUMABLE_OVERRIDES) - {"output"})
        if fixed:
            raise ConfigError(
                f"{', '.join('--' + k.replace('_', '-') for k in fixed)} cannot "
                "change on resume (the results would no longer match the run's "
                f"seed). Only {', '.join(RESUMABLE_OVERRIDES)} may."
            )
        values = config.to_dict()
        values.update({k: v for k, v in overrides.items() if k != "output"})
        values["output"] = str(args.resume)
        config = RunConfig.from_dict(values).validate()
        checkpoint = load_checkpoint(args.resume)
        return config, Path(args.resume), checkpoint
    file_values = load_config_file(args.config) if args.config else {}
    config = build_config(file_values, overrides)
    return config, prepare_run_dir(config), None


def start_pool(config):
    """Starts the run's evaluation pool, compiling pyribs' kernels meanwhile.

    The compilation (see :func:`~lsi_dist.search.algorithms.warm_up_search`)
    runs on a thread while the actors load, instead of in the first
    iterations.
    """
    from lsi_dist.search.algorithms import warm_up_search

    warm = threading.Thread(
        target=warm_up_search, args=(config,), name="lsi-warm-up", daemon=True
    )
    warm.start()
    try:
        return _make_pool(config)
    finally:
        warm.join()


def _make_pool(config):
    from lsi_dist.distribution import Placement, make_pool
    from lsi_dist.search import evaluation_spec

    spec = evaluation_spec(config)
    if config.backend == "local":
        return make_pool(spec, backend="local")
    from lsi_dist.distribution import connect, wait_for_gpus

    connect(config.address)
    if config.wait_for_gpus:
        wait_for_gpus(config.wait_for_gpus, config.wait_timeout_s)
    placement = Placement(
        device=config.device,
        num_actors=config.num_actors,
        actors_per_gpu=config.actors_per_gpu,
        cpus_per_actor=config.cpus_per_actor,
    )
    return make_pool(
        spec,
        backend="ray",
        placement=placement,
        local_channels=config.local_channels,
    )


class _StopFlag:
    """Turns the first Ctrl-C or SIGTERM into a checkpoint-and-stop request.

    A second one aborts at once; the last checkpoint stays intact. The
    previous handlers come back on exit.
    """

    def __init__(self):
        self.requested = False
        self._previous = {}

    def __enter__(self):
        import signal

        def handler(signum, frame):
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True
            print(
                "\nStopping after this iteration; a checkpoint will be written "
                "(press Ctrl-C again to abort at once).",
                file=sys.stderr,
            )

        self._previous = {
            sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        return self

    def __exit__(self, *exc):
        import signal

        for sig, previous in self._previous.items():
            signal.signal(sig, previous)

    def __call__(self):
        return self.requested


def _loop(config, pool, run_dir, checkpoint, stop, no_progress):
    """Runs the search with a progress bar; returns its RunResult."""
    from tqdm import tqdm

    from lsi_dist.search import LsiRun

    run = LsiRun(config, pool, run_dir, checkpoint)
    where = ", ".join(sorted({d["device"] for d in pool.describe()}))
    target = "all" if config.target_digit is None else config.target_digit
    print(
        f"lsi-dist run: {config.algorithm}, target {target}, "
        f"{config.iterations} iterations of {config.batch_total} latents, "
        f"{max(pool.num_actors, 1)} evaluator(s) on {where}; folder {run_dir}"
    )
    bar = tqdm(
        total=config.iterations,
        initial=run.iteration,
        unit="it",
        dynamic_ncols=True,
        disable=no_progress,
    )
    start_evals = run.evaluations

    def on_iteration(current):
        bar.update(current.iteration - bar.n)
        if current.iteration % 10 == 0:
            bar.set_postfix(
                archive=current.archive.stats.num_elites,
                evals=current.evaluations - start_evals,
                refresh=False,
            )

    try:
        return run.run(on_iteration=on_iteration, should_stop=stop)
    finally:
        bar.close()


def _run(args):
    # Everything the run imports is imported before Ray starts: a Ray job's
    # working directory can be unpacked again while the driver runs.
    from lsi_dist.errors import user_errors
    from lsi_dist.files import atomic_write_json
    from lsi_dist.reports import make_reports
    from lsi_dist.search import LsiRun  # noqa: F401

    user_errors()

    config, run_dir, checkpoint = _open_run(args)
    pool = start_pool(config)
    atomic_write_json(run_dir / "actors.json", pool.describe())
    try:
        with _StopFlag() as stop:
            result = _loop(config, pool, run_dir, checkpoint, stop, args.no_progress)
    finally:
        pool.close()

    if not result.complete:
        print(
            f"Stopped at iteration {result.iteration}; checkpoint in {run_dir}. "
            f"Go on with: lsi-dist run --resume {run_dir}"
        )
    summary = None if args.no_report else make_reports(run_dir)
    figures = result.figures
    print(
        f"Done: {result.iteration} iterations, {result.evaluations:,} evaluations "
        f"in {result.seconds:.1f} s ({result.evals_per_s:,.0f} evaluations/s)"
    )
    print(
        f"Archive: {figures['archive_size']:,} elites, coverage "
        f"{100 * figures['coverage']:.2f} %, QD score {figures['qd_score']:,.1f}, "
        f"best objective {figures['best_objective']:.4f}"
    )
    if summary:
        print(
            f"Discriminator: mean score of elites {summary['discriminator_mean']:.3f}"
            f", {100 * summary['realistic_share']:.1f} % of them >= 0.5"
        )
        print(f"Outputs in {run_dir}")
    return 0 if result.complete else 3


def _report(args):
    from lsi_dist.reports import make_reports

    summary = make_reports(args.run_dir)
    print(
        f"Reports of {args.run_dir} "
        f"({'complete' if summary['complete'] else 'in progress'}"
        f" run, iteration {summary['iterations']}): {summary['archive_size']:,} "
        f"elites, coverage {100 * summary['coverage']:.2f} %, QD score "
        f"{summary['qd_score']:,.1f}"
    )
    return 0


def build_parser():
    """Returns the argument parser of ``lsi-dist``."""
    parser = argparse.ArgumentParser(
        prog="lsi-dist",
        description="Latent Space Illumination of an MNIST GAN, evaluated on Ray.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log at DEBUG level"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train the classifier or the GAN on MNIST")
    train.add_argument("network", choices=["classifier", "gan"])
    train.add_argument(
        "--data",
        default=str(DEFAULT_DATA_DIR),
        help="MNIST folder (gzipped IDX files, or ROOT/MNIST/raw)",
    )
    train.add_argument(
        "--out",
        help="folder for weights, manifest and checkpoint "
        "(default: the package's weights folder)",
    )
    train.add_argument("--epochs", type=int, help="passes over the training set")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--stop-after",
        type=int,
        metavar="EPOCHS",
        help="stop after this many epochs, keeping the checkpoint",
    )
    train.set_defaults(func=_train)

    check = sub.add_parser(
        "check-weights", help="print the quality figures of the weights"
    )
    check.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    check.add_argument("--weights", help="weights folder (default: the shipped ones)")
    check.add_argument("--samples", type=int, default=10_000)
    check.add_argument(
        "--grid",
        default="samples.png",
        help="PNG file for a grid of 100 generator samples",
    )
    check.add_argument(
        "--write-manifest",
        action="store_true",
        help="record the figures in the weights' manifest",
    )
    check.set_defaults(func=_check_weights)

    run = sub.add_parser("run", help="run LSI (defaults: the reference experiment)")
    run.add_argument("--config", help="TOML or YAML file of settings; flags win")
    run.add_argument(
        "--resume", metavar="DIR", help="go on from a run folder's checkpoint"
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument(
        "--no-report",
        action="store_true",
        help="skip the reports at the end (make them with `report`)",
    )
    _add_config_flags(run)
    run.set_defaults(func=_run)

    report = sub.add_parser(
        "report", help="make a run folder's outputs again, also while the run is going"
    )
    report.add_argument("run_dir")
    report.set_defaults(func=_report)
    return parser


def main(argv=None):
    """Runs ``lsi-dist`` and returns its exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from lsi_dist.errors import user_errors

    try:
        return args.func(args)
    # The tuple is built only once an exception is raised, so Ray is imported
    # only where it was in use.
    except user_errors() as error:
        print(f"lsi-dist: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
