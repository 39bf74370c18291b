"""The helpers of the comparison with PARL (compare.py): the marks a table is printed at, the
step a run counts as having reached, each side's seed band at a mark (the window the figure's
lines average over too), PARL's published value there and the verdicts (or why there is none), the
uniform-random floor of a panel, and the figure's seed-count labels and caption words."""
import argparse
import math
import re

import numpy as np

from ..algorithms import algorithm_of
from ..analysis.aggregate import random_policy_score
from ..cli import MAX_STEPS
from ..envs.make import resolve_env_id

# PARL v1.4's figures: red CLIP, blue KLPEN; PARL 2.x's PPO (train.py --algo parl2): green
COLOURS = {"CLIP": "tab:red", "KLPEN": "tab:blue", "parl2": "tab:green"}


def short(steps):
    """1500000 -> '1.5M', 50000 -> '50k'."""
    return f"{steps / 1e6:g}M" if steps >= 1e6 else f"{steps / 1e3:g}k"


MAX_MARKS = 20  # rows of the table per group: beyond 20M steps the marks are further apart
_STEPS = re.compile(r"(?P<number>[0-9][0-9_]*(?:\.[0-9]*)?(?:e[0-9]+)?)(?P<unit>[km]?)",
                    re.IGNORECASE)


def steps_value(text):
    """A step count written as 50000, 5e4, 50k or 1.5M (argparse's type for --at)."""
    match = _STEPS.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a step count (50000, 5e4, 50k, 1M)")
    value = float(match["number"].replace("_", "")) * {"": 1, "k": 1e3, "m": 1e6}[
        match["unit"].lower()]
    if not 1 <= value <= MAX_STEPS or value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of steps from 1 to "
                                         f"{MAX_STEPS:.0e}")
    return int(value)


def rounded_down(steps):
    """``steps`` rounded down to two significant figures: 13,530 -> 13,000."""
    unit = 10 ** max(0, len(str(int(steps))) - 2)
    return int(steps) // unit * unit


def marks_for(shortest, longest):
    """The marks of a group whose runs end between ``shortest`` and ``longest`` steps: 25, 50 and
    100% of the shortest (rounded down to two significant figures), and the whole-run marks of
    marks_until() inside the longest."""
    own = {rounded_down(shortest * share // 4) for share in (1, 2, 4)} - {0}
    return sorted(own | set(marks_until(longest)))


def window_at(mark, window):
    """The steps before ``mark`` (a step, or an array of them) whose evaluations make its value:
    ``window``, or half the mark where that is shorter, so that a small mark's value never
    reaches back to the run's first evaluations (a 5k mark of a run evaluated at 512 and
    5,120 has none, not the untrained policy's)."""
    return np.minimum(window, np.asarray(mark) // 2)


def marks_until(last):
    """0.5M and every multiple of the spacing up to ``last``: 1M, or the fewest whole millions
    that leave at most MAX_MARKS marks after 0.5M."""
    spacing = 1000000 * max(1, -(-int(last) // (MAX_MARKS * 1000000)))
    return [m for m in [500000, *range(spacing, int(last) + 1, spacing)] if m <= last]


def reached(run):
    """The last step up to which every evaluation of the run is known: its last step, or for
    PARL 2.x's PPO (our parl2 runs and PARL 2.x's logs), which evaluates only at the end of an
    update, the step before its next update would end (a 1M run stops at 999,424, its last whole
    update of 2,048 steps, and reaches 1M); never past a run's step budget nor past --until."""
    budget = run.get("total_steps") or math.inf
    return min(run["last_step"] + run["update_steps"] - 1, budget, run.get("until", math.inf))


def band_at(runs, mark, window):
    """Each run's mean evaluation in (mark - window, mark], over the runs that reach the mark."""
    values = []
    for run in runs:
        near = (run["eval_steps"] > mark - window) & (run["eval_steps"] <= mark)
        if reached(run) >= mark and near.any():
            values.append(run["eval_reward"][near].mean())
    return np.array(values)


def cell(values, runs, who, mark, window):
    """A side's cell at ``mark``: mean [min, max] over the runs that have a value, or why none
    has: the runs end before the mark, or none evaluated in its window."""
    if not len(values):
        if all(reached(run) < mark for run in runs):
            return f"— ({who} end at {short(max(r['last_step'] for r in runs))})"
        return f"— ({who} have no evaluation in ({short(mark - window)}, {short(mark)}])"
    if len(runs) == 1:
        return f"{values[0]:,.0f} (1 seed)"
    counted = f" ({len(values)} of {len(runs)})" if len(values) < len(runs) else ""
    return f"{values.mean():,.0f} [{values.min():,.0f}, {values.max():,.0f}]{counted}"


def verdict(value, values, slack, what, band_of):
    if value is None or not len(values):
        return None
    low, high = values.min() - slack, values.max() + slack
    if len(values) == 1:
        band_of = band_of.replace("band", "single seed")
    if low <= value <= high:
        return f"{what} inside {band_of}"
    return f"{what} {'above' if value > high else 'below'} {band_of}"


def published_at(curve, mark, family, loss_type):
    """(value, cell text): the digitised curve's mean at ``mark``, or None and why not."""
    if curve is None:
        return None, f"— (none for {family} {loss_type})"
    steps = curve["steps"]
    if mark < steps[0]:
        return None, f"— (starts at {short(steps[0])})"
    if mark > steps[-1]:
        return None, f"— (ends at {short(steps[-1])})"
    value = float(np.interp(mark, steps, curve["mean"]))
    if curve["low"] is None:
        return value, f"{value:,.0f}"
    low, high = (float(np.interp(mark, steps, curve[k])) for k in ("low", "high"))
    return value, f"{value:,.0f} [{low:,.0f}, {high:,.0f}]"


def loss_type_of(run):
    """The group a run of ours is drawn in: its --loss_type, or "parl2" for PARL 2.x's PPO (its
    spec's setting_values)."""
    config = run["config"]
    return algorithm_of(config).setting_values(config)["loss_type"]


def draw_random_policy(ax, family, sides, series, table, width):
    """The uniform-random return of the panel's task (that of its first run or log) as a grey
    dashed line across the panel, a series of the CSV and a row of the table, which names the
    id that ran (a -v2 id runs as -v4 where mujoco-py is not installed)."""
    panel = [group for (fam, _), group in sorted(sides.items()) if fam == family]
    first = next(min(group["ours"]) if group["ours"] else group["logs"][0]["env"]
                 for group in panel)
    score = random_policy_score(first)
    ran, _ = resolve_env_id(first)
    ax.axhline(score, color="grey", ls="--", lw=1, label=f"uniform random actions ({score:,.1f})")
    ends = np.array([0, max(run["last_step"] for group in panel
                            for run in [*sum(group["ours"].values(), []), *group["logs"]])])
    series.append((family, "random policy", {"step": ends, "mean": np.full(2, score),
                                             "low": np.full(2, score), "high": np.full(2, score),
                                             "seeds": np.zeros(2)}))
    table.append([family, "random", "—", f"{score:,.1f} ({ran}, 10 episodes)"]
                 + [""] * (width - 4))


def spread_labels(fig, axes):
    """Seed-count labels (the curves' annotations) of curves whose seeds change at one place are
    stacked upwards instead of drawn over each other."""
    from matplotlib.text import Annotation

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        placed = []
        for label in sorted((t for t in ax.texts if isinstance(t, Annotation)),
                            key=lambda t: t.xy):
            box = label.get_window_extent(renderer)
            while any(box.overlaps(other) for other in placed):
                label.xyann = (label.xyann[0], label.xyann[1] + box.height * 72 / fig.dpi + 1)
                box = label.get_window_extent(renderer)
            placed.append(box)


def drawn_text(series):
    """The caption's words for the lines beside ours, only those that are drawn."""
    drawn = {name.split()[0] for _, name, _ in series}
    banded = any(name.startswith("published") and not np.array_equal(curve["low"], curve["mean"])
                 for _, name, curve in series)
    text = " Dashed: your PARL logs." if "your" in drawn else ""
    if "table" in drawn:
        logs = any(name.startswith("table your") for _, name, _ in series)
        text += (" Diamonds: the table's values at its marks (mean and min-max over seeds"
                 + ("; filled: your PARL logs)." if logs else ")."))
    if "published" in drawn:
        text += (" Dotted squares: PARL's published curves (digitised"
                 + ("; dotted band: their seeds' spread)." if banded else ")."))
    return text


NO_RUNS, NO_LOGS = "— (no runs)", "— (no logs)"  # the cells of a side that was not given


def no_verdict(row, published_cell):
    """Why a row has no verdict: what its cells say is missing."""
    def reason(cell):
        return cell.partition("(")[2].rstrip(")")
    # a side that was not given is not a missing value
    missing = [reason(cell) for cell in row[3:]
               if cell.startswith("—") and cell not in (NO_RUNS, NO_LOGS)]
    if published_cell.startswith("—"):
        published = reason(published_cell)
        missing.append(published.replace("none for", "no published curve for")
                       if published.startswith("none") else f"PARL's published curve {published}")
    return "no verdict: " + ("; ".join(missing) if missing else "nothing to compare")
