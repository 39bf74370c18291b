"""Digitise PARL 2.x's published MuJoCo curves of its second PPO (paddle backend), the figure its
examples/PPO/README.md shows: benchmarking-rl/PARL-experiments, PPO/paddle/mujoco_result.png, in
the version of commit 1f8b182 (2022-11-28; -v4 tasks, 5M steps, 3 seeds: the mean as a red line,
the seed spread as a pink band; the later version of that file shows -v2 runs on other axes).

    git clone https://github.com/benchmarking-rl/PARL-experiments && \\
        git -C PARL-experiments show 1f8b182:PPO/paddle/mujoco_result.png > mujoco_result.png
    python scripts/digitise_parl_experiments.py mujoco_result.png

Each panel's frame is found from its dark axis lines; its axis limits are the printed tick
labels (below). In each pixel column the red line's median pixel is the mean, the pink band's
(and line's) top and bottom pixels the band; a row of the CSV is the median of the columns within
25k steps of its step. Pixel size alone allows about +-22 reward on HalfCheetah's axes, +-11 on
Hopper's; the line is 3 pixels thick.
"""
import argparse
import csv
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from mujoco_ppo.analysis.curves import replaced_when_done  # noqa: E402

# panel: (left, top, right, bottom) pixels of the region that holds it, y-axis limits printed on it
PANELS = {"HalfCheetah-v4": ((0, 0, 770, 480), (0.0, 8000.0)),
          "Hopper-v4": ((770, 0, 1545, 480), (0.0, 4000.0))}
X_LIMIT = 5e6  # every panel's x axis: 0 to 5e6 steps
OUT = os.path.join("mujoco_ppo", "analysis", "reference", "parl_experiments_ppo_paddle_v4.csv")


def frame(dark):
    """(x0, x1, y0, y1) of the panel's box: the two columns and two rows most full of dark pixels,
    one on each side of the middle."""
    cols, rows = dark.sum(0), dark.sum(1)
    mid_x, mid_y = dark.shape[1] // 2, dark.shape[0] // 2
    return (int(np.argmax(cols[:mid_x])), mid_x + int(np.argmax(cols[mid_x:])),
            int(np.argmax(rows[:mid_y])), mid_y + int(np.argmax(rows[mid_y:])))


def digitise(pixels, region, y_limits, every):
    left, top, right, bottom = region
    rgb = pixels[top:bottom, left:right].astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    x0, x1, y0, y1 = frame((r < 60) & (g < 60) & (b < 60))
    line = (r > 180) & (g < 80) & (b < 80)
    # pink: (250, 209, 210) in the open, (228, 199, 199) where it covers a grey gridline
    band = line | ((r > 200) & (r - g >= 20) & (g > 150) & (abs(g - b) < 12))
    to_step = lambda x: (x - x0) / (x1 - x0) * X_LIMIT  # noqa: E731
    to_reward = lambda y: y_limits[1] - (y - y0) / (y1 - y0) * (y_limits[1] - y_limits[0])  # noqa: E731
    columns = []
    for x in range(x0 + 2, x1 - 1):  # inside the frame's lines
        on_line = np.nonzero(line[y0 + 2:y1 - 1, x])[0]
        in_band = np.nonzero(band[y0 + 2:y1 - 1, x])[0]
        if len(on_line):
            columns.append((to_step(x), to_reward(y0 + 2 + np.median(on_line)),
                            to_reward(y0 + 2 + in_band.max()), to_reward(y0 + 2 + in_band.min())))
    columns = np.array(columns)
    rows = []
    for step in np.arange(every, X_LIMIT + 1, every):
        near = np.abs(columns[:, 0] - step) <= 25000
        if near.any():
            rows.append((int(step), *np.round(np.median(columns[near, 1:], axis=0)).astype(int)))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("png", help="PPO/paddle/mujoco_result.png at commit 1f8b182")
    p.add_argument("--every", type=int, default=100000, help="steps between rows (default 100k)")
    p.add_argument("--out", default=OUT, help=f"CSV to write (default {OUT})")
    args = p.parse_args()
    try:
        pixels = np.asarray(Image.open(args.png).convert("RGB"))
    except OSError as exc:
        sys.exit(f"digitise_parl_experiments.py: error: cannot read {args.png} ({exc})")
    if pixels.shape[:2] != (1439, 2312):
        sys.exit(f"digitise_parl_experiments.py: error: {args.png} is {pixels.shape[1]}x"
                 f"{pixels.shape[0]} pixels, not the 2312x1439 figure of commit 1f8b182")
    with replaced_when_done(args.out) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["env", "loss_type", "steps", "eval_reward_mean_of_3_seeds", "band_low",
                         "band_high"])
        for env, (region, y_limits) in PANELS.items():
            for row in digitise(pixels, region, y_limits, args.every):
                writer.writerow([env, "parl2", *row])  # the grid runner's name for it
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
