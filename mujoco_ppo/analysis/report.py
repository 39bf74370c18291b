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

from ..errors import UserError
from ..run.run_log import open_regular
from ..run.settings import read_json
from .curves import write_text
from .report_figures import draw_improvement, draw_profile, draw_sample_efficiency
from .stats import REPS, improvement_matrix, performance_profiles, sample_efficiency
from .tables import MIN_SEEDS_FOR_CI

MARKS = 20  # sample-efficiency marks at most


def efficiency_arrays(scored):
    """({setting: runs x environments x marks}, marks): each run's mean evaluation in each
    (mark - spacing, mark], normalised as the final scores are; marks at a spacing of at least the
    evaluation interval, up to the shortest run; a mark some run has no evaluation in is left out."""
    rows = [r for r in scored["rows"] if "normalised_runs" in r]
    runs = [run for r in rows for run in r["runs"]]
    shortest = min(run["last_step"] for run in runs)
    every = max(run["test_every_steps"] for run in runs)
    spacing = every * max(1, -(-shortest // (MARKS * every)))
    marks = np.arange(spacing, shortest + 1, spacing)
    arrays = {}
    for setting, matrix in scored["matrices"].items():
        columns = []
        for r in (r for r in rows if r["setting"] == setting):
            zero, one, _ = scored["scales"][r["env"]]
            columns.append([[(mean_in(run, mark - spacing, mark) - zero) / (one - zero)
                             for mark in marks] for run in r["runs"][:len(matrix)]])
        arrays[setting] = np.stack([np.array(c) for c in columns], axis=1)
    if not arrays:
        return arrays, marks
    kept = ~np.any([np.isnan(a).any(axis=(0, 1)) for a in arrays.values()], axis=0)
    return {s: a[..., kept] for s, a in arrays.items()}, marks[kept]


def run_lengths(scored):
    """(shortest, longest) run among those with a normalised score."""
    lengths = [run["last_step"] for r in scored["rows"] if "normalised_runs" in r
               for run in r["runs"]]
    return min(lengths), max(lengths)


def mean_in(run, low, high):
    near = (run["eval_steps"] > low) & (run["eval_steps"] <= high)
    return float(run["eval_reward"][near].mean()) if near.any() else float("nan")


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
    """The matrix as a table, each cell P(row > column) and its interval where both have 3 seeds."""
    settings = sorted(matrices)
    lines = ["| P(row > column) | " + " | ".join(settings) + " |",
             "|---|" + "---:|" * len(settings)]
    for x in settings:
        cells = []
        for y in settings:
            if x == y:
                cells.append("—")
                continue
            point, low, high = found[x, y]
            ci = min(len(matrices[x]), len(matrices[y])) >= MIN_SEEDS_FOR_CI
            cells.append(f"{point:.2f}" + (f" [{low:.2f}, {high:.2f}]" if ci else ""))
        lines.append(f"| {x} | " + " | ".join(cells) + " |")
    return lines


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
        page += ["## Probability of improvement", ""]
        if len(matrices) > 1:
            found = improvement_matrix(matrices, reps)
            path = draw_improvement(grid_dir, matrices, found)
            page += ["P(X > Y) + P(X = Y) / 2 for a run of the row's setting X and one of the "
                     "column's Y on the same environment, averaged over environments (rliable's "
                     "probability of improvement; 95% stratified-bootstrap CIs where both have 3 "
                     "seeds or more).", "", *improvement_lines(matrices, found), "",
                     f"![probability of improvement]({os.path.basename(path)})", ""]
        else:
            page += ["One setting: no pair to compare.", ""]
        profiles = performance_profiles(matrices, profile_taus(matrices), reps)
        profile_path = draw_profile(grid_dir, matrices, profile_taus(matrices), profiles)
        arrays, marks = efficiency_arrays(scored)
        page += ["## Performance profile", "",
                 f"![performance profile]({os.path.basename(profile_path)})", ""]
        if len(marks):
            efficiency = sample_efficiency(arrays, reps)
            efficiency_path = draw_sample_efficiency(grid_dir, arrays, marks, efficiency,
                                                     *run_lengths(scored))
            page += ["## Sample efficiency", "",
                     f"![sample-efficiency curves]({os.path.basename(efficiency_path)})", ""]
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

