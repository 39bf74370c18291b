"""Our runs' evaluation reward against PARL's: your own PARL logs and PARL's published curves.

    python scripts/compare_parl.py results/halfcheetah_1M/* --out compare.png
    python scripts/compare_parl.py runs/my_hopper_* --parl_log parl_hopper_seed0.log --parl_log ...
    python scripts/compare_parl.py --parl_log parl_seed0.log --parl_log parl_seed1.log

Our runs are grouped by task and loss type (from config.json), and kept apart within a panel
by the id they ran (Gym's own HalfCheetah-v2 on mujoco-py beside Gymnasium's -v4); runs of PARL
2.x's PPO (train.py --algo parl2) are the group "parl2". A PARL log is any of (parl_logs.py; which
one, and the task it was read as, is printed for each): a text log of PARL 1.x's examples/PPO
(grouped by the task and loss type of its "Argv:" line, PARL's defaults for flags it leaves out),
a text log or a TensorBoard event file of PARL 2.x's examples/PPO (group "parl2"), or this
package's own train.log of either PPO. A log that does not name its task takes --parl_env, a
PARL 1.x log without an "Argv:" line also --parl_loss_type; one that cannot be told is refused.
Several runs or logs of one group are one curve (mean over seeds, min-max band; see
scripts/plot.py). PARL's published curves, digitised (mujoco_ppo/analysis/reference: PARL v1.4's
CLIP and KLPEN, means of 5 seeds; PARL 2.x's PPO from PARL-experiments, mean and band of 3 seeds),
are drawn to the panel's last step or mark.

Printed at each group's marks: 25, 50 and 100% of its shortest run (rounded down to two
significant figures: a 54,000-step run gets 13k, 27k and 54k), with 0.5M, 1M and every further
1M steps inside its longest (beyond 20M steps, every further k M, the fewest that leave 20 marks
after 0.5M), or the marks --at gives: each side's mean and seed band (each run's mean evaluation
over the --window steps that end at the mark, or half the mark where that is shorter; min to max
over the seeds that reach it: a run of PARL 2.x's PPO, evaluated at the end of an update only,
reaches the step before its next update would end, within its budget), PARL's published value
(and its seed band where it has one), and the verdicts: the published mean inside or outside the
band of ours (or of the logs, when no run of ours is given), that band widened by the curve's
digitising error (60 reward on HalfCheetah and 30 on Hopper for v1.4's figures; 22, 11 and 1 on
HalfCheetah, Hopper and Breakout for PARL-experiments'). A missing value says why. The figure
draws the table's values at its marks, and its lines average each run's evaluations over the
same windows (--smooth steps, or half the step where that is shorter).
"""
from collections import defaultdict

import numpy as np

from ..analysis.curves import (
    add_smooth_flag,
    draw_curve,
    finish_axes,
    output_paths,
    panel_grid,
    save_figure,
    setting_curve,
    smoothing_text,
    trailing_mean,
)
from ..analysis.parl_published import REFERENCES, load_reference
from ..analysis.results import env_family, load_runs, note, up_to
from ..cli import MAX_STEPS, OneLineErrorParser, run_command, whole_number
from ..errors import UserError
from .parl_comparison import (
    COLOURS,
    NO_LOGS,
    NO_RUNS,
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
from .parl_logs import PARL_LOSS_TYPES, check_parl_env, read_parl_log

PROG = "compare_parl.py"
DEFAULT_OUT = "compare_parl.png"
EXAMPLES = """examples:
  compare_parl.py runs/hopper_* --out hopper_vs_parl.png
  compare_parl.py runs/my_hopper_* --parl_log parl_seed0.log --parl_log parl_seed1.log
  compare_parl.py --parl_log parl.log --parl_env Hopper-v2 --parl_loss_type KLPEN
  compare_parl.py runs/parl2_* --parl_log train_logs/HalfCheetah-v4_1/log.log --parl_env \\
      HalfCheetah-v4       # PARL 2.x's own example's log (or its events.out.tfevents.* file)
  compare_parl.py runs/short_run --at 20k 50k      # a table at these marks

Writes the figure (default: compare_parl.png in the current directory) and its curves as a CSV
beside it (compare_parl.csv), and prints the table."""


def parse_args(argv=None):
    import argparse

    p = OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0], epilog=EXAMPLES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="*", help="output directories of train.py (none: PARL logs only)")
    p.add_argument("--parl_log", action="append", default=[], metavar="FILE",
                   help="a log of PARL's examples/PPO/train.py (repeat for several seeds): "
                        "PARL 1.x's or 2.x's text log, PARL 2.x's TensorBoard event file, or "
                        "this package's train.log of either PPO; which one it is is printed")
    p.add_argument("--parl_env",
                   help="task of the --parl_log files that do not name theirs (no Argv: line "
                        "in PARL 1.x's, no 'Env: ...' line in PARL 2.x's; event files)")
    p.add_argument("--parl_loss_type", type=str.upper, choices=PARL_LOSS_TYPES,
                   help="loss type of the PARL 1.x --parl_log files that have no Argv: line "
                        "(PARL 2.x's logs are the group parl2)")
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
                        "(default: %(default)s; half the mark where that is shorter)")
    p.add_argument("--random_policy", action="store_true",
                   help="also draw and print each task's return under uniform random actions "
                        "(10 episodes, seed 0; on Atari whole games through the evaluation "
                        "wrappers): the floor a learning curve starts from")
    args = p.parse_args(argv)
    for flag, steps in (("window", args.window), ("until", args.until)):
        if steps is not None and not 1 <= steps <= MAX_STEPS:
            raise UserError(f"--{flag} must be a whole number of steps from 1 to "
                            f"{MAX_STEPS:.0e}, got {steps:.3g}.")
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
        log = read_parl_log(path, args.parl_env, args.parl_loss_type)
        print(f"{path}: {log['shape']}; {log['env']} ({log['task_from']}), group "
              f"{log['loss_type']}; {len(log['eval_steps'])} evaluations, at steps "
              f"{log['eval_steps'][0]:,} to {log['eval_steps'][-1]:,}")
        log = up_to(log, args.until)
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
            bins.add(max(run["test_every_steps"] for run in sum(groups["ours"].values(), [])
                         + groups["logs"]))
            table += draw_group(ax, args, family, loss_type, groups,
                                reference.get((family, loss_type)), series)
        if args.random_policy:
            draw_random_policy(ax, family, sides, series, table, len(columns))
        finish_axes(ax, family, "evaluation reward")
    widths = [max(len(str(r[i])) for r in table + [columns]) for i in range(len(columns))]
    for row in [columns] + table:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    spread_labels(fig, axes)
    atari = any(run["config"].get("config", {}).get("kind") == "atari"
                for group in sides.values() for runs in group["ours"].values() for run in runs)
    banded = any((curve["seeds"] > 1).any() for _, name, curve in series
                 if name.startswith(("ours", "your")))
    save_figure(fig, smoothing_text(args.smooth, max(bins), band=banded, halved=True)
                + drawn_text(series)
                + (" Atari: a step is an agent step of 4 frames." if atari else ""),
                png, csv_path, series)


def draw_group(ax, args, family, loss_type, groups, curve, series):
    """One loss type's lines in a panel (ours, one per env id, and the logs), the table's values
    at its marks on them, and PARL's published curve to the last of them; returns the group's
    rows of the table."""
    colour = COLOURS.get(loss_type, "tab:green")
    ours = sorted(groups["ours"].items())
    drawn = {("ours", env_id): (runs, OURS_STYLES[i % len(OURS_STYLES)], darker(colour, i))
             for i, (env_id, runs) in enumerate(ours)}
    if groups["logs"]:
        drawn[("your PARL logs", groups["logs"][0]["env"])] = (groups["logs"], "--", colour)
    names = {}
    for (who, env_id), (runs, style, shade) in drawn.items():
        curve_drawn = windowed_curve(runs, args.smooth)
        draw_curve(ax, curve_drawn, runs, "eval", shade, f"{who} {loss_type} ({env_id})", style)
        names[who, env_id] = f"{who} {loss_type}" + (f" ({env_id})" if len(ours) > 1 else "")
        series.append((family, names[who, env_id], curve_drawn))
    last = max(reached(run) for runs, _, _ in drawn.values() for run in runs)
    rows, points, end = [], {key: [] for key in drawn}, 0
    for i, (env_id, runs) in enumerate(ours or [(family, [])]):
        task = env_id if len(ours) > 1 else family
        group_rows, values = mark_rows(args, {"ours": runs, "logs": groups["logs"]}, curve,
                                       family, loss_type, last, task)
        rows += group_rows
        for mark, ours_values, logs_values in values:
            end = max(end, mark)
            if len(ours_values):
                points["ours", env_id].append((mark, ours_values))
            if len(logs_values) and i == 0:  # the same logs' values in every env id's rows
                points["your PARL logs", groups["logs"][0]["env"]].append((mark, logs_values))
    for key, marked in points.items():
        draw_marks(ax, marked, drawn[key][2], family, names[key], series)
    end = max([end] + [run["last_step"] for runs, _, _ in drawn.values() for run in runs])
    draw_published(ax, curve, family, loss_type, colour, end, series)
    return rows


def windowed_curve(runs, smooth):
    """The setting curve of ``runs``' evaluations, each run's point at a step the mean of its
    evaluations in the window the table takes at that step (window_at): a line meets the
    table's value at a mark."""
    return setting_curve([(run["eval_steps"],
                           trailing_mean(run["eval_steps"], run["eval_reward"],
                                         window_at(run["eval_steps"], smooth)))
                          for run in runs], max(run["test_every_steps"] for run in runs))


def draw_marks(ax, points, shade, family, name, series):
    """The table's values at its marks ([(mark, each run's value)]) as diamonds (hollow for ours,
    filled for the logs) at the mean with the min-max range: the figure shows what the table
    prints."""
    if not points:
        return
    marks = np.array([mark for mark, _ in points])
    mean, low, high = (np.array([f(values) for _, values in points])
                       for f in (np.mean, np.min, np.max))
    logs = name.startswith("your")
    ax.errorbar(marks, mean, yerr=[mean - low, high - mean], fmt="D", ms=6, capsize=3, lw=1,
                mfc=shade if logs else "white", color=shade, zorder=5,
                label=f"the table at its marks: {name}, mean [min, max]")
    series.append((family, f"table {name}", {
        "step": marks, "mean": mean, "low": low, "high": high,
        "seeds": np.array([len(values) for _, values in points])}))


def draw_published(ax, curve, family, loss_type, colour, end, series):
    """PARL's digitised curve (and its seeds' band) up to ``end`` (the data's last step or the
    table's last mark), interpolated there as the table's published values are, or a note on
    stderr that the data ends before it starts. Squares mark the digitised points."""
    if curve is None:
        return
    shown = curve["steps"] <= end
    if not shown.any():
        note(f"PARL's published {family} {loss_type} curve starts at "
             f"{short(curve['steps'][0])}; the data here ends at {short(end)}, so it is "
             "not drawn.")
        return
    steps = curve["steps"][shown]
    if steps[-1] < end < curve["steps"][-1]:
        steps = np.append(steps, end)
    banded = curve["low"] is not None
    mean = np.interp(steps, curve["steps"], curve["mean"])
    low, high = ([np.interp(steps, curve["steps"], curve[key]) for key in ("low", "high")]
                 if banded else (mean, mean))
    published = f"{curve['label']}, mean of {curve['seeds']} seeds"
    ax.plot(steps, mean, color=colour, ls=":", marker="s", ms=4, markevery=range(shown.sum()),
            label=f"{loss_type}: {published}")
    if banded:
        ax.fill_between(steps, low, high, color=colour, alpha=0.08, hatch="..",
                        label=f"{loss_type}: its seeds' band")
    series.append((family, f"published {loss_type}", {
        "step": steps, "mean": mean, "low": low, "high": high,
        "seeds": np.full(len(steps), curve["seeds"])}))


def mark_rows(args, groups, curve, family, loss_type, last, task):
    """The table's rows of one group (``task``: its first column): at each mark, each side's
    band, PARL's published value and the verdicts; and [(mark, our runs' values, the logs')],
    the values the figure marks."""
    rows, values, runs = [], [], groups["ours"] + groups["logs"]
    for mark in args.at or marks_for(min(reached(run) for run in runs), last):
        window = int(window_at(mark, args.window))
        ours, logs = (band_at(groups[who], mark, window) for who in ("ours", "logs"))
        values.append((mark, ours, logs))
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
               cell(ours, groups["ours"], "our runs", mark, window) if groups["ours"] else NO_RUNS]
        if args.parl_log:
            row.append(cell(logs, groups["logs"], "the logs", mark, window) if groups["logs"]
                       else NO_LOGS)
        rows.append(row + [published_cell, "; ".join(checks) or no_verdict(row, published_cell)])
    return rows, values


def command():
    """The command line: scripts/compare_parl.py and mujoco-ppo compare."""
    run_command(main, PROG)
