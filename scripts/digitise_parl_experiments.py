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
import argparse
import csv
import os
import sys

import numpy as np
from PIL import Image

from mujoco_ppo.analysis.curves import replaced_when_done

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


def frame(dark):
    """(x0, x1, y0, y1) of the panel's box: the two columns and two rows most full of dark pixels,
    one on each side of the middle."""
    cols, rows = dark.sum(0), dark.sum(1)
    mid_x, mid_y = dark.shape[1] // 2, dark.shape[0] // 2
    return (int(np.argmax(cols[:mid_x])), mid_x + int(np.argmax(cols[mid_x:])),
            int(np.argmax(rows[:mid_y])), mid_y + int(np.argmax(rows[mid_y:])))


def gridline_rows(grey):
    """Centres of the runs of rows at least a tenth of whose pixels are gridline grey (the band
    hides most of a gridline that runs through it; elsewhere a row crosses only the vertical
    gridlines, 2% of it)."""
    full = np.nonzero(grey.sum(1) > grey.shape[1] / 10)[0]
    runs = np.split(full, np.nonzero(np.diff(full) > 1)[0] + 1) if len(full) else []
    return [float(run.mean()) for run in runs]


def digitise(pixels, region, x_limit, gridlines, every):
    """[(step, mean, band low, band high)] of the panel in ``region`` of ``pixels``."""
    left, top, right, bottom = region
    rgb = pixels[top:bottom, left:right].astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    x0, x1, y0, y1 = frame((r < 60) & (g < 60) & (b < 60))
    grey = (abs(r - g) < 6) & (abs(g - b) < 6) & (r > 200) & (r < 240)
    # 6 pixels clear of the frame's lines, whose anti-aliased edges are grey too
    rows = gridline_rows(grey[y0 + 6:y1 - 5, x0 + 2:x1 - 1])
    if len(rows) != len(gridlines):
        raise ValueError(f"found {len(rows)} gridlines inside the frame, not {len(gridlines)}")
    slope, intercept = np.polyfit(np.array(rows) + y0 + 6, sorted(gridlines, reverse=True), 1)
    line = (r > 180) & (g < 80) & (b < 80)
    # pink: (250, 209, 210) in the open, (228, 199, 199) where it covers a grey gridline
    band = line | ((r > 200) & (r - g >= 20) & (g > 150) & (abs(g - b) < 12))
    columns = []
    for x in range(x0 + 2, x1 - 1):  # inside the frame's lines
        on_line = np.nonzero(line[y0 + 2:y1 - 1, x])[0] + y0 + 2
        in_band = np.nonzero(band[y0 + 2:y1 - 1, x])[0] + y0 + 2
        if len(on_line):
            columns.append(((x - x0) / (x1 - x0) * x_limit,
                            *(slope * y + intercept for y in (np.median(on_line), in_band.max(),
                                                              in_band.min()))))
    columns = np.array(columns)
    out = []
    for step in np.arange(every, x_limit + 1, every):
        near = np.abs(columns[:, 0] - step) <= 3.5 * x_limit / (x1 - x0)  # the 7 nearest columns
        if near.any():
            out.append((int(step), *np.round(np.median(columns[near, 1:], axis=0)).astype(int)))
    return out


def fail(message):
    print(f"digitise_parl_experiments.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("png", nargs="+", help="the figures named above, at those commits")
    p.add_argument("--out", default=OUT, help=f"CSV to write (default {OUT})")
    args = p.parse_args()
    rows = []
    for path in args.png:
        try:
            pixels = np.asarray(Image.open(path).convert("RGB"))
        except OSError as exc:
            fail(f"cannot read {path} ({exc})")
        panels = FIGURES.get((pixels.shape[1], pixels.shape[0]))
        if panels is None:
            fail(f"{path} is {pixels.shape[1]}x{pixels.shape[0]} pixels, not one of the figures "
                 "named in --help")
        for env, spec in panels.items():
            try:
                rows += [[env, "parl2", *row] for row in digitise(pixels, *spec)]
            except ValueError as exc:
                fail(f"{path}, {env}: {exc}")
    try:
        with replaced_when_done(args.out) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.writer(f)  # loss_type "parl2": the grid runner's name for this PPO
            writer.writerow(["env", "loss_type", "steps", "eval_reward_mean_of_3_seeds",
                             "band_low", "band_high"])
            writer.writerows(rows)
    except OSError as exc:
        fail(f"cannot write {args.out} ({exc.strerror})")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
