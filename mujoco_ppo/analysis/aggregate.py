"""Tables and curves of a grid of runs (scripts/ablate.py aggregate).

Final score of a run: the mean evaluation reward over the last 10% of its steps. Per environment and
setting: mean and standard deviation over seeds, and a 95% bootstrap confidence interval of the mean
(scipy.stats.bootstrap, percentile method). Normalised score, as in the PPO paper's comparison of
surrogate objectives: 0 for a random policy (uniform actions, its mean return over 10 episodes) and 1
for the best setting of the grid on that environment, then averaged over the environments.
"""
import csv
import json
import os

import numpy as np

from ..errors import UserError
from .results import draw_band, finish_axes, group_by_setting, load_run, save_figure


def final_score(run, fraction=0.1):
    steps, rewards = run["eval_steps"], run["eval_reward"]
    if len(steps) == 0:
        return float("nan")
    return float(rewards[steps >= (1.0 - fraction) * steps[-1]].mean())


def bootstrap_ci(values, seed=0):
    if len(values) < 2:
        return float("nan"), float("nan")
    from scipy.stats import bootstrap
    result = bootstrap((np.asarray(values),), np.mean, confidence_level=0.95, n_resamples=10000,
                       method="percentile", random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def random_policy_score(env_id, episodes=10, seed=0):
    """Mean return of uniform random actions over ``episodes`` episodes."""
    from ..sampling.envs import make_env
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


def _interval(low, high):
    return "— (one seed)" if np.isnan(low) else f"[{low:,.0f}, {high:,.0f}]"


def find_runs(grid_dir):
    root = os.path.join(grid_dir, "runs")
    found = sorted(folder for folder, _, files in os.walk(root)
                   if "progress.csv" in files and "config.json" in files)
    if not found:
        raise UserError(f"no runs under {root}.")
    return found


def aggregate(grid_dir, window=50000):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [load_run(d) for d in find_runs(grid_dir)]
    groups, labels = group_by_setting(runs)
    envs = sorted({key[0] for key in groups})
    cache_path = os.path.join(grid_dir, "random_policy.json")
    random_scores = {}
    if os.path.exists(cache_path):
        with open(cache_path) as f:
            random_scores = json.load(f)
    for env_id in envs:
        if env_id not in random_scores:
            random_scores[env_id] = random_policy_score(env_id)
    with open(cache_path, "w") as f:
        json.dump(random_scores, f, indent=2)

    rows = []
    for key in sorted(groups):
        scores = [final_score(run) for run in groups[key]]
        low, high = bootstrap_ci(scores)
        rows.append({"env": key[0], "setting": labels[key].split(" ", 1)[1],
                     "seeds": len(scores), "steps": min(int(r["train_steps"][-1]) for r in groups[key]),
                     "final_mean": float(np.mean(scores)), "final_std": float(np.std(scores)),
                     "ci95_low": low, "ci95_high": high})
    for env_id in envs:
        best = max(r["final_mean"] for r in rows if r["env"] == env_id)
        for r in rows:
            if r["env"] == env_id:
                r["normalised"] = ((r["final_mean"] - random_scores[env_id])
                                   / (best - random_scores[env_id]))
    settings = sorted({r["setting"] for r in rows})
    averages = {s: float(np.mean([r["normalised"] for r in rows if r["setting"] == s]))
                for s in settings if sum(r["setting"] == s for r in rows) == len(envs)}

    columns = ["env", "setting", "seeds", "steps", "final_mean", "final_std", "ci95_low",
               "ci95_high", "normalised"]
    with open(os.path.join(grid_dir, "summary.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| environment | setting | seeds | steps | final reward (mean ± std) | 95% CI | "
             "normalised |", "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['env']} | {r['setting']} | {r['seeds']} | {r['steps']:,} | "
                     f"{r['final_mean']:,.0f} ± {r['final_std']:,.0f} | "
                     f"{_interval(r['ci95_low'], r['ci95_high'])} | {r['normalised']:.2f} |")
    lines += ["", "| setting | normalised score, mean over environments |", "|---|---:|"]
    lines += [f"| {s} | {v:.2f} |" for s, v in sorted(averages.items(), key=lambda kv: -kv[1])]
    lines += ["", "Random-policy returns (score 0): " + ", ".join(
        f"{env} {score:.1f}" for env, score in sorted(random_scores.items()))]
    with open(os.path.join(grid_dir, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

    colours = plt.get_cmap("tab10")
    for env_id in envs:
        fig, ax = plt.subplots(figsize=(8, 5.5))
        for i, key in enumerate(sorted(k for k in groups if k[0] == env_id)):
            draw_band(ax, groups[key], "eval_steps", "eval_reward", window, colours(i % 10),
                      labels[key].split(" ", 1)[1])
        finish_axes(ax, env_id, window)
        save_figure(fig, os.path.join(grid_dir, f"curves_{env_id}.png"))
        plt.close(fig)
