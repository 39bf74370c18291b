"""Evaluation and training reward against env steps, for one or many runs.

    python scripts/plot.py runs/* --out curves.png

Runs with the same setting (environment, loss type, gamma, lambda, kl_targ, episodes per batch)
are drawn as one curve, the mean over their seeds with a min-max band; one panel per
environment and reward kind. Rewards are moving averages over --window env steps.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mujoco_ppo.errors import UserError  # noqa: E402
from mujoco_ppo.analysis.results import (draw_band, finish_axes, group_by_setting, load_run,  # noqa: E402
                                save_figure)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="output directories of train.py")
    p.add_argument("--out", default="curves.png", help="PNG to write (default: %(default)s)")
    p.add_argument("--window", type=int, default=50000,
                   help="moving-average window in env steps (default: %(default)s)")
    args = p.parse_args(argv)

    groups, labels = group_by_setting([load_run(d) for d in args.runs])
    envs = sorted({key[0] for key in groups})
    fig, axes = plt.subplots(2, len(envs), figsize=(7 * len(envs), 9), squeeze=False)
    colours = plt.get_cmap("tab10")
    for column, env_id in enumerate(envs):
        for row, (kind, steps_key, values_key) in enumerate(
                [("evaluation", "eval_steps", "eval_reward"),
                 ("training", "train_steps", "train_reward")]):
            ax = axes[row][column]
            for i, key in enumerate(sorted(k for k in groups if k[0] == env_id)):
                draw_band(ax, groups[key], steps_key, values_key, args.window, colours(i % 10),
                          labels[key])
            finish_axes(ax, f"{env_id}: {kind} reward", args.window, kind)
    save_figure(fig, args.out)


if __name__ == "__main__":
    try:
        main()
    except UserError as exc:
        sys.exit(f"plot.py: error: {exc}")
