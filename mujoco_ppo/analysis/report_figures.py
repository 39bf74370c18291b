"""The report's figures (report.py): the probability-of-improvement matrix, the performance
profile and the sample-efficiency curves, each a PNG with its caption under it and its numbers in
a CSV beside it. A band is drawn, and named, only for a setting with 3 seeds or more."""
import os

import numpy as np

from .curves import save_figure
from .tables import MIN_SEEDS_FOR_CI

CI_BAND = "band: 95% stratified-bootstrap CI (rliable)"


def figure(width=7.5, height=5.0):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt, *plt.subplots(figsize=(width, height))


def banded(matrices):
    return [s for s in sorted(matrices) if len(matrices[s]) >= MIN_SEEDS_FOR_CI]


def draw_improvement(grid_dir, matrices, found, left_out=""):
    """report_improvement.png: P(row > column) as numbers on a colour scale, 0.5 white, for the
    settings of ``matrices`` (those with 3 seeds or more); ``left_out``: the others, named in
    the caption."""
    settings = sorted(matrices)
    size = len(settings)
    plt, fig, ax = figure(max(5.5, 1.6 + 1.15 * size), max(4.5, 1.4 + 0.75 * size))
    values = np.full((size, size), np.nan)
    for i, x in enumerate(settings):
        for j, y in enumerate(settings):
            if i != j:
                values[i, j] = found[x, y][0]
    image = ax.imshow(values, cmap="RdBu", vmin=0, vmax=1)
    for i in range(size):
        for j in range(size):
            if i != j:
                ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=9)
    ax.set_xticks(range(size), settings, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(size), settings, fontsize=8)
    ax.set_xlabel("Y (column)")
    ax.set_ylabel("X (row)")
    ax.set_title("probability of improvement P(X > Y)", fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.046)
    path = os.path.join(grid_dir, "report_improvement.png")
    series = [("improvement", f"{x} over {y}", one_point(*found[x, y]))
              for x in settings for y in settings if x != y]
    save_figure(fig, "Each cell: P(X > Y) + P(X = Y) / 2 of a run of the row's setting against one "
                "of the column's on the same environment, averaged over environments; the "
                "diagonal is left empty." + (f" Not drawn, with fewer than 3 seeds: {left_out}."
                                             if left_out else ""),
                path, path[:-4] + ".csv", series)
    plt.close(fig)
    return path


def one_point(point, low, high):
    return {"step": np.array([0]), "mean": np.array([point]), "low": np.array([low]),
            "high": np.array([high]), "seeds": np.array([0])}


def draw_lines(ax, matrices, x, found):
    """A line per setting, its band where it has 3 seeds or more; returns the CSV series."""
    series = []
    for i, setting in enumerate(sorted(matrices)):
        point, low, high = found[setting]
        colour = f"C{i % 10}"
        runs = len(matrices[setting])
        ax.plot(x, point, color=colour, lw=2, marker="o" if len(x) < 3 else None,
                label=f"{setting} ({runs} seed{'s' if runs > 1 else ''} × "
                      f"{matrices[setting].shape[1]} env)")
        if setting in banded(matrices):
            ax.fill_between(x, low, high, color=colour, alpha=0.2, lw=0)
        series.append((setting, {"step": x, "mean": point, "low": low, "high": high,
                                 "seeds": np.full(len(x), runs)}))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, framealpha=0.6)
    return series


def band_caption(matrices):
    shown = banded(matrices)
    if not shown:
        return " No band: every setting has fewer than 3 seeds."
    if len(shown) < len(matrices):
        return f" {CI_BAND}, for the settings with 3 seeds or more ({', '.join(shown)})."
    return f" {CI_BAND[0].upper()}{CI_BAND[1:]}."


def draw_profile(grid_dir, matrices, taus, profiles):
    """report_profile.png: the fraction of runs whose normalised score exceeds tau."""
    plt, fig, ax = figure()
    series = draw_lines(ax, matrices, taus, profiles)
    ax.set_xlabel("normalised score τ")
    ax.set_ylabel("fraction of runs with score > τ")
    ax.set_title("performance profile (score distribution)", fontsize=10)
    path = os.path.join(grid_dir, "report_profile.png")
    save_figure(fig, "Lines: the fraction of all runs (every seed on every environment) whose "
                "normalised final score is above τ." + band_caption(matrices), path,
                path[:-4] + ".csv", [("profile (step = tau x 1000)", s, c)
                                    for s, c in scaled(series, 1000)])
    plt.close(fig)
    return path


def scaled(series, factor):
    """τ written to the CSV's integer step column in thousandths."""
    return [(s, dict(c, step=np.round(np.asarray(c["step"]) * factor))) for s, c in series]


def efficiency_binning(marks, made_by, spacing):
    """How the sample-efficiency points are read, in words (the figure's caption and the page)."""
    return (f"each run's mean evaluation among those due in the {int(spacing):,} steps up to each "
            f"mark (an evaluation is due when the step count crosses a multiple of "
            f"--test_every_steps, and is made at the end of that iteration), each point drawn at "
            f"the step by which every run had made its evaluations ({int(made_by[0]):,} for the "
            f"mark {int(marks[0]):,})")


def draw_sample_efficiency(grid_dir, arrays, marks, made_by, spacing, found, shortest, longest):
    """report_sample_efficiency.png: the IQM of normalised scores at each mark, drawn at the step
    by which every run had made the evaluations behind it (report.efficiency_arrays)."""
    plt, fig, ax = figure()
    series = draw_lines(ax, arrays, np.asarray(made_by), found)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("IQM of normalised evaluation score")
    ax.set_title("sample efficiency", fontsize=10)
    # the table's final scores reach each run's own end: say how far short of it the marks stop
    cut = (f" Marks end at {int(marks[-1]):,} steps, within the shortest run ({shortest:,}); the "
           f"table scores each run over the last 10% of its own steps (up to {longest:,}).")
    path = os.path.join(grid_dir, "report_sample_efficiency.png")
    save_figure(fig, f"Lines: the interquartile mean over all runs (every seed on every "
                f"environment) of {efficiency_binning(marks, made_by, spacing)}, normalised as "
                f"the table's final scores, unsmoothed." + cut + band_caption(arrays), path,
                path[:-4] + ".csv", [("sample efficiency", s, c) for s, c in series])
    plt.close(fig)
    return path
