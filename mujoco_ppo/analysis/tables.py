"""summary.md, summary.csv and across_environments.csv of a scored grid (aggregate.score_grid).

Each cell says what it rests on: seeds and evaluation episodes, and whether its interval is a 95%
bootstrap confidence interval (3 seeds or more) or only the range of the runs (fewer: a bootstrap
of two values resamples those two values and nothing else).
"""
import csv
import io
import os

import numpy as np

from .curves import write_text
from .stats import METRICS, REPS, aggregate_estimates, mean_estimates

MIN_SEEDS_FOR_CI = 3
FEW_EPISODES = 5
RANGE_SENTENCE = ("With fewer than 3 seeds no interval is printed as a confidence interval: a "
                  "bootstrap of two runs only resamples those two runs, so such cells give the "
                  "range (lowest and highest run) instead.")


def episodes_text(episodes):
    low, high = min(episodes), max(episodes)
    count = f"{low}" if low == high else f"{low}–{high}"
    return (f"{count} evaluation episode{'s' if high > 1 else ''} each"
            + (f" (fewer than {FEW_EPISODES})" if low < FEW_EPISODES else ""))


def behind_text(row):
    """'5 seeds × 10 evaluation episodes each'."""
    seeds = len(row["scores"])
    return f"{seeds} seed{'s' if seeds > 1 else ''} × {episodes_text(row['episodes'])}"


def interval_of(values, estimate):
    """('CI', low, high) from ``estimate`` with 3 runs or more, ('range', min, max) with 2,
    (None, nan, nan) with 1."""
    if len(values) >= MIN_SEEDS_FOR_CI:
        return ("CI", *estimate)
    if len(values) == 2:
        return "range", float(np.min(values)), float(np.max(values))
    return None, float("nan"), float("nan")


def interval_text(kind, low, high, digits=0):
    if kind is None:
        return "1 seed: none"
    return f"{kind} [{low:,.{digits}f}, {high:,.{digits}f}]"


def steps_text(row):
    low, high = row["steps_min"], row["steps_max"]
    return f"{low:,}" if low == high else f"{low:,}–{high:,}"


def row_intervals(rows, reps, seed=0):
    """The 95% stratified-bootstrap interval of each row's mean final score (rliable; one
    environment, so the ordinary bootstrap of the seeds' mean) where it has 3 seeds or more."""
    matrices = {i: r["scores"][:, None] for i, r in enumerate(rows)
                if len(r["scores"]) >= MIN_SEEDS_FOR_CI}
    found = mean_estimates(matrices, reps, seed) if matrices else {}
    return [interval_of(r["scores"], found[i][1:] if i in found else None)
            for i, r in enumerate(rows)]


def normalisation_sentence(scored):
    scales = scored["scales"]
    if scored["normalise"] == "best":
        one = "the best setting of this grid on that environment = 1 (the PPO paper's comparison)"
    else:
        one = "PARL's published curve at the runs' length = 1"
    described = "; ".join(f"{env} {zero:,.1f} and {value:,.1f} ({what})"
                          for env, (zero, value, what) in sorted(scales.items()))
    return (f"Normalised score (--normalise {scored['normalise']}): uniform random actions = 0 (their "
            f"mean return over 10 episodes) and {one}: " + (described or "none") + ".")


def write_summary(grid_dir, scored, reps=None):
    """The tables, to files and stdout; returns the across-environment estimates."""
    reps = reps or REPS
    rows, matrices = scored["rows"], scored["matrices"]
    intervals = row_intervals(rows, reps)
    estimates = aggregate_estimates(matrices, reps) if matrices else {}
    lines = ["| environment | setting | runs behind it | steps | final reward, mean ± sd | "
             "95% bootstrap CI (≥ 3 seeds) or range | normalised |",
             "|---|---|---|---:|---:|---:|---:|"]
    for r, (kind, low, high) in zip(rows, intervals):
        sd = f" ± {r['scores'].std(ddof=1):,.0f}" if len(r["scores"]) > 1 else ""
        normalised = f"{r['normalised']:.2f}" if "normalised" in r else "undefined"
        lines.append(f"| {r['env']} | {r['setting']} | {behind_text(r)} | {steps_text(r)} | "
                     f"{r['scores'].mean():,.0f}{sd} | {interval_text(kind, low, high)} | "
                     f"{normalised} |")
    environments = len(scored["scales"])
    lines += ["", f"Across {environments} environment{'s' if environments != 1 else ''}, "
              f"normalised scores (rliable; 95% stratified-bootstrap CIs with ≥ 3 seeds):", "",
              "| setting | runs | " + " | ".join(METRICS) + " | range of the runs |",
              "|---|---|" + "---:|" * (len(METRICS) + 1)]
    for setting in sorted(estimates, key=lambda s: -estimates[s]["IQM"][0]):
        runs = matrices[setting]
        cells = [f"{point:.2f}" + (f" [{low:.2f}, {high:.2f}]" if len(runs) >= MIN_SEEDS_FOR_CI
                                   else "") for point, low, high in estimates[setting].values()]
        lines.append(f"| {setting} | {len(runs)} seed{'s' if len(runs) > 1 else ''} × "
                     f"{environments} | " + " | ".join(cells)
                     + f" | [{runs.min():.2f}, {runs.max():.2f}] |")
    lines += ["", RANGE_SENTENCE, "",
              "Final reward: the mean of each run's evaluations in the last 10% of its own steps "
              "(PARL 1.x's PPO evaluates one episode at a time, PARL 2.x's its eval_episode). "
              f"Intervals: rliable 1.2.0's percentile stratified bootstrap, {reps:,} resamples, "
              "seed 0, over seeds (within each environment). IQM: the mean of the middle 50% of all "
              "runs' normalised scores; optimality gap: how far the runs fall short of 1 on "
              "average (lower is better).", "", normalisation_sentence(scored)]
    if scored["undefined"]:
        lines += ["", "Normalised score undefined (left out of the statistics across environments): "
                  + ", ".join(scored["undefined"]) + "."]
    write_text(os.path.join(grid_dir, "summary.md"), "\n".join(lines) + "\n")
    write_csv_tables(grid_dir, rows, intervals, estimates, matrices)
    print("\n".join(lines))
    return estimates


def csv_text(columns, records):
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=columns)
    writer.writeheader()
    writer.writerows(records)
    return table.getvalue()


def write_csv_tables(grid_dir, rows, intervals, estimates, matrices):
    records = [{"env": r["env"], "setting": r["setting"], "seeds": len(r["scores"]),
                "episodes_min": min(r["episodes"]), "episodes_max": max(r["episodes"]),
                "steps_min": r["steps_min"], "steps_max": r["steps_max"],
                "final_mean": float(r["scores"].mean()),
                "final_std": float(r["scores"].std(ddof=1)) if len(r["scores"]) > 1 else "",
                "interval": kind or "", "low": "" if kind is None else low,
                "high": "" if kind is None else high, "normalised": r.get("normalised", "")}
               for r, (kind, low, high) in zip(rows, intervals)]
    write_text(os.path.join(grid_dir, "summary.csv"), csv_text(list(records[0]), records))
    across = []
    for setting, found in estimates.items():
        ci = len(matrices[setting]) >= MIN_SEEDS_FOR_CI  # fewer: no interval, as in summary.md
        across += [{"setting": setting, "seeds": len(matrices[setting]), "metric": metric,
                    "point": point, "interval": "CI" if ci else "", "low": low if ci else "",
                    "high": high if ci else ""} for metric, (point, low, high) in found.items()]
    write_text(os.path.join(grid_dir, "across_environments.csv"),
               csv_text(["setting", "seeds", "metric", "point", "interval", "low", "high"], across))
