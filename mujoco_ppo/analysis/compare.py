"""Our runs' evaluation reward against PARL's: your own PARL logs and PARL's published curves.

    python scripts/compare_parl.py results/halfcheetah_1M/* --out compare.png
    python scripts/compare_parl.py runs/my_hopper_* --parl_log parl_hopper_seed0.log --parl_log ...
    python scripts/compare_parl.py --parl_log parl_seed0.log --parl_log parl_seed1.log

Our runs are grouped by task and loss type (from config.json), and kept apart within a panel
by the id they ran (Gym's own HalfCheetah-v2 on mujoco-py beside Gymnasium's -v4); PARL logs (text logs of PARL's
examples/PPO/train.py, read by their "Steps N, Evaluate reward: R" lines) by the task and loss type
of their "Argv:" line (PARL's defaults for flags it leaves out), or, for logs without that line, by
--parl_env and --parl_loss_type: a log whose task or loss type is not known is refused. Several runs
or logs of one group are one curve (mean over seeds, min-max band; see scripts/plot.py); runs of
PARL 2.x's PPO (train.py --algo parl2) are the group "parl2". PARL's published curves, digitised
(mujoco_ppo/analysis/reference: PARL v1.4's CLIP and KLPEN, means of 5 seeds; PARL 2.x's PPO from
PARL-experiments, mean and band of 3 seeds), are drawn where the panel's data reaches them.

Printed at each group's marks: 25, 50 and 100% of its shortest run (rounded down to two
significant figures: a 54,000-step run gets 13k, 27k and 54k), with 0.5M, 1M and every further
1M steps inside its longest (beyond 20M steps, every further k M, the fewest that leave 20 marks
after 0.5M), or the marks --at gives: each side's mean and seed band (each run's mean evaluation
over the --window steps that end at the mark, or half the mark where that is shorter but at least
one evaluation interval; min to max over the seeds that reach it),
PARL's published value (and its seed band where it has one), and the verdicts: the published mean
inside or outside the band of ours (or of the logs, when no run of ours is given), that band
widened by the curve's digitising error (60 reward on HalfCheetah and 30 on Hopper for v1.4's
figures; 22, 11 and 1 on HalfCheetah, Hopper and Breakout for PARL-experiments'). A missing value
says why.
"""
from collections import defaultdict

import numpy as np

from ..cli import OneLineErrorParser, run_command, whole_number
from ..errors import UserError
from .curves import (
    add_smooth_flag,
    draw_curve,
    finish_axes,
    output_paths,
    panel_grid,
    runs_curve,
    save_figure,
    smoothing_text,
)
from .parl_comparison import (
    COLOURS,
    band_at,
    cell,
    draw_random_policy,
    drawn_text,
    loss_type_of,
    marks_for,
    no_verdict,
    published_at,
    reached,
    short,
    spread_labels,
    steps_value,
    verdict,
    window_at,
)
from .parl_logs import PARL_LOSS_TYPES, REFERENCES, check_parl_env, load_reference, read_parl_log
from .results import env_family, load_runs, note, up_to

PROG = "compare_parl.py"
DEFAULT_OUT = "compare_parl.png"
EXAMPLES = """examples:
  compare_parl.py runs/hopper_* --out hopper_vs_parl.png
  compare_parl.py runs/my_hopper_* --parl_log parl_seed0.log --parl_log parl_seed1.log
  compare_parl.py --parl_log parl.log --parl_env Hopper-v2 --parl_loss_type KLPEN
  compare_parl.py runs/short_run --at 20k 50k      # a table at these marks

Writes the figure (default: compare_parl.png in the current directory) and its curves as a CSV
beside it (compare_parl.csv), and prints the table."""


def parse_args(argv=None):
    import argparse

    p = OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0], epilog=EXAMPLES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="*", help="output directories of train.py (none: PARL logs only)")
    p.add_argument("--parl_log", action="append", default=[], metavar="FILE",
                   help="a text log of PARL's own train.py (repeat for several seeds)")
    p.add_argument("--parl_env", help="task of the --parl_log files that have no Argv: line")
    p.add_argument("--parl_loss_type", type=str.upper, choices=PARL_LOSS_TYPES,
                   help="loss type of the --parl_log files that have no Argv: line")
    p.add_argument("--reference", action="append", metavar="CSV",
                   help="PARL's digitised curves (repeat for several; default: PARL v1.4's and "
                        "PARL 2.x's, in mujoco_ppo/analysis/reference)")
    p.add_argument("--out", default=DEFAULT_OUT,
                   help="PNG to write; the CSV goes beside it (default: %(default)s)")
    p.add_argument("--at", nargs="+", type=steps_value, metavar="STEPS",
                   help="the table's marks, e.g. 50k 100k 1M or 5e4 (default: 25, 50 and 100%% "
                        "of each group's shortest run, and 0.5M and every 1M inside its longest)")
    add_smooth_flag(p)
    p.add_argument("--until", type=whole_number, metavar="STEPS",
                   help="leave out every point after STEPS env steps (a run as it was then)")
    p.add_argument("--window", type=whole_number, default=50000,
                   help="steps before each mark whose evaluations the table averages "
                        "(default: %(default)s; half the mark where that is shorter, but at "
                        "least one evaluation interval)")
    p.add_argument("--random_policy", action="store_true",
                   help="also draw and print each task's return under uniform random actions "
                        "(10 episodes, seed 0; on Atari whole games through the evaluation "
                        "wrappers): the floor a learning curve starts from")
    args = p.parse_args(argv)
    if args.window < 1:
        raise UserError(f"--window must be a positive number of steps, got {args.window}.")
    if args.until is not None and args.until < 1:
        raise UserError(f"--until must be a positive number of steps, got {args.until}.")
    if not args.runs and not args.parl_log:
        raise UserError("give run directories of ours, --parl_log files, or both.")
    if args.parl_env:
        check_parl_env(args.parl_env)
    return args


def load_sides(args):
    """{(task family, loss type): {"ours": {env id: runs}, "logs": PARL logs}}, each cut at
    --until. Our runs are kept apart by the id they ran (config.json's env_id): Gym's own -v2 on
    mujoco-py and Gymnasium's -v4 are other physics, drawn and tabled side by side."""
    sides = defaultdict(lambda: {"ours": defaultdict(list), "logs": []})
    for run in (up_to(run, args.until) for run in load_runs(args.runs)):
        key = (env_family(run["config"]["env_id"]), loss_type_of(run))
        sides[key]["ours"][run["config"]["env_id"]].append(run)
    for path in args.parl_log:
        log = up_to(read_parl_log(path, args.parl_env, args.parl_loss_type), args.until)
        sides[(log["family"], log["loss_type"])]["logs"].append(log)
    return sides


OURS_STYLES = ("-", "-.", (0, (5, 1)), (0, (1, 1)))  # one per env id of a panel


def darker(colour, times):
    """``colour`` darkened ``times`` steps: the loss type's hue, another shade per env id."""
    from matplotlib.colors import to_rgb

    return tuple(channel * 0.55 ** times for channel in to_rgb(colour))


def main(argv=None):
    import matplotlib

    matplotlib.use("Agg")
    args = parse_args(argv)
    png, csv_path = output_paths(args.out)
    sides = load_sides(args)
    reference = load_reference(args.reference or tuple(REFERENCES))
    families = sorted({family for family, _ in sides})

    fig, axes = panel_grid(len(families))
    series, bins = [], set()
    columns = ["task", "loss", "steps", "ours: mean [min, max]"] + \
        (["your PARL logs"] if args.parl_log else []) + ["PARL published", "verdict"]
    table = []
    for ax, family in zip(axes, families):
        for loss_type in sorted(lt for fam, lt in sides if fam == family):
            groups = sides[(family, loss_type)]
            colour = COLOURS.get(loss_type, "tab:green")
            ours = sorted(groups["ours"].items())
            drawn = [("ours", env_id, runs, OURS_STYLES[i % len(OURS_STYLES)], darker(colour, i))
                     for i, (env_id, runs) in enumerate(ours)]
            if groups["logs"]:
                drawn.append(("your PARL logs", groups["logs"][0]["env"], groups["logs"], "--",
                              colour))
            for who, env_id, runs, style, shade in drawn:
                curve = runs_curve(runs, "eval", args.smooth)
                bins.add(max(run["test_every_steps"] for run in runs))
                draw_curve(ax, curve, runs, "eval", shade, f"{who} {loss_type} ({env_id})",
                           style)
                who_ran = f"{who} {loss_type}" + (f" ({env_id})" if len(ours) > 1 else "")
                series.append((family, who_ran, curve))
            last = max(reached(run) for _, _, runs, _, _ in drawn for run in runs)
            curve = reference.get((family, loss_type))
            draw_published(ax, curve, family, loss_type, colour, last, series)
            for env_id, runs in ours or [(family, [])]:
                task = env_id if len(ours) > 1 else family
                table += mark_rows(args, {"ours": runs, "logs": groups["logs"]}, curve,
                                   family, loss_type, last, task)
        if args.random_policy:
            draw_random_policy(ax, family, sides, series, table, len(columns))
        finish_axes(ax, family, "evaluation reward")
    widths = [max(len(str(r[i])) for r in table + [columns]) for i in range(len(columns))]
    for row in [columns] + table:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    spread_labels(fig, axes)
    atari = any(run["config"].get("config", {}).get("kind") == "atari"
                for group in sides.values() for runs in group["ours"].values() for run in runs)
    save_figure(fig, smoothing_text(args.smooth, max(bins)) + drawn_text(series)
                + (" Atari: a step is an agent step of 4 frames." if atari else ""),
                png, csv_path, series)


def draw_published(ax, curve, family, loss_type, colour, last, series):
    """PARL's digitised curve (and its seeds' band) up to a little past ``last``, or a note on
    stderr that the data ends before it starts."""
    shown = curve["steps"] <= 1.05 * last if curve is not None else np.array([False])
    if shown.any():
        steps, mean = curve["steps"][shown], curve["mean"][shown]
        published = f"{curve['label']}, mean of {curve['seeds']} seeds"
        ax.plot(steps, mean, color=colour, ls=":", marker="s", ms=4,
                label=f"{loss_type}: {published}")
        banded = curve["low"] is not None
        low, high = (curve["low"][shown], curve["high"][shown]) if banded else (mean, mean)
        if banded:
            ax.fill_between(steps, low, high, color=colour, alpha=0.08, hatch="..",
                            label=f"{loss_type}: its seeds' band")
        series.append((family, f"published {loss_type}", {
            "step": steps, "mean": mean, "low": low, "high": high,
            "seeds": np.full(shown.sum(), curve["seeds"])}))
    elif curve is not None:
        note(f"PARL's published {family} {loss_type} curve starts at "
             f"{short(curve['steps'][0])}; the data here ends at {short(last)}, so it is "
             "not drawn.")


def mark_rows(args, groups, curve, family, loss_type, last, task):
    """The table's rows of one group (``task``: its first column): at each mark, each side's
    band, PARL's published value and the verdicts."""
    rows, runs = [], groups["ours"] + groups["logs"]
    interval = max(run["test_every_steps"] for run in runs)
    for mark in args.at or marks_for(min(reached(run) for run in runs), last):
        window = window_at(mark, args.window, interval)
        ours, logs = (band_at(groups[who], mark, window) for who in ("ours", "logs"))
        value, published_cell = published_at(curve, mark, family, loss_type)
        slack = curve["error"] if curve is not None else 0.0
        if len(ours):
            checks = [verdict(value, ours, slack, "published", "our band"),
                      verdict(logs.mean() if len(logs) else None, ours, 0.0,
                              "logs' mean", "our band")]
        else:
            checks = [verdict(value, logs, slack, "published", "the logs' band")]
        checks = [c for c in checks if c]
        row = [task, loss_type, short(mark),
               cell(ours, groups["ours"], "our runs") if groups["ours"] else "— (no runs)"]
        if args.parl_log:
            row.append(cell(logs, groups["logs"], "the logs") if groups["logs"] else "— (no logs)")
        rows.append(row + [published_cell, "; ".join(checks) or no_verdict(row, published_cell)])
    return rows


def command():
    """The command line: scripts/compare_parl.py and mujoco-ppo-compare."""
    run_command(main, PROG)
