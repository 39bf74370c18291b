"""How far each setting's policy moves per batch: the KL from the policy before an update, and
the fraction of samples whose probability ratio lies outside [1 - eps, 1 + eps].

    python scripts/step_sizes.py results/objectives/runs/*/*/seed* --out step_sizes.csv

Both come from each run's progress.csv, where they are the means over an update's policy steps,
each measured before its step (``kl``; ``clip_fraction``, with --clip_epsilon's eps, logged for
every objective but TRPO). Per run the median over its iterations, per setting the median over
its seeds: an objective whose constraint rarely binds moves about as far as the learning rate and
the 20 steps take it, as no constraint would.
"""
import csv
import math
import os

import numpy as np

from ..cli import OneLineErrorParser, run_command
from ..errors import UserError
from ..run.run_log import open_regular
from .results import group_by_setting, load_runs

PROG = "step_sizes.py"
COLUMNS = ("kl", "clip_fraction")


def run_medians(run_dir):
    """{column: median over the run's iterations, or None where it logged none}."""
    with open_regular(os.path.join(run_dir, "progress.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    medians = {}
    for column in COLUMNS:
        values = []
        for row in rows:
            try:
                value = float(row.get(column) or "nan")
            except ValueError:
                value = math.nan  # a torn last row (the run writing it): load_runs said so
            if math.isfinite(value):
                values.append(value)
        medians[column] = float(np.median(values)) if values else None
    return medians


def setting_medians(run_dirs):
    """[(label, seeds, {column: median over the seeds of the runs' medians, or None})]."""
    groups, labels = group_by_setting(load_runs(run_dirs))
    table = []
    for key in sorted(groups, key=lambda k: labels[k]):
        per_run = [run_medians(run["dir"]) for run in groups[key]]
        medians = {}
        for column in COLUMNS:
            values = [m[column] for m in per_run if m[column] is not None]
            medians[column] = float(np.median(values)) if values else None
        table.append((labels[key], len(per_run), medians))
    return table


def main(argv=None):
    p = OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="output directories of train.py")
    p.add_argument("--out", metavar="CSV", help="also write the table as a CSV file")
    args = p.parse_args(argv)
    table = setting_medians(args.runs)
    shown = lambda value, digits: "—" if value is None else f"{value:.{digits}f}"  # noqa: E731
    print("| setting | seeds | median KL per update | median clip fraction |")
    print("|---|---:|---:|---:|")
    for label, seeds, medians in table:
        print(f"| {label} | {seeds} | {shown(medians['kl'], 4)} | "
              f"{shown(medians['clip_fraction'], 3)} |")
    if args.out:
        try:
            with open(args.out + ".tmp", "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["setting", "seeds", "median_kl", "median_clip_fraction"])
                for label, seeds, medians in table:
                    writer.writerow([label, seeds, medians["kl"], medians["clip_fraction"]])
            os.replace(args.out + ".tmp", args.out)
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror or exc}.") from None
    return 0


def command():
    """The command line: scripts/step_sizes.py and mujoco-ppo step-sizes."""
    run_command(main, PROG)
