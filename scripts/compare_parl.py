"""Our runs' evaluation reward against PARL's: its published curves, or your own PARL logs.

    python scripts/compare_parl.py results/halfcheetah_1M/* --out compare.png
    python scripts/compare_parl.py runs/my_hopper_* --parl_log parl_hopper_seed0.log --parl_log ...

Our runs are grouped by task and loss type (from config.json); several seeds of one group are drawn
as their mean with a min-max band. PARL's side is the digitised mean of 5 seeds from PARL v1.4's
published figures, or, for the task and loss type of any --parl_log given, the mean of those logs:
text logs of PARL's examples/PPO/train.py (lines "Steps N, Evaluate reward: R"; the task and loss
type are read from PARL's "Argv:" line, else PARL's defaults HalfCheetah-v2 and CLIP).
Evaluations are single episodes, so every curve is a moving average over --window steps.

Printed, at 0.5M, 1M and every further 1M steps that our runs reached: our mean and seed band (each
run's mean evaluation over the --window steps that end at the mark; min to max over seeds), PARL's
value there, and the verdict: PARL inside or outside our seed band (widened, for the digitised
curves, by their digitising error: 60 reward on HalfCheetah, 30 on Hopper).
"""
import argparse
import os
import re
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mujoco_ppo.errors import UserError  # noqa: E402
from mujoco_ppo.analysis.results import (REFERENCE_CSV, draw_band, env_family, finish_axes,  # noqa: E402
                                load_reference, load_run, save_figure, smooth_at)

COLOURS = {"CLIP": "tab:red", "KLPEN": "tab:blue"}  # PARL's figures: red CLIP, blue KLPEN
# How far a digitised point can be off from pixel size alone (mujoco_ppo/analysis/reference/README.md);
# the verdict widens our band by this much when comparing with the digitised curves.
DIGITISING_ERROR = {"HalfCheetah": 60.0, "Hopper": 30.0}
EVAL_LINE = re.compile(r"Steps (\d+), Evaluate reward: ([-+0-9.eEnaif]+)")


def read_parl_log(path):
    """(task family, loss type, steps array, rewards array) of one PARL text log."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}.") from None
    argv = re.search(r"Argv: (.*)", text)
    env = re.search(r"--env[ =](\S+)", argv[1]) if argv else None
    loss = re.search(r"--loss_type[ =](\S+)", argv[1]) if argv else None
    points = [(int(s), float(r)) for s, r in EVAL_LINE.findall(text)]
    if not points:
        raise UserError(f"{path} has no 'Steps N, Evaluate reward: R' lines.")
    steps, rewards = (np.array(v) for v in zip(*points))
    return (env_family(env[1] if env else "HalfCheetah-v2"), (loss[1] if loss else "CLIP").upper(),
            steps, rewards)


def parl_curves(reference_path, log_paths, window):
    """{(family, loss): (steps, rewards)}: the digitised reference, replaced by the mean of the
    user's logs wherever they cover that task and loss type."""
    curves = load_reference(reference_path)
    logs = defaultdict(list)
    for path in log_paths:
        family, loss, steps, rewards = read_parl_log(path)
        logs[(family, loss)].append((steps, rewards))
    for key, runs in logs.items():
        last = min(s[-1] for s, _ in runs)
        grid = np.arange(window // 2, last + 1, window // 5)
        curves[key] = (grid, np.nanmean([smooth_at(s, r, grid, window) for s, r in runs], axis=0))
    return curves, set(logs)


def checkpoints(last):
    marks = [500000] + list(range(1000000, last + 1, 1000000))
    return [m for m in marks if m <= last]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="output directories of train.py")
    p.add_argument("--parl_log", action="append", default=[], metavar="FILE",
                   help="a text log of PARL's own train.py (repeat for several seeds)")
    p.add_argument("--reference", default=REFERENCE_CSV, help="PARL's digitised curves (CSV)")
    p.add_argument("--out", default="compare_parl.png", help="PNG to write")
    p.add_argument("--window", type=int, default=50000,
                   help="moving-average window in env steps (default: %(default)s)")
    args = p.parse_args(argv)

    groups = defaultdict(list)
    for run_dir in args.runs:
        run = load_run(run_dir)
        groups[(env_family(run["config"]["env_id"]), run["config"]["args"]["loss_type"])].append(run)
    parl, from_logs = parl_curves(args.reference, args.parl_log, args.window)
    families = sorted({family for family, _ in groups})

    fig, axes = plt.subplots(1, len(families), figsize=(7 * len(families), 5), squeeze=False)
    print(f"{'task':<13}{'loss':<7}{'steps':>9}{'ours: mean [min, max] over seeds':>34}"
          f"{'PARL':>8}  verdict")
    for ax, family in zip(axes[0], families):
        for loss_type in sorted({lt for fam, lt in groups if fam == family}):
            runs = groups[(family, loss_type)]
            colour = COLOURS.get(loss_type)
            last = draw_band(ax, runs, "eval_steps", "eval_reward", args.window, colour,
                             f"ours {loss_type} ({runs[0]['config']['env_id']})")
            curve = parl.get((family, loss_type))
            if curve is None:
                continue
            source = "your PARL logs" if (family, loss_type) in from_logs else \
                f"PARL v1.4 {family}-v2, mean of 5 seeds"
            shown = curve[0] <= 1.1 * last
            ax.plot(curve[0][shown], curve[1][shown], color=colour, ls="--", marker="o", ms=3,
                    label=f"{loss_type}: {source}")
            for mark in checkpoints(last):
                # our value at a mark: the mean of the evaluations in the window that ends there
                ours = [smooth_at(r["eval_steps"], r["eval_reward"], [mark - args.window / 2],
                                  args.window)[0] for r in runs]
                theirs = float(np.interp(mark, curve[0], curve[1]))
                low, high = np.nanmin(ours), np.nanmax(ours)
                slack = 0.0 if (family, loss_type) in from_logs else DIGITISING_ERROR.get(family, 0.0)
                verdict = ("inside our band" if low - slack <= theirs <= high + slack else
                           f"outside: PARL {'above' if theirs > high else 'below'} our band")
                print(f"{family:<13}{loss_type:<7}{mark:>9}"
                      f"{f'{np.nanmean(ours):,.0f} [{low:,.0f}, {high:,.0f}]':>34}"
                      f"{theirs:>8,.0f}  {verdict}")
        finish_axes(ax, family, args.window)
    save_figure(fig, args.out)


if __name__ == "__main__":
    try:
        main()
    except UserError as exc:
        sys.exit(f"compare_parl.py: error: {exc}")
