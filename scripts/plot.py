"""Evaluation and training reward against env steps, for one or many runs.

    python scripts/plot.py runs/* --out curves.png

Runs with the same setting (environment, loss type, gamma, lambda, kl_targ, clip_epsilon, beta,
episodes per batch) are one curve: the mean over the seeds that have a point at that step, with a
min-max band, the number of seeds written where it changes, and every single point as a dot. Each
run is first smoothed by a trailing mean over --smooth steps of its own points (0: none). One row of
panels (evaluation, training) per environment. The series drawn are also written as CSV beside the
PNG (same name, .csv).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mujoco_ppo.analysis.curves import (check_smooth, draw_curve, finish_axes, output_paths,  # noqa: E402
                                        panel_grid, runs_curve, save_figure, smoothing_text)
from mujoco_ppo.analysis.results import group_by_setting, load_runs, note  # noqa: E402
from mujoco_ppo.errors import UserError  # noqa: E402
from mujoco_ppo.run.config import OneLineErrorParser, whole_number  # noqa: E402

KINDS = (("eval", "evaluation"), ("train", "training"))


def main(argv=None):
    p = OneLineErrorParser(prog="plot.py", description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="output directories of train.py")
    p.add_argument("--out", default="curves.png", help="PNG to write; the CSV goes beside it "
                   "(default: %(default)s)")
    p.add_argument("--smooth", type=whole_number, default=50000,
                   help="trailing-mean window in env steps over each run's points, 0 for none "
                        "(default: %(default)s)")
    args = p.parse_args(argv)
    smooth = check_smooth(args.smooth)
    png, csv_path = output_paths(args.out)

    groups, labels = group_by_setting(load_runs(args.runs))
    for key, runs in groups.items():
        seeds = [run["seed"] for run in runs]
        shared = sorted({seed for seed in seeds if seeds.count(seed) > 1}, key=str)
        if shared:
            note(f"{labels[key]}: {len(runs)} runs but seed{'s' if len(shared) > 1 else ''} "
                 f"{', '.join(map(str, shared))} more than once; every run is counted.")
    envs = sorted({key[0] for key in groups})
    fig, axes = panel_grid(2 * len(envs), columns=2)
    colours = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
    series, bins = [], set()
    for row, env_id in enumerate(envs):
        keys = sorted(k for k in groups if k[0] == env_id)
        for column, (kind, name) in enumerate(KINDS):
            ax = axes[2 * row + column]
            for i, key in enumerate(keys):
                runs = groups[key]
                bins.add(max(run["test_every_steps"] for run in runs))
                curve = runs_curve(runs, kind, smooth)
                setting = labels[key].split(" ", 1)[1]
                draw_curve(ax, curve, runs, kind, colours(i % colours.N), setting)
                series.append((f"{env_id} {name}", setting, curve))
            finish_axes(ax, f"{env_id}: {name} reward", f"{name} reward")
    save_figure(fig, smoothing_text(smooth, max(bins)), png, csv_path, series)


if __name__ == "__main__":
    try:
        main()
    except UserError as exc:
        print(f"plot.py: error: {exc}", file=sys.stderr)
        sys.exit(2)
