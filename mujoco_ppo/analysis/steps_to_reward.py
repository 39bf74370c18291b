"""The first step at which each run's evaluation reward, as a trailing mean, reaches a level.

    python scripts/steps_to_reward.py results/lunarlander/runs/*/*/seed* --reward 200

For each run: the first evaluation step at which the mean of its evaluations in the trailing
--smooth steps (the curves' trailing mean, mujoco_ppo/analysis/curves.py) is at least --reward,
or "not reached" with the run's last step. One line per run, then the median per setting.
"""
import math

import numpy as np

from ..cli import OneLineErrorParser, run_command
from ..errors import UserError
from .curves import add_smooth_flag, trailing_mean
from .results import group_by_setting, load_runs

PROG = "steps_to_reward.py"


def first_step_at(run, reward, smooth):
    """The first evaluation step whose trailing mean is >= reward, or None."""
    means = trailing_mean(run["eval_steps"], run["eval_reward"], smooth)
    reached = np.flatnonzero(means >= reward)
    return int(run["eval_steps"][reached[0]]) if len(reached) else None


def main(argv=None):
    p = OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="output directories of train.py")
    p.add_argument("--reward", type=float, required=True, help="the level to reach")
    add_smooth_flag(p)
    args = p.parse_args(argv)
    if not math.isfinite(args.reward):
        raise UserError(f"--reward must be a finite number, got {args.reward}.")
    groups, labels = group_by_setting(load_runs(args.runs))
    for key in sorted(groups, key=lambda k: labels[k]):
        found = []
        for run in groups[key]:
            step = first_step_at(run, args.reward, args.smooth)
            found.append(step)
            where = f"{step:,}" if step is not None else f"not reached by {run['last_step']:,}"
            print(f"{labels[key]}, seed {run['seed']}: {where}")
        reached = [s for s in found if s is not None]
        print(f"{labels[key]}: {len(reached)} of {len(found)} seeds reached {args.reward:g}"
              + (f", median step {int(np.median(reached)):,}" if reached else ""))
    return 0


def command():
    """The command line: scripts/steps_to_reward.py and mujoco-ppo steps-to-reward."""
    run_command(main, PROG)
