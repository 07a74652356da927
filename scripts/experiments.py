"""The experiments beyond the reference run, each as `lsi-dist run`s, then a summary.

    python scripts/experiments.py algorithms [--iterations 10000] [--jobs 2]
    python scripts/experiments.py realism    [--iterations 10000] [--jobs 2]
    python scripts/experiments.py digits     [--iterations 10000]

algorithms: CMA-ME, CMA-MAE and MAP-Elites on the reference experiment,
    three seeds each; coverage and QD score over evaluations (plot and table).
realism: the classifier objective against the realism-aware objectives
    (product, constrained), same evaluations; heatmaps side by side, coverage
    and the share of elites the discriminator scores >= 0.5.
digits: all ten digits in one run (the digit as a third archive dimension).

Runs go to runs/experiments/<experiment>/<name>; a finished run is not run
again, so an interrupted experiment resumes where it stopped. Figures and a
Markdown table go to docs/images/ and runs/experiments/<experiment>/.
"""

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path("runs/experiments")
IMAGES = Path("docs/images")
SEEDS = (0, 1, 2)


def plan(experiment, iterations):
    """``{name: flags}`` of the runs an experiment is made of."""
    common = [
        "--iterations",
        str(iterations),
        "--backend",
        "local",
        "--checkpoint-every",
        "2000",
        "--log-every",
        "100",
    ]
    if experiment == "algorithms":
        return {
            f"{algorithm}-seed{seed}": [
                *common,
                "--algorithm",
                algorithm,
                "--seed",
                str(seed),
                "--no-report",
            ]
            for algorithm in ("cma_me", "cma_mae", "map_elites")
            for seed in SEEDS
        }
    if experiment == "realism":
        return {
            objective: [*common, "--objective", objective]
            for objective in ("classifier", "product", "constrained")
        }
    if experiment == "digits":
        return {"all_digits": [*common, "--target-digit", "all"]}
    raise SystemExit(f"unknown experiment {experiment!r}")


def run_one(folder, flags):
    summary = folder / "summary.json"
    if (
        (folder / "metrics.csv").exists()
        and (summary.exists() or "--no-report" in flags)
        and _complete(folder)
    ):
        return folder
    command = [sys.executable, "-m", "lsi_dist", "run", "--no-progress"]
    if (folder / "checkpoint.pkl").exists():
        command += ["--resume", str(folder)]
    else:
        command += [*flags, "--output", str(folder)]
    print("running:", " ".join(command), file=sys.stderr, flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return folder


def _complete(folder):
    from lsi_dist.search import load_checkpoint

    try:
        return load_checkpoint(folder).complete
    except Exception:  # noqa: BLE001 - no readable checkpoint: not complete.
        return False


def summarize_algorithms(folders):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from lsi_dist.search.checkpoint import load_checkpoint
    from lsi_dist.search.metrics import archive_figures, read_metrics

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    rows = []
    for algorithm in ("cma_me", "cma_mae", "map_elites"):
        runs = [read_metrics(folders[f"{algorithm}-seed{seed}"]) for seed in SEEDS]
        evals = np.array([row["evaluations"] for row in runs[0]])
        for ax, key in zip(axes, ("coverage", "qd_score")):
            values = np.array([[row[key] for row in run] for run in runs])
            scale = 100 if key == "coverage" else 1
            ax.plot(evals, values.mean(0) * scale, label=algorithm)
            ax.fill_between(
                evals, values.min(0) * scale, values.max(0) * scale, alpha=0.25
            )
        finals = [
            archive_figures(
                load_checkpoint(
                    folders[f"{algorithm}-seed{seed}"]
                ).search.result_archive
            )
            for seed in SEEDS
        ]
        rows.append((algorithm, finals, int(evals[-1])))
    axes[0].set_ylabel("coverage (%)")
    axes[1].set_ylabel("QD score")
    for ax in axes:
        ax.set_xlabel("evaluations")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Reference experiment, 3 seeds each (line: mean, band: min-max)")
    fig.tight_layout()
    fig.savefig(IMAGES / "algorithms.png", dpi=110)

    lines = [
        "| algorithm | evaluations | coverage (%) | QD score | archive size |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for algorithm, finals, evals in rows:
        cov = [100 * f["coverage"] for f in finals]
        qd = [f["qd_score"] for f in finals]
        size = [f["archive_size"] for f in finals]
        lines.append(
            f"| {algorithm} | {evals:,} | {np.mean(cov):.2f} ± {np.std(cov):.2f}"
            f" | {np.mean(qd):,.0f} ± {np.std(qd):,.0f} | "
            f"{np.mean(size):,.0f} |"
        )
    return "\n".join(lines)


def summarize_realism(folders):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    names = list(folders)
    fig, axes = plt.subplots(2, len(names), figsize=(6 * len(names), 9))
    for col, name in enumerate(names):
        for row, picture in enumerate(("heatmap.png", "discriminator_heatmap.png")):
            axes[row, col].imshow(mpimg.imread(folders[name] / picture))
            axes[row, col].set_axis_off()
        axes[0, col].set_title(f"objective: {name}")
    fig.tight_layout()
    fig.savefig(IMAGES / "realism_heatmaps.png", dpi=90)
    lines = [
        "| objective | coverage (%) | QD score | mean D of elites | "
        "elites with D >= 0.5 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in names:
        s = json.loads((folders[name] / "summary.json").read_text())
        lines.append(
            f"| {name} | {100 * s['coverage']:.2f} | {s['qd_score']:,.0f} | "
            f"{s['discriminator_mean']:.3f} | "
            f"{100 * s['realistic_share']:.1f} % |"
        )
        for grid in ("grid_central.png",):
            target = IMAGES / f"realism_{name}_{grid}"
            target.write_bytes((folders[name] / grid).read_bytes())
    return "\n".join(lines)


def summarize_digits(folders):
    folder = folders["all_digits"]
    s = json.loads((folder / "summary.json").read_text())
    for name in ("heatmap.png", "discriminator_heatmap.png"):
        (IMAGES / f"digits_{name}").write_bytes((folder / name).read_bytes())
    for digit in range(10):
        source = folder / f"grid_digit_{digit}.png"
        (IMAGES / f"digits_grid_{digit}.png").write_bytes(source.read_bytes())
    lines = [
        "| digit | elites | coverage of its 40,000 cells (%) | QD score |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in s["per_digit"]:
        lines.append(
            f"| {row['digit']} | {row['archive_size']:,} | "
            f"{100 * row['coverage']:.2f} | {row['qd_score']:,.0f} |"
        )
    lines.append(
        f"| all | {s['archive_size']:,} | {100 * s['coverage']:.2f} "
        f"(of 400,000) | {s['qd_score']:,.0f} |"
    )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment", choices=["algorithms", "realism", "digits"])
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument(
        "--jobs", type=int, default=2, help="runs at a time (each uses one core)"
    )
    args = parser.parse_args()

    base = ROOT / args.experiment
    base.mkdir(parents=True, exist_ok=True)
    IMAGES.mkdir(parents=True, exist_ok=True)
    runs = plan(args.experiment, args.iterations)
    with ThreadPoolExecutor(args.jobs) as pool:
        folders = dict(
            zip(
                runs,
                pool.map(lambda item: run_one(base / item[0], item[1]), runs.items()),
            )
        )
    summarize = {
        "algorithms": summarize_algorithms,
        "realism": summarize_realism,
        "digits": summarize_digits,
    }[args.experiment]
    table = summarize(folders)
    (base / "table.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
