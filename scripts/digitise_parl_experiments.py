"""Digitise PARL 2.x's published curves of its second PPO (paddle backend): the two figures its
examples/PPO/README.md shows, from benchmarking-rl/PARL-experiments (3 seeds each: the mean as a
red line, the seed spread as a pink band):

- PPO/paddle/mujoco_result.png at commit 1f8b182 (2022-11-28; -v4 tasks, 5M steps; the later
  version of that file shows -v2 runs on other axes): HalfCheetah-v4 and Hopper-v4;
- PPO/paddle/atari_result.png at commit 2d54e6b (2022-08-15): BreakoutNoFrameskip-v4, to 1e7
  steps of PARL's counter, which counts agent steps (4 frames each): 40M frames.

    git clone https://github.com/benchmarking-rl/PARL-experiments
    git -C PARL-experiments show 1f8b182:PPO/paddle/mujoco_result.png > mujoco_result.png
    git -C PARL-experiments show 2d54e6b:PPO/paddle/atari_result.png > atari_result.png
    python scripts/digitise_parl_experiments.py mujoco_result.png atari_result.png

Each panel's frame is found from its dark axis lines; its x axis runs from 0 at the frame's left
line to the printed limit at its right line, and its y axis is fitted to the grey gridlines,
whose values are the printed tick labels (below). In each pixel column the red line's median
pixel is the mean, the pink band's (and line's) top and bottom pixels the band; a row of the CSV
is the median of the 7 columns nearest its step (the 3 or 4 inside the frame at its right end).
Pixel size alone allows about +-22 reward on HalfCheetah's axes, +-11 on Hopper's and +-1 on
Breakout's.
"""
# ruff: noqa: E402  (the imports below come after the dependency check)
import argparse
import csv
import os
import sys

# this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, CHECKOUT)
from mujoco_ppo.dependencies import require  # the standard library only

# one sentence, not a traceback, where this Python lacks the packages
require("digitise_parl_experiments.py", checkout=CHECKOUT)

import numpy as np
from PIL import Image

from mujoco_ppo.analysis.curves import replaced_when_done
from mujoco_ppo.cli import run_command
from mujoco_ppo.comparison.digitise import digitise
from mujoco_ppo.errors import UserError

# (width, height) of a figure -> its panels: env id -> (pixel region holding the panel, the
# x value at the frame's right line, the y values of the gridlines inside the frame, the CSV's
# step between rows)
FIGURES = {
    (2312, 1439): {"HalfCheetah-v4": ((0, 0, 770, 480), 5e6, (2000, 4000, 6000), 100000),
                   "Hopper-v4": ((770, 0, 1545, 480), 5e6, (1000, 2000, 3000), 100000)},
    (3000, 1285): {"BreakoutNoFrameskip-v4": ((1040, 0, 2000, 620), 1e7, (100, 200, 300, 400),
                                              125000)},
}
OUT = os.path.join("mujoco_ppo", "analysis", "reference", "parl_experiments_ppo_paddle.csv")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("png", nargs="+", help="the figures named above, at those commits")
    p.add_argument("--out", default=OUT, help=f"CSV to write (default {OUT})")
    args = p.parse_args(argv)
    rows = []
    for path in args.png:
        try:
            pixels = np.asarray(Image.open(path).convert("RGB"))
        except OSError as exc:
            raise UserError(f"cannot read {path} ({exc})") from None
        panels = FIGURES.get((pixels.shape[1], pixels.shape[0]))
        if panels is None:
            raise UserError(f"{path} is {pixels.shape[1]}x{pixels.shape[0]} pixels, not one of "
                            "the figures named in --help")
        for env, spec in panels.items():
            try:
                rows += [[env, "parl2", *row] for row in digitise(pixels, *spec)]
            except ValueError as exc:
                raise UserError(f"{path}, {env}: {exc}") from None
    try:
        with replaced_when_done(args.out) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.writer(f)  # loss_type "parl2": the grid runner's name for this PPO
            writer.writerow(["env", "loss_type", "steps", "eval_reward_mean_of_3_seeds",
                             "band_low", "band_high"])
            writer.writerows(rows)
    except OSError as exc:
        raise UserError(f"cannot write {args.out} ({exc.strerror})") from None
    print(f"wrote {args.out}")


if __name__ == "__main__":
    run_command(main, "digitise_parl_experiments.py")
