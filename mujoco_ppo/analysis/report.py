"""One page per grid (ablate.py report): GRID_DIR/report.md with its PNGs beside it.

Markdown rather than HTML: the committed grids are read on GitHub, where a Markdown page and its
PNGs render as they are, change line by line in a diff, and each figure opens on its own. The
page holds the settings, summary.md's tables, the probability of improvement of each setting
over each other, the performance profile, the sample-efficiency curves, each environment's curves
(with PARL's published ones where they exist), the commands that made it, and GRID_DIR/notes.md
(a reading of the numbers written by hand) when there is one.
"""
import os

import numpy as np

from ..algorithms import algorithm_of
from ..errors import UserError
from ..run.run_log import open_regular
from ..run.settings import read_json
from .curves import write_text
from .report_figures import (
    draw_improvement,
    draw_profile,
    draw_sample_efficiency,
    efficiency_binning,
)
from .stats import REPS, improvement_matrix, performance_profiles, sample_efficiency
from .tables import MIN_SEEDS_FOR_CI

MARKS = 20  # sample-efficiency marks at most


def efficiency_arrays(scored):
    """({setting: runs x environments x marks}, marks, made_by, spacing): at each mark, each run's mean
    evaluation among those due at the multiples of its --test_every_steps in (mark - spacing,
    mark], normalised as the final scores are; marks at a spacing of at least the evaluation
    interval, up to the shortest run; a mark some run has no evaluation due in is left out.
    An evaluation is due when an iteration's step count crosses a multiple, and is made at the
    end of that iteration: the one due at 10,000 steps is made at 10,009 to 10,226 on HalfCheetah.
    Binned by the step it lands at, the first mark would hold only the untrained policy's
    evaluation of the first iteration, and each later one the evaluations of a spacing before.
    ``made_by``: for each mark, the step by which every run had made the evaluations it holds,
    where the figure draws it, so that each point is read from evaluations at or before it."""
    rows = [r for r in scored["rows"] if "normalised_runs" in r]
    runs = [run for r in rows for run in r["runs"]]
    shortest = min(run["last_step"] for run in runs)
    every = max(run["test_every_steps"] for run in runs)
    spacing = every * max(1, -(-shortest // (MARKS * every)))
    marks = np.arange(spacing, shortest + 1, spacing)
    made_by = np.zeros(len(marks), dtype=np.int64)
    arrays = {}
    for setting, matrix in scored["matrices"].items():
        columns = []
        for r in (r for r in rows if r["setting"] == setting):
            zero, one, _ = scored["scales"][r["env"]]
            column = []
            for run in r["runs"][:len(matrix)]:
                due = due_steps(run)
                bins = [(due > mark - spacing) & (due <= mark) for mark in marks]
                column.append([(float(run["eval_reward"][near].mean()) - zero) / (one - zero)
                               if near.any() else float("nan") for near in bins])
                made_by = np.maximum(made_by, [run["eval_steps"][near].max() if near.any() else 0
                                               for near in bins])
            columns.append(column)
        arrays[setting] = np.stack([np.array(c) for c in columns], axis=1)
    if not arrays:
        return arrays, marks, made_by, spacing
    kept = ~np.any([np.isnan(a).any(axis=(0, 1)) for a in arrays.values()], axis=0)
    return {s: a[..., kept] for s, a in arrays.items()}, marks[kept], made_by[kept], spacing


def due_steps(run):
    """The multiple of the run's --test_every_steps at which each of its evaluations was due:
    the highest its iteration's step count crossed (PARL 2.x's loop counts one step more: its
    spec's evaluation_lag); 0 for the first iteration's evaluation, of the untrained policy."""
    every = run["test_every_steps"]
    lag = algorithm_of(run["config"]).evaluation_lag
    return (run["eval_steps"] + lag) // every * every


def run_lengths(scored):
    """(shortest, longest) run among those with a normalised score."""
    lengths = [run["last_step"] for r in scored["rows"] if "normalised_runs" in r
               for run in r["runs"]]
    return min(lengths), max(lengths)


def command_lines(grid_dir, argv):
    """The commands that made the page: the grid's runs (from its grid.json) and this report."""
    lines = []
    if os.path.exists(os.path.join(grid_dir, "grid.json")):
        lines.append(f"python scripts/ablate.py run {grid_dir} --config "
                     f"{os.path.join(grid_dir, 'grid.json')}")
    lines.append("python scripts/ablate.py " + " ".join(argv))
    return lines


def grid_settings(grid_dir, scored):
    path = os.path.join(grid_dir, "grid.json")
    lines = []
    if os.path.exists(path):
        grid = read_json(path)
        if not isinstance(grid, dict):
            raise UserError(f"{path} is not a grid's settings (a JSON object).")
        lines += [f"- {key}: " + (", ".join(map(str, value)) if isinstance(value, list) else
                                  str(value)) for key, value in grid.items() if value not in (None, [])]
    lines.append(f"- settings found: {len(scored['rows'])} (environment × setting), "
                 f"{sum(len(r['runs']) for r in scored['rows'])} runs")
    return lines


def improvement_lines(matrices, found):
    """The matrix as a table, each cell P(row > column) with its interval; "—" where the row's
    or the column's setting has fewer than 3 seeds (not in ``found``)."""
    settings = sorted(matrices)
    lines = ["| P(row > column) | " + " | ".join(settings) + " |",
             "|---|" + "---:|" * len(settings)]
    for x in settings:
        cells = []
        for y in settings:
            if (x, y) not in found:
                cells.append("—")
                continue
            point, low, high = found[x, y]
            cells.append(f"{point:.2f} [{low:.2f}, {high:.2f}]")
        lines.append(f"| {x} | " + " | ".join(cells) + " |")
    return lines


def too_few_seeds(matrices):
    """['CLIP (2 seeds)', 'KLPEN (1 seed)']: the settings with fewer than 3 seeds."""
    return [f"{s} ({len(m)} seed{'s' if len(m) != 1 else ''})" for s, m in sorted(matrices.items())
            if len(m) < MIN_SEEDS_FOR_CI]


def and_list(items):
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


# Why there is no probability of improvement for a setting with fewer than 3 seeds
FEW_SEEDS = ("with fewer than 3 seeds there is no interval, and a probability counted over so few "
             "pairs of runs (4 for 2 seeds a side on one environment) is a tally of these runs, not "
             "an estimate of what the settings do")


def improvement_section(grid_dir, matrices, reps):
    """The page's lines on the probability of improvement: the table and figure of the settings
    with 3 seeds or more, and why the others have none."""
    if len(matrices) < 2:
        return ["One setting: no pair to compare.", ""]
    enough = {s: m for s, m in matrices.items() if len(m) >= MIN_SEEDS_FOR_CI}
    few = too_few_seeds(matrices)
    if len(enough) < 2:
        for stale in ("report_improvement.png", "report_improvement.csv"):  # of an earlier page
            if os.path.exists(os.path.join(grid_dir, stale)):
                os.remove(os.path.join(grid_dir, stale))
        return [f"No probability of improvement: {and_list(few)} "
                f"{'has' if len(few) == 1 else 'have'} fewer than 3 seeds; {FEW_SEEDS}. Run 3 "
                f"seeds or more of each setting to compare them.", ""]
    found = improvement_matrix(enough, reps)
    path = draw_improvement(grid_dir, enough, found, and_list(few))
    lines = ["P(X > Y) + P(X = Y) / 2 for a run of the row's setting X and one of the column's Y "
             "on the same environment, averaged over environments (rliable's probability of "
             "improvement), with its 95% stratified-bootstrap CI."]
    if few:
        lines[0] += (f" {and_list(few)} {'has' if len(few) == 1 else 'have'} none (— in the "
                     f"table): {FEW_SEEDS}.")
    return lines + ["", *improvement_lines(matrices, found), "",
                    f"![probability of improvement]({os.path.basename(path)})", ""]


def report(grid_dir, argv, smooth=50000, normalise="best", reps=None):
    """Writes the page and its figures; returns the path of the page."""
    from .aggregate import aggregate
    reps = reps or REPS
    scored, curves = aggregate(grid_dir, smooth, normalise, reps)
    matrices = scored["matrices"]
    with open_regular(os.path.join(grid_dir, "summary.md")) as f:  # aggregate's, just written
        summary = f.read().rstrip("\n").splitlines()
    page = [f"# Report of {os.path.basename(os.path.normpath(grid_dir))}", "",
            "## Settings", "", *grid_settings(grid_dir, scored), ""]
    notes = os.path.join(grid_dir, "notes.md")
    if os.path.exists(notes):
        try:
            with open_regular(notes, hint="the notes of a grid are a text file") as f:
                page += ["## Reading", "", f.read().strip(), ""]
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{notes} is unreadable ({exc}).") from None
    page += ["## Tables", "", *summary, ""]
    if matrices:
        page += ["## Probability of improvement", "",
                 *improvement_section(grid_dir, matrices, reps)]
        profiles = performance_profiles(matrices, profile_taus(matrices), reps)
        profile_path = draw_profile(grid_dir, matrices, profile_taus(matrices), profiles)
        arrays, marks, made_by, spacing = efficiency_arrays(scored)
        page += ["## Performance profile", "",
                 f"![performance profile]({os.path.basename(profile_path)})", ""]
        if len(marks):
            efficiency = sample_efficiency(arrays, reps)
            efficiency_path = draw_sample_efficiency(grid_dir, arrays, marks, made_by, spacing,
                                                     efficiency, *run_lengths(scored))
            binning = efficiency_binning(marks, made_by, spacing)
            page += ["## Sample efficiency", "",
                     f"![sample-efficiency curves]({os.path.basename(efficiency_path)})", "",
                     f"The IQM of normalised scores of {binning}.", ""]
    else:
        page += ["No setting has a normalised score on every environment: no statistics across "
                 "environments.", ""]
    page += ["## Each environment's curves", ""]
    page += [f"![{env}]({os.path.basename(path)})\n\n{caption}\n" for env, path, caption in curves]
    page += ["## Commands", "", "```", *command_lines(grid_dir, argv), "```", ""]
    target = os.path.join(grid_dir, "report.md")
    write_text(target, "\n".join(page))
    print(f"wrote {target}")
    return target


def profile_taus(matrices):
    values = np.concatenate([m.ravel() for m in matrices.values()])
    return np.linspace(min(0.0, values.min()), max(1.0, values.max()) * 1.02, 101)

