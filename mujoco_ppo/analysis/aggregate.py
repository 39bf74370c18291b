"""Tables and curves of a grid of runs (scripts/ablate.py aggregate).

Final score of a run: the mean of its evaluation rewards in the last 10% of its own steps,
s >= 0.9 * (its last step). Per environment and setting: mean and sample standard deviation (n - 1)
over seeds and a 95% percentile-bootstrap confidence interval of the mean (scipy.stats.bootstrap).
Normalised score, as in the PPO paper's comparison of surrogate objectives: (score - random) /
(best - random), 0 for a random policy (uniform actions, its mean return over 10 episodes) and 1 for
the best setting of the grid on that environment; undefined on an environment whose best setting
does not beat the random policy (the table says so, and the means across environments leave it
out). Across environments, per setting: the mean of the normalised setting means, and, as rliable
does (Agarwal et al. 2021), the interquartile mean of all runs' normalised scores,
IQM = scipy.stats.trim_mean(x, 0.25), with a 95% stratified-bootstrap interval (runs drawn
with replacement within each environment, percentile method).
"""
import csv
import io
import json
import math
import os

import numpy as np

from ..errors import UserError
from ..run.schema import NUMBER, check
from ..run.settings import read_json
from .curves import draw_panel, panel_grid, save_figure, smoothing_text, split_settings, write_text
from .results import group_by_setting, load_run, note

CONFIDENCE = 0.95
RESAMPLES = 10000


def final_score(run, fraction=0.1):
    """Mean evaluation reward at steps >= (1 - fraction) * the run's last step."""
    steps, rewards = run["eval_steps"], run["eval_reward"]
    late = steps >= (1.0 - fraction) * run["last_step"]
    if not late.any():
        note(f"{run['dir']} has no evaluation in its last {fraction:.0%} of steps; its final score "
             f"is its last evaluation, at {steps[-1]:,} of {run['last_step']:,} steps.")
        late = steps == steps[-1]
    return float(rewards[late].mean())


def bootstrap_ci(values, seed=0):
    """95% percentile-bootstrap interval of the mean; (nan, nan) for fewer than 2 values."""
    if len(values) < 2:
        return float("nan"), float("nan")
    from scipy.stats import bootstrap
    result = bootstrap((np.asarray(values),), np.mean, confidence_level=CONFIDENCE,
                       n_resamples=RESAMPLES, method="percentile",
                       random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def iqm(values):
    """Interquartile mean: the mean of the middle 50% (scipy.stats.trim_mean, 25% cut each side)."""
    from scipy.stats import trim_mean
    return float(trim_mean(np.asarray(values, dtype=float), 0.25, axis=None))


def stratified_bootstrap_iqm(scores_by_task, seed=0):
    """(IQM, low, high): IQM of all scores pooled, and its 95% percentile interval over resamples
    that draw, within each task, as many runs as it has, with replacement."""
    from scipy.stats import trim_mean
    rng = np.random.default_rng(seed)
    pooled = [np.asarray(s, dtype=float) for s in scores_by_task]
    resampled = np.concatenate([s[rng.integers(0, len(s), size=(RESAMPLES, len(s)))]
                                for s in pooled], axis=1)
    estimates = trim_mean(resampled, 0.25, axis=1)
    tail = 100 * (1 - CONFIDENCE) / 2
    return iqm(np.concatenate(pooled)), *np.percentile(estimates, [tail, 100 - tail])


def random_policy_score(env_id, episodes=10, seed=0):
    """Mean return of uniform random actions over ``episodes`` episodes; on Atari, whole games
    through the evaluation wrappers of --algo parl2 (no-op starts, frame skip, fire reset). PARL's
    -v2 ids run as -v4, as in training; an id that cannot run here is a UserError."""
    from ..parl2.env_utils import env_kind  # registers Atari's ids
    from ..parl2.env_utils import make_env as make_parl2_env
    from ..sampling.envs import make_env, resolve_env_id
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


def spread(mean, std, low, high, seeds):
    """'1,520 ± 228 | [1,204, 1,731]', or '1,520 | 1 seed' where one seed gives no spread."""
    if seeds < 2:
        return f"{mean:,.0f} | 1 seed"
    return f"{mean:,.0f} ± {std:,.0f} | [{low:,.0f}, {high:,.0f}]"


def normalised_text(row):
    """'0.83', or 'undefined' where no setting of the row's environment beats random actions."""
    return f"{row['normalised']:.2f}" if "normalised" in row else "undefined"


def steps_text(runs):
    ends = sorted(run["last_step"] for run in runs)
    return f"{ends[0]:,}" if ends[0] == ends[-1] else f"{ends[0]:,}–{ends[-1]:,}"


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


def aggregate(grid_dir, smooth=50000):
    groups, labels = group_by_setting(find_runs(grid_dir))
    envs = sorted({key[0] for key in groups})
    random_scores = random_scores_of(grid_dir, envs)
    rows, across, undefined = summary_rows(groups, labels, envs, random_scores)
    write_summary(grid_dir, rows, across, undefined, envs, random_scores)
    draw_curves(grid_dir, groups, labels, envs, smooth)


def summary_rows(groups, labels, envs, random_scores):
    """(a row per environment and setting, the settings' scores across environments, the
    environments whose normalised score is undefined)."""
    rows, normalised_runs = [], {}
    for key in sorted(groups):
        scores = np.array([final_score(run) for run in groups[key]])
        low, high = bootstrap_ci(scores)
        rows.append({"env": key[0], "setting": labels[key].split(" ", 1)[1], "flags": key[1:],
                     "seeds": len(scores),
                     "steps": steps_text(groups[key]), "final_mean": float(scores.mean()),
                     "steps_min": min(run["last_step"] for run in groups[key]),
                     "steps_max": max(run["last_step"] for run in groups[key]),
                     "final_std": float(scores.std(ddof=1)) if len(scores) > 1 else float("nan"),
                     "ci95_low": low, "ci95_high": high, "scores": scores})
    undefined = []  # environments whose best setting does no better than random actions
    for env_id in envs:
        best = max(r["final_mean"] for r in rows if r["env"] == env_id)
        scale = best - random_scores[env_id]
        if scale <= 0:  # (score - random) / (best - random) has no meaning
            undefined.append(f"{env_id} (best {best:,.1f}, random {random_scores[env_id]:,.1f})")
            continue
        for r in rows:
            if r["env"] == env_id:
                r["normalised"] = (r["final_mean"] - random_scores[env_id]) / scale
                normalised_runs.setdefault(r["flags"], (r["setting"], []))[1].append(
                    (r["scores"] - random_scores[env_id]) / scale)
    normalised_envs = len(envs) - len(undefined)
    across = []
    for setting, per_env in normalised_runs.values():
        if len(per_env) < normalised_envs:
            continue  # not run on every environment: no average over them
        value, low, high = stratified_bootstrap_iqm(per_env)
        runs = sum(len(s) for s in per_env)
        across.append((setting, float(np.mean([s.mean() for s in per_env])), value, low, high, runs))
    across.sort(key=lambda item: -item[1])
    return rows, across, undefined


def write_summary(grid_dir, rows, across, undefined, envs, random_scores):
    """summary.csv and summary.md, the latter printed too."""
    normalised_envs = len(envs) - len(undefined)
    columns = ["env", "setting", "seeds", "steps_min", "steps_max", "final_mean", "final_std", "ci95_low",
               "ci95_high", "normalised"]
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_text(os.path.join(grid_dir, "summary.csv"), table.getvalue())
    lines = ["| environment | setting | seeds | steps | final reward, mean ± sd | 95% bootstrap CI | "
             "normalised |", "|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['env']} | {r['setting']} | {r['seeds']} | {r['steps']} | "
              f"{spread(r['final_mean'], r['final_std'], r['ci95_low'], r['ci95_high'], r['seeds'])} | "
              f"{normalised_text(r)} |" for r in rows]
    lines += ["", f"| setting | normalised score: mean over {normalised_envs} environment"
              f"{'s' if normalised_envs != 1 else ''} | IQM of runs | 95% stratified bootstrap CI of "
              f"IQM |", "|---|---:|---:|---:|"]
    lines += [f"| {s} | {mean:.2f} | {value:.2f} | "
              f"{'1 seed' if runs < 2 else f'[{low:.2f}, {high:.2f}]'} |"
              for s, mean, value, low, high, runs in across]
    lines += ["", "Final reward: mean evaluation over the last 10% of each run's steps. Random-policy "
              "returns (score 0): " + ", ".join(f"{env} {random_scores[env]:.1f}" for env in envs) + "."]
    if undefined:
        lines += ["", "Normalised score undefined where no setting's final reward beats the random "
                  "policy's: " + ", ".join(undefined) + "."]
    write_text(os.path.join(grid_dir, "summary.md"), "\n".join(lines) + "\n")
    print("\n".join(lines))


def draw_curves(grid_dir, groups, labels, envs, smooth):
    """curves_<env>.png and its .csv, per environment."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # for closing each figure

    for env_id in envs:
        settings = [(labels[key].split(" ", 1)[1], groups[key])
                    for key in sorted(k for k in groups if k[0] == env_id)]
        parts = split_settings(env_id, settings)
        fig, axes = panel_grid(len(parts), columns=2, size=(8.5, 5.5))
        series, bins = [], set()
        for ax, (title, part) in zip(axes, parts):
            drawn, bin_steps = draw_panel(ax, title, "evaluation reward", part, "eval", smooth)
            series += [(env_id, label, curve) for label, curve in drawn]
            bins.add(bin_steps)
        path = os.path.join(grid_dir, f"curves_{env_id}.png")
        save_figure(fig, smoothing_text(smooth, max(bins)), path, path[:-4] + ".csv", series)
        plt.close(fig)
