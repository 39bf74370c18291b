"""The series a figure draws, drawn and written beside it as CSV.

One run's curve, at each of its own points (evaluations or iterations) s_i, is the trailing mean
    y_i = mean{ r_j : s_i - W < s_j <= s_i }        (W = --smooth steps; W = 0: y_i = r_i;
                                                     compare_parl.py: at most s_i / 2, its table's window),
so nothing is drawn before a run's first point or after its last, and no value is made up where a
run has no points. Runs of one setting are matched in bins of B steps, [kB, (k+1)B), B being the
runs' evaluation interval: in a bin, a run's value is the mean of its y_i there, and the setting's
point is the mean, minimum and maximum over the runs that have one, at the mean of their steps;
"seeds" says how many runs that is.
"""
import argparse
import csv
import os
import textwrap
from collections import defaultdict
from contextlib import contextmanager

import numpy as np

from ..cli import MAX_STEPS, whole_number
from ..errors import UserError

SERIES_COLUMNS = ["panel", "setting", "step", "mean", "low", "high", "seeds"]
BAND = "min–max over seeds"
SEED_BAND = "seed band"  # the gid of a band draw_curve draws
SETTINGS_PER_PANEL = 6  # more curves (with their bands and dots) in one panel cannot be told apart


def trailing_mean(steps, values, window):
    """y_i = mean of values[j] with steps[i] - window < steps[j] <= steps[i] (steps ascending;
    ``window`` one number, or one for each point)."""
    values = np.asarray(values, dtype=float)
    if not np.any(window) or len(values) == 0:
        return values
    first = np.searchsorted(steps, np.asarray(steps) - window, side="right")
    sums = np.concatenate([[0.0], np.cumsum(values)])
    last = np.arange(1, len(values) + 1)
    return (sums[last] - sums[first]) / (last - first)


def setting_curve(points, bin_steps):
    """{'step', 'mean', 'low', 'high', 'seeds'} arrays from [(steps, values)] of each run."""
    bins = defaultdict(list)
    for steps, values in points:
        index = np.asarray(steps) // bin_steps
        for k in np.unique(index):
            here = index == k
            bins[k].append((np.mean(steps[here]), np.mean(values[here])))
    columns = {name: [] for name in SERIES_COLUMNS[2:]}
    for k in sorted(bins):
        steps, values = np.array(bins[k]).T
        for name, value in zip(columns, (round(steps.mean()), values.mean(), values.min(),
                                         values.max(), len(values))):
            columns[name].append(value)
    return {name: np.array(v) for name, v in columns.items()}


def runs_curve(runs, kind, smooth):
    """The setting curve of ``runs`` (dicts from results.load_run, parl_logs.read_parl_log) for
    kind 'eval' or 'train', each run smoothed over ``smooth`` steps first."""
    bin_steps = max(run["test_every_steps"] for run in runs)
    return setting_curve([(run[f"{kind}_steps"],
                           trailing_mean(run[f"{kind}_steps"], run[f"{kind}_reward"], smooth))
                          for run in runs if len(run[f"{kind}_steps"])], bin_steps)


def add_smooth_flag(parser):
    """--smooth, the same in every tool: a whole number of env steps (1e5 too), 0 for none."""
    parser.add_argument("--smooth", type=smooth_window, default=50000,
                        help="trailing-mean window in env steps over each run's points, 0 for "
                             "none (default: %(default)s)")


def smooth_window(text):
    steps = whole_number(text)
    if not 0 <= steps <= MAX_STEPS:
        raise argparse.ArgumentTypeError(f"--smooth must be 0 (no smoothing) or a number of steps "
                                         f"up to {MAX_STEPS:.0e}, got {steps:.3g}")
    return steps


def output_paths(out):
    """(PNG path, CSV path beside it); refuses, before any work, a place that cannot be written."""
    if not out.lower().endswith(".png"):
        raise UserError(f"--out must name a .png file, got {out}.")
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise UserError(f"cannot write {out}: {folder} "
                        f"{'is not a directory' if os.path.exists(folder) else 'does not exist'}.")
    if not os.access(folder, os.W_OK):
        raise UserError(f"cannot write {out}: the directory {folder} is not writable.")
    return out, out[:-4] + ".csv"


def seeds_text(runs):
    """'3 seeds (0, 1, 2)', '1 seed (4)', '2 logs'; a seed shared by two runs is shown twice."""
    seeds = [run["seed"] for run in runs]
    if any(seed is None for seed in seeds):
        return f"{len(runs)} log{'s' if len(runs) > 1 else ''}"
    return f"{len(runs)} seed{'s' if len(runs) > 1 else ''} ({', '.join(map(str, sorted(seeds)))})"


def draw_curve(ax, curve, runs, kind, colour, label, linestyle="-"):
    """The mean line, the band where two or more runs have a point, each run's unsmoothed points,
    and the number of seeds written wherever it changes."""
    x, mean = curve["step"], curve["mean"]
    ax.plot(x, mean, color=colour, lw=2, ls=linestyle, marker="o" if len(x) < 3 else None,
            label=f"{label}: {'mean of ' if len(runs) > 1 else ''}{seeds_text(runs)}")
    several = curve["seeds"] > 1
    if several.any():
        ax.fill_between(x, np.where(several, curve["low"], np.nan),
                        np.where(several, curve["high"], np.nan), color=colour, alpha=0.18, lw=0,
                        gid=SEED_BAND)
    for run in runs:
        ax.plot(run[f"{kind}_steps"], run[f"{kind}_reward"], ls="none", marker=".", ms=3,
                color=colour, alpha=0.35)
    changes = np.flatnonzero(np.diff(curve["seeds"])) + 1
    if len(changes) or curve["seeds"][0] != len(runs):
        for i in [0, *changes]:
            n = curve["seeds"][i]
            ax.annotate(f"{n} seed{'s' if n > 1 else ''}", (x[i], mean[i]), xytext=(2, 6),
                        textcoords="offset points", fontsize=7, color=colour)
            ax.plot(x[i], mean[i], marker="|", ms=10, color=colour)


def fitted_window(smooth, runs):
    """--smooth, shrunk to a tenth of the shortest run's steps where it is longer: a curve then
    ends on a mean of the evaluations the table's final score averages (the last 10%), never on
    one that reaches back before the run began."""
    return min(smooth, min(run["last_step"] for run in runs) // 10)


def smoothing_text(smooth, bin_steps=None, asked=None, shortest=None, band=True, halved=False):
    """The caption's first sentence; ``asked`` (--smooth) and ``shortest`` (the shortest run's
    steps) say why ``smooth`` is shorter than asked for; ``band``: whether any band is drawn;
    ``halved``: the window is at most half the step, as compare_parl.py's table takes it."""
    what = (f"trailing mean of each run's points in the last {smooth:,} steps" if smooth
            else "each run's points, unsmoothed")
    if smooth and halved:
        what += " (or half the step, where that is shorter: the table's window)"
    if asked is not None and smooth < asked:
        what += (f" (--smooth {asked:,} shrunk to a tenth of the shortest run, {shortest:,} "
                 f"steps)")
    return (f"Lines: {what}, averaged over seeds; {f'band: {BAND}; ' if band else ''}dots: single "
            f"points, unsmoothed" + (f"; runs matched in {bin_steps:,}-step bins." if bin_steps
                                     else "."))


def legend_with_points(ax):
    """The legend, with an entry for the dots, and one for the seeds' bands if the panel has any
    (not for other shaded areas: a published curve's band has its own entry)."""
    ax.plot([], [], ls="none", marker=".", color="grey", label="dots: single points, unsmoothed")
    if any(area.get_gid() == SEED_BAND for area in ax.collections):
        ax.plot([], [], lw=6, color="grey", alpha=0.3, label=f"band: {BAND}")
    ax.legend(loc="best", fontsize=7, framealpha=0.6)


def panel_grid(count, columns=3, size=(6.5, 4.5)):
    """A figure with ``count`` panels, at most ``columns`` wide; unused panels are hidden."""
    import matplotlib.pyplot as plt
    columns = min(columns, count)
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(size[0] * columns, size[1] * rows + 0.4),
                             squeeze=False)
    flat = list(axes.flat)
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def split_settings(title, settings):
    """[(panel title, settings)]: ``settings`` ([(label, runs)]) at most SETTINGS_PER_PANEL a panel."""
    size = SETTINGS_PER_PANEL
    parts = [settings[i:i + size] for i in range(0, len(settings), size)]
    if len(parts) == 1:
        return [(title, settings)]
    return [(f"{title} (settings {i * size + 1}–{i * size + len(part)} of {len(settings)})", part)
            for i, part in enumerate(parts)]


def draw_panel(ax, title, ylabel, settings, kind, smooth):
    """A curve for each (label, runs) of ``settings``, then title and legend. Returns the
    [(label, curve)] drawn and the bin width that matched the runs."""
    import matplotlib.pyplot as plt
    colours = plt.get_cmap("tab10")
    drawn = []
    for i, (label, runs) in enumerate(settings):
        curve = runs_curve(runs, kind, smooth)
        draw_curve(ax, curve, runs, kind, colours(i), label)
        drawn.append((label, curve))
    finish_axes(ax, title, ylabel)
    return drawn, max(run["test_every_steps"] for _, runs in settings for run in runs)


def finish_axes(ax, title, ylabel):
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("environment steps")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    legend_with_points(ax)


@contextmanager
def replaced_when_done(path):
    """A temporary path beside ``path``, renamed to it only when the block succeeds: a result file is
    either the old one or the whole new one, never half-written."""
    temporary = f"{path}.tmp{os.getpid()}"
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_text(path, text):
    """``text`` to ``path`` through replaced_when_done; a place that cannot be written is bad input."""
    try:
        with replaced_when_done(path) as temporary, open(temporary, "w", newline="") as f:
            f.write(text)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}.") from None


def save_figure(fig, caption, png_path, csv_path, series):
    """PNG with ``caption`` under the panels, and the CSV of [(panel, setting, curve)] beside it."""
    width, height = fig.get_size_inches()
    # 7-point text: about 18 characters to the inch, 0.12 inch a line; the panels are laid out
    # above however many lines the caption wraps to, so it never covers an axis label
    lines = textwrap.wrap(caption, int(18 * (width - 0.2)))
    fig.text(0.01, 0.005, "\n".join(lines), fontsize=7, ha="left", va="bottom")
    fig.tight_layout(rect=(0, (0.12 * len(lines) + 0.05) / height, 1, 1))
    try:
        with replaced_when_done(png_path) as temporary:
            fig.savefig(temporary, dpi=100, format="png")
        with replaced_when_done(csv_path) as temporary, open(temporary, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(SERIES_COLUMNS)
            for panel, setting, curve in series:
                for i in range(len(curve["step"])):
                    writer.writerow([panel, setting, int(curve["step"][i])]
                                    + [f"{curve[c][i]:.6g}" for c in ("mean", "low", "high")]
                                    + [int(curve["seeds"][i])])
    except OSError as exc:
        raise UserError(f"cannot write {png_path} or {csv_path}: {exc.strerror}.") from None
    print(f"wrote {png_path} and {csv_path}")
