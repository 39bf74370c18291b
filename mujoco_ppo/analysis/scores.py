"""A grid's final scores, normalised, as the matrices rliable takes (stats.py).

Final score of a run: the mean of its evaluations in the last 10% of its own steps,
s >= 0.9 * (its last step). Normalised score: (score - random) / (one - random), 0 for uniform
random actions (their mean return over 10 episodes) and 1 for, per environment, either
  best       the best setting of the grid (its mean final score), as in the PPO paper's
             comparison of surrogate objectives (the default), or
  reference  the published PARL curve of the grid's generation at the runs' length (PARL v1.4's
             CLIP for PARL 1.x's PPO, PARL-experiments' for PARL 2.x's), where one covers it.
Undefined where ``one`` does not beat random actions, or no published curve covers the runs.
"""
import numpy as np

from ..algorithms import common_algorithm
from .parl_published import load_reference
from .results import env_family, note

NORMALISATIONS = ("best", "reference")
FINAL_FRACTION = 0.1


def late_evaluations(run, fraction=FINAL_FRACTION):
    """The mask of a run's evaluations at steps >= (1 - fraction) * its last step; its last
    evaluation alone (with a note) where none is that late."""
    steps = run["eval_steps"]
    late = steps >= (1.0 - fraction) * run["last_step"]
    if not late.any():
        note(f"{run['dir']} has no evaluation in its last {fraction:.0%} of steps; its final score "
             f"is its last evaluation, at {steps[-1]:,} of {run['last_step']:,} steps.")
        late = steps == steps[-1]
    return late


def final_score(run, fraction=FINAL_FRACTION):
    """Mean evaluation reward at steps >= (1 - fraction) * the run's last step."""
    return float(run["eval_reward"][late_evaluations(run, fraction)].mean())


def final_episodes(run, fraction=FINAL_FRACTION):
    """How many evaluation episodes the run's final score averages."""
    return int(late_evaluations(run, fraction).sum()) * run.get("episodes_per_evaluation", 1)


def setting_rows(groups, labels):
    """A row per (environment, setting): its runs' final scores (by seed) and episodes."""
    rows = []
    for key in sorted(groups):
        runs = sorted(groups[key], key=lambda run: str(run["seed"]))
        rows.append({"env": key[0], "setting": labels[key].split(" ", 1)[1], "flags": key[1:],
                     "runs": runs, "scores": np.array([final_score(run) for run in runs]),
                     "episodes": [final_episodes(run) for run in runs],
                     "steps_min": min(run["last_step"] for run in runs),
                     "steps_max": max(run["last_step"] for run in runs)})
    return rows


def published_one(env_id, runs, curves):
    """(value, what) of the published curve for ``runs`` of ``env_id`` at their shortest length,
    or (None, why not)."""
    generation = common_algorithm(runs).published[0]
    curve = curves.get((env_family(env_id), generation))
    length = min(run["last_step"] for run in runs)
    if curve is None:
        return None, f"no published {generation} curve"
    if not curve["steps"][0] <= length <= curve["steps"][-1]:
        return None, f"the published curve covers {curve['steps'][0]:,}–{curve['steps'][-1]:,} steps"
    value = float(np.interp(length, curve["steps"], curve["mean"]))
    return value, f"{curve['label']} {generation} at {length:,} steps"


def normalisers(rows, envs, random_scores, normalise):
    """({env: (random, one, what one is)}, [why each other environment is undefined])."""
    curves = load_reference() if normalise == "reference" else {}
    scales, undefined = {}, []
    for env_id in envs:
        mine = [r for r in rows if r["env"] == env_id]
        if normalise == "best":
            best = max(mine, key=lambda r: r["scores"].mean())
            one, what = float(best["scores"].mean()), f"best setting, {best['setting']}"
        else:
            one, what = published_one(env_id, [run for r in mine for run in r["runs"]], curves)
        zero = random_scores[env_id]
        if one is None:
            undefined.append(f"{env_id} ({what})")
        elif one <= zero:  # (score - random) / (one - random) has no meaning
            undefined.append(f"{env_id} ({what} {one:,.1f}, random {zero:,.1f})")
        else:
            scales[env_id] = (zero, one, what)
    return scales, undefined


def normalise_rows(rows, scales):
    """Each row of a normalisable environment gains 'normalised' (its mean) and 'normalised_runs'."""
    for r in rows:
        if r["env"] in scales:
            zero, one, _ = scales[r["env"]]
            r["normalised_runs"] = (r["scores"] - zero) / (one - zero)
            r["normalised"] = float(r["normalised_runs"].mean())


def setting_matrices(rows, scales):
    """{setting: runs x environments array of normalised final scores} for the settings run on
    every normalisable environment; a setting with more runs on one environment than on another
    keeps its first runs (by seed) on each, as many as the fewest, with a note."""
    by_setting = {}
    for r in rows:
        if "normalised_runs" in r:
            by_setting.setdefault(r["setting"], []).append(r["normalised_runs"])
    matrices = {}
    for setting, columns in by_setting.items():
        if len(columns) < len(scales):
            continue  # not run on every environment: no aggregate over them
        fewest = min(len(c) for c in columns)
        if any(len(c) > fewest for c in columns):
            note(f"{setting}: {fewest} runs on some environment, more on others; the statistics "
                 f"across environments use the first {fewest} seeds of each.")
        matrices[setting] = np.stack([c[:fewest] for c in columns], axis=1)
    return matrices
