"""Our runs' evaluation reward against PARL's: your own PARL logs and PARL's published curves.

    python scripts/compare_parl.py results/halfcheetah_1M/* --out compare.png
    python scripts/compare_parl.py runs/my_hopper_* --parl_log parl_hopper_seed0.log --parl_log ...
    python scripts/compare_parl.py --parl_log parl_seed0.log --parl_log parl_seed1.log

Our runs are grouped by task and loss type (from config.json); PARL logs (text logs of PARL's
examples/PPO/train.py, read by their "Steps N, Evaluate reward: R" lines) by the task and loss type
of their "Argv:" line (PARL's defaults for flags it leaves out), or, for logs without that line, by
--parl_env and --parl_loss_type: a log whose task or loss type is not known is refused. Several runs
or logs of one group are one curve (mean over seeds, min-max band; see scripts/plot.py); runs of
PARL 2.x's PPO (train.py --algo parl2) are the group "parl2". PARL's published curves, digitised
(mujoco_ppo/analysis/reference: PARL v1.4's CLIP and KLPEN, means of 5 seeds; PARL 2.x's PPO from
PARL-experiments, mean and band of 3 seeds), are drawn where the panel's data reaches them.

Printed, at 0.5M, 1M and every further 1M steps (beyond 20M steps, every further k M, the fewest
that leave 20 marks after 0.5M): each side's mean and seed band (each run's mean
evaluation over the --window steps that end at the mark; min to max over the seeds that reach it),
PARL's published value (and its seed band where it has one), and the verdicts: the published mean
inside or outside the band of ours (or of the logs, when no run of ours is given), that band
widened by the curve's digitising error (60 reward on HalfCheetah and 30 on Hopper for v1.4's
figures; 22, 11 and 1 on HalfCheetah, Hopper and Breakout for PARL-experiments'). A missing value
says why.
"""
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from mujoco_ppo.analysis.aggregate import random_policy_score  # noqa: E402
from mujoco_ppo.analysis.curves import (add_smooth_flag, draw_curve, finish_axes, output_paths,  # noqa: E402
                                        panel_grid, runs_curve, save_figure, smoothing_text)
from mujoco_ppo.analysis.results import (PARL_LOSS_TYPES, REFERENCES, env_family,  # noqa: E402
                                         load_reference, load_runs, note, parl1_flag,
                                         read_parl_log, up_to)
from mujoco_ppo.errors import UserError  # noqa: E402
from mujoco_ppo.cli import OneLineErrorParser, whole_number  # noqa: E402

# PARL v1.4's figures: red CLIP, blue KLPEN; PARL 2.x's PPO (train.py --algo parl2): green
COLOURS = {"CLIP": "tab:red", "KLPEN": "tab:blue", "parl2": "tab:green"}


def short(steps):
    """1500000 -> '1.5M', 50000 -> '50k'."""
    return f"{steps / 1e6:g}M" if steps >= 1e6 else f"{steps / 1e3:g}k"


MAX_MARKS = 20  # rows of the table per group: beyond 20M steps the marks are further apart


def marks_until(last):
    """0.5M and every multiple of the spacing up to ``last``: 1M, or the fewest whole millions
    that leave at most MAX_MARKS marks after 0.5M."""
    spacing = 1000000 * max(1, -(-int(last) // (MAX_MARKS * 1000000)))
    return [m for m in [500000, *range(spacing, int(last) + 1, spacing)] if m <= last]


def reached(run):
    """The step a run counts as having reached: its last step, or, for a parl2 run that ran all
    its updates, its step budget (it stops at the last whole rollout within it: 999,424 of 1M).
    A PARL log has no config: its last step."""
    run_config = run.get("config", {})
    config = run_config.get("config", {})  # parl2's resolved config, as its config.json holds it
    if (run_config.get("algo") == "parl2" and "num_updates" in config
            and run["last_step"] == config["num_updates"] * config["batch_size"]):
        return config["train_total_steps"]
    return run["last_step"]


def band_at(runs, mark, window):
    """Each run's mean evaluation in (mark - window, mark], over the runs that reach the mark."""
    values = []
    for run in runs:
        near = (run["eval_steps"] > mark - window) & (run["eval_steps"] <= mark)
        if reached(run) >= mark and near.any():
            values.append(run["eval_reward"][near].mean())
    return np.array(values)


def cell(values, runs, who):
    if not len(values):
        return f"— ({who} end at {short(max(r['last_step'] for r in runs))})"
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
    if not steps[0] <= mark <= steps[-1]:
        return None, f"— (covers {short(steps[0])}–{short(steps[-1])})"
    value = float(np.interp(mark, steps, curve["mean"]))
    if curve["low"] is None:
        return value, f"{value:,.0f}"
    low, high = (float(np.interp(mark, steps, curve[k])) for k in ("low", "high"))
    return value, f"{value:,.0f} [{low:,.0f}, {high:,.0f}]"


def loss_type_of(run):
    """The group a run of ours is drawn in: its --loss_type, or "parl2" for PARL 2.x's PPO."""
    config = run["config"]
    return "parl2" if config.get("algo") == "parl2" else parl1_flag(config, "loss_type")


def draw_random_policy(ax, family, sides, series, table, width):
    """The uniform-random return of the panel's task (that of its first run or log) as a grey
    dashed line across the panel, a series of the CSV and a row of the table."""
    first = next(group["ours"][0]["config"]["env_id"] if group["ours"] else group["logs"][0]["env"]
                 for (fam, _), group in sorted(sides.items()) if fam == family)
    score = random_policy_score(first)
    ax.axhline(score, color="grey", ls="--", lw=1, label=f"uniform random actions ({score:,.1f})")
    ends = np.array([0, max(reached(run) for (fam, _), group in sides.items() if fam == family
                            for run in group["ours"] + group["logs"])])
    series.append((family, "random policy", {"step": ends, "mean": np.full(2, score),
                                             "low": np.full(2, score), "high": np.full(2, score),
                                             "seeds": np.zeros(2)}))
    table.append([family, "random", "—", f"{score:,.1f} ({first}, 10 episodes)"]
                 + [""] * (width - 4))


def main(argv=None):
    p = OneLineErrorParser(prog="compare_parl.py", description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="*", help="output directories of train.py (none: PARL logs only)")
    p.add_argument("--parl_log", action="append", default=[], metavar="FILE",
                   help="a text log of PARL's own train.py (repeat for several seeds)")
    p.add_argument("--parl_env", help="task of the --parl_log files that have no Argv: line")
    p.add_argument("--parl_loss_type", type=str.upper, choices=PARL_LOSS_TYPES,
                   help="loss type of the --parl_log files that have no Argv: line")
    p.add_argument("--reference", action="append", metavar="CSV",
                   help="PARL's digitised curves (repeat for several; default: PARL v1.4's and "
                        "PARL 2.x's, in mujoco_ppo/analysis/reference)")
    p.add_argument("--out", default="compare_parl.png", help="PNG to write; the CSV goes beside it")
    add_smooth_flag(p)
    p.add_argument("--until", type=whole_number, metavar="STEPS",
                   help="leave out every point after STEPS env steps (a run as it was then)")
    p.add_argument("--window", type=whole_number, default=50000,
                   help="steps before each mark whose evaluations the table averages "
                        "(default: %(default)s)")
    p.add_argument("--random_policy", action="store_true",
                   help="also draw and print each task's return under uniform random actions "
                        "(10 episodes, seed 0; on Atari whole games through the evaluation "
                        "wrappers): the floor a learning curve starts from")
    args = p.parse_args(argv)
    smooth = args.smooth
    if args.window < 1:
        raise UserError(f"--window must be a positive number of steps, got {args.window}.")
    if args.until is not None and args.until < 1:
        raise UserError(f"--until must be a positive number of steps, got {args.until}.")
    if not args.runs and not args.parl_log:
        raise UserError("give run directories of ours, --parl_log files, or both.")
    png, csv_path = output_paths(args.out)

    sides = defaultdict(lambda: {"ours": [], "logs": []})
    for run in (up_to(run, args.until) for run in load_runs(args.runs)):
        sides[(env_family(run["config"]["env_id"]), loss_type_of(run))]["ours"].append(run)
    for path in args.parl_log:
        log = up_to(read_parl_log(path, args.parl_env, args.parl_loss_type), args.until)
        sides[(log["family"], log["loss_type"])]["logs"].append(log)
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
            for who, runs, style in (("ours", groups["ours"], "-"), ("your PARL logs", groups["logs"], "--")):
                if not runs:
                    continue
                curve = runs_curve(runs, "eval", smooth)
                bins.add(max(run["test_every_steps"] for run in runs))
                env_name = runs[0]["config"]["env_id"] if who == "ours" else runs[0]["env"]
                draw_curve(ax, curve, runs, "eval", colour, f"{who} {loss_type} ({env_name})", style)
                series.append((family, f"{who} {loss_type}", curve))
            everything = groups["ours"] + groups["logs"]
            last = max(reached(run) for run in everything)
            curve = reference.get((family, loss_type))
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
            marks = marks_until(last) or [500000]
            for mark in marks:
                ours, logs = (band_at(groups[who], mark, args.window) for who in ("ours", "logs"))
                value, published_cell = published_at(curve, mark, family, loss_type)
                slack = curve["error"] if curve is not None else 0.0
                if len(ours):
                    checks = [verdict(value, ours, slack, "published", "our band"),
                              verdict(logs.mean() if len(logs) else None, ours, 0.0,
                                      "logs' mean", "our band")]
                else:
                    checks = [verdict(value, logs, slack, "published", "the logs' band")]
                checks = [c for c in checks if c]
                row = [family, loss_type, short(mark),
                       cell(ours, groups["ours"], "our runs") if groups["ours"] else "— (no runs)"]
                if args.parl_log:
                    row.append(cell(logs, groups["logs"], "the logs") if groups["logs"] else "— (no logs)")
                table.append(row + [published_cell, "; ".join(checks) or "no verdict: nothing to compare"])
        if args.random_policy:
            draw_random_policy(ax, family, sides, series, table, len(columns))
        finish_axes(ax, family, "evaluation reward")
    widths = [max(len(str(r[i])) for r in table + [columns]) for i in range(len(columns))]
    for row in [columns] + table:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    atari = any(run["config"].get("config", {}).get("kind") == "atari"
                for group in sides.values() for run in group["ours"])
    save_figure(fig, smoothing_text(smooth, max(bins)) + " Dotted squares: PARL's published "
                "curves (digitised; dotted band: their seeds' spread)."
                + (" Atari: a step is an agent step of 4 frames." if atari else ""),
                png, csv_path, series)


if __name__ == "__main__":
    try:
        main()
    except UserError as exc:
        print(f"compare_parl.py: error: {exc}", file=sys.stderr)
        sys.exit(2)
