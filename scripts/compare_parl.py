"""Plot runs' evaluation reward against PARL's published curves, and print them side by side.

    python scripts/compare_parl.py results/halfcheetah_1M/* --out results/halfcheetah_1M.png

Runs are grouped by task and loss type (from their config.json); several seeds of one group are
drawn as their mean with a min-max band. Evaluation rewards are single episodes, so the curve is
a moving average over --window steps; the thin line is the raw evaluations of a single run.
"""
import argparse
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mujoco_ppo.errors import UserError  # noqa: E402
from mujoco_ppo.results import (REFERENCE_CSV, draw_band, env_family, load_reference,  # noqa: E402
                                load_run, smooth_at)

COLOURS = {"CLIP": "tab:red", "KLPEN": "tab:blue"}  # PARL's figures: red CLIP, blue KLPEN


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="output directories of train.py")
    p.add_argument("--reference", default=REFERENCE_CSV, help="PARL's digitised curves (CSV)")
    p.add_argument("--out", default="compare_parl.png", help="PNG to write")
    p.add_argument("--window", type=int, default=50000,
                   help="moving-average window in env steps (default: %(default)s)")
    args = p.parse_args(argv)

    groups = defaultdict(list)
    for run_dir in args.runs:
        run = load_run(run_dir)
        groups[(env_family(run["config"]["env_id"]), run["config"]["args"]["loss_type"])].append(run)
    reference = load_reference(args.reference)
    families = sorted({family for family, _ in groups})

    fig, axes = plt.subplots(1, len(families), figsize=(7 * len(families), 5), squeeze=False)
    print(f"{'task':<14}{'loss':<7}{'steps':>9}{'ours (mean of seeds)':>22}{'PARL (5 seeds)':>16}")
    for ax, family in zip(axes[0], families):
        for loss_type in sorted({lt for fam, lt in groups if fam == family}):
            runs = groups[(family, loss_type)]
            colour = COLOURS.get(loss_type)
            last = draw_band(ax, runs, "eval_steps", "eval_reward", args.window, colour,
                             f"ours {loss_type} ({runs[0]['config']['env_id']})")
            ref = reference.get((family, loss_type))
            if ref is not None:
                shown = ref[0] <= 1.1 * last
                ax.plot(ref[0][shown], ref[1][shown], color=colour, ls="--", marker="o", ms=3,
                        label=f"PARL v1.4 {loss_type} ({family}-v2, mean of 5 seeds)")
                for steps, parl_reward in zip(*ref):
                    if steps <= last and steps % 500000 == 0:
                        ours = np.nanmean([smooth_at(r["eval_steps"], r["eval_reward"], [steps],
                                                     args.window)[0] for r in runs])
                        print(f"{family:<14}{loss_type:<7}{steps:>9}{ours:>22.0f}{parl_reward:>16.0f}")
        ax.set_title(family)
        ax.set_xlabel("environment steps")
        ax.set_ylabel(f"evaluation reward ({args.window // 1000}k-step moving average)")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    try:
        main()
    except UserError as exc:
        sys.exit(f"compare_parl.py: error: {exc}")
