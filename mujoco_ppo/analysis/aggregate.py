"""Tables and curves of a grid of runs (ablate.py aggregate): the runs found, the random policy's
returns (cached in GRID_DIR/random_policy.json), the scores (scores.py), their statistics
(stats.py, from rliable), the tables (tables.py) and each environment's curves beside PARL's
published ones where they exist.
"""
import json
import math
import os

import numpy as np

from ..algorithms import common_algorithm
from ..errors import UserError
from ..run.schema import NUMBER, check
from ..run.settings import read_json
from .curves import (
    draw_panel,
    fitted_window,
    panel_grid,
    save_figure,
    smoothing_text,
    split_settings,
    write_text,
)
from .parl_published import load_reference
from .results import env_family, group_by_setting, load_run, note
from .scores import normalise_rows, normalisers, setting_matrices, setting_rows


def random_policy_score(env_id, episodes=10, seed=0):
    """Mean return of uniform random actions over ``episodes`` episodes; on Atari, whole games
    through the evaluation wrappers of --algo parl2 (no-op starts, frame skip, fire reset). PARL's
    -v2 ids run as -v4, as in training; an id that cannot run here is a UserError."""
    from ..envs.make import make_env, resolve_env_id
    from ..parl2.env_utils import env_kind  # registers Atari's ids
    from ..parl2.env_utils import make_env as make_parl2_env
    env_id, _ = resolve_env_id(env_id)
    if env_kind(env_id) == "atari":
        env = make_parl2_env(env_id, "atari", evaluation=True)
        env.reset(seed=seed)
        env.action_space.seed(seed)
        returns = []
        while len(returns) < episodes:
            _, _, terminated, truncated, info = env.step(env.action_space.sample())
            if "episode" in info:  # the game is over, not just a life
                returns.append(float(info["episode"]["r"]))
            if terminated or truncated:
                env.reset()
        env.close()
        return float(np.mean(returns))
    env = make_env(env_id, seed)
    env.action_space.seed(seed)
    returns = []
    for _ in range(episodes):
        env.reset()
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total += reward
            done = terminated or truncated
        returns.append(total)
    env.close()
    return float(np.mean(returns))


def find_runs(grid_dir):
    """The grid's runs that have an evaluation; the others are named in a note and left out."""
    root = os.path.join(grid_dir, "runs")
    if not os.path.isdir(grid_dir):
        raise UserError(f"{grid_dir} does not exist." if not os.path.exists(grid_dir)
                        else f"{grid_dir} is not a directory.")
    found = sorted(folder for folder, _, files in os.walk(root)
                   if "progress.csv" in files and "config.json" in files)
    runs = []
    for folder in found:
        try:
            runs.append(load_run(folder))
        except UserError as exc:
            note(f"left out: {exc}")
    if not runs:
        raise UserError(f"no run with an evaluation under {root}.")
    return runs


def random_scores_of(grid_dir, envs):
    """Random-policy returns, cached in GRID_DIR/random_policy.json."""
    path = os.path.join(grid_dir, "random_policy.json")
    scores = read_random_scores(path) if os.path.exists(path) else {}
    missing = [env_id for env_id in envs if env_id not in scores]
    for env_id in missing:
        scores[env_id] = random_policy_score(env_id)
    if missing:
        write_text(path, json.dumps(scores, indent=2))
    return scores


def read_random_scores(path):
    """{env id: finite number} of a random_policy.json; UserError naming what is wrong."""
    try:
        scores = read_json(path)
        check(scores, dict, path)
        for env_id, score in scores.items():
            check(score, NUMBER, path, env_id)
            if not math.isfinite(score):
                raise UserError(f"{path}: field {env_id!r} should be a finite number, not {score}.")
    except UserError as exc:
        raise UserError(f"{str(exc).rstrip('.')}; delete it to measure the random policy "
                        f"again.") from None
    return scores


def score_grid(grid_dir, normalise="best"):
    """Everything the tables and the report draw on: {'groups', 'labels', 'envs', 'random',
    'rows', 'scales', 'undefined', 'matrices', 'normalise'}."""
    groups, labels = group_by_setting(find_runs(grid_dir))
    envs = sorted({key[0] for key in groups})
    random_scores = random_scores_of(grid_dir, envs)
    rows = setting_rows(groups, labels)
    scales, undefined = normalisers(rows, envs, random_scores, normalise)
    normalise_rows(rows, scales)
    return {"groups": groups, "labels": labels, "envs": envs, "random": random_scores,
            "rows": rows, "scales": scales, "undefined": undefined, "normalise": normalise,
            "matrices": setting_matrices(rows, scales)}


def aggregate(grid_dir, smooth=50000, normalise="best", reps=None):
    """summary.md (printed too), summary.csv, across_environments.csv and curves_<env>.png/.csv."""
    from .tables import write_summary
    scored = score_grid(grid_dir, normalise)
    write_summary(grid_dir, scored, reps)
    return scored, draw_curves(grid_dir, scored["groups"], scored["labels"], scored["envs"], smooth)


def published_curves(env_id, runs):
    """[(label, steps, mean)] of PARL's published curves for the task of ``runs``, of their
    generation (PARL v1.4's CLIP and KLPEN, or PARL 2.x's), cut at the runs' longest length."""
    generations = common_algorithm(runs).published
    last = max(run["last_step"] for run in runs)
    found = []
    for (family, loss_type), curve in sorted(load_reference().items()):
        shown = curve["steps"] < last
        if family == env_family(env_id) and loss_type in generations and shown.any():
            # up to the runs' end, interpolated there, where the published curve goes on
            end = [last] if curve["steps"][-1] >= last else []
            found.append((f"{curve['label']} {loss_type}, mean of {curve['seeds']} seeds",
                          np.append(curve["steps"][shown], end),
                          np.append(curve["mean"][shown],
                                    np.interp(end, curve["steps"], curve["mean"]))))
    return found


def draw_curves(grid_dir, groups, labels, envs, smooth):
    """curves_<env>.png and its .csv per environment; returns [(env, PNG, caption)]."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # for closing each figure

    drawn_figures = []
    for env_id in envs:
        settings = [(labels[key].split(" ", 1)[1], groups[key])
                    for key in sorted(k for k in groups if k[0] == env_id)]
        runs = [run for _, part in settings for run in part]
        window = fitted_window(smooth, runs)
        references = published_curves(env_id, runs)
        parts = split_settings(env_id, settings)
        fig, axes = panel_grid(len(parts), columns=2, size=(8.5, 5.5))
        series, bins = [], set()
        for ax, (title, part) in zip(axes, parts):
            for label, steps, mean in references:  # drawn first, under the runs' curves
                ax.plot(steps, mean, color="black", lw=1.2, alpha=0.7,
                        ls=":" if "KLPEN" not in label else "-.", label=label)
            drawn, bin_steps = draw_panel(ax, title, "evaluation reward", part, "eval", window)
            series += [(env_id, label, curve) for label, curve in drawn]
            bins.add(bin_steps)
        series += [(env_id, label, {"step": steps, "mean": mean, "low": mean, "high": mean,
                                    "seeds": np.zeros(len(steps))})
                   for label, steps, mean in references]
        banded = any((curve["seeds"] > 1).any() for _, _, curve in series)
        caption = smoothing_text(window, max(bins), asked=smooth,
                                 shortest=min(run["last_step"] for run in runs), band=banded)
        if references:
            caption += (" Black lines: PARL's published mean curves as the legend names them, "
                        "digitised, unsmoothed (no band drawn).")
        path = os.path.join(grid_dir, f"curves_{env_id}.png")
        save_figure(fig, caption, path, path[:-4] + ".csv", series)
        plt.close(fig)
        drawn_figures.append((env_id, path, caption))
    return drawn_figures
