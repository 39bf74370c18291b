"""Reading finished or running runs back: config.json, progress.csv, and PARL's reference curves."""
import csv
import json
import os
import re
from collections import defaultdict

import numpy as np

from ..errors import UserError

REFERENCE_CSV = os.path.join(os.path.dirname(__file__), "reference", "parl_v1.4_ppo_reference.csv")


def env_family(env_id):
    """'HalfCheetah-v4' -> 'HalfCheetah': the task, whichever version ran it."""
    return re.sub(r"-v\d+$", "", env_id)


def load_run(run_dir):
    """{'config', 'steps', 'eval_steps', 'eval_reward', 'train_reward'} of one output dir."""
    try:
        with open(os.path.join(run_dir, "config.json")) as f:
            config = json.load(f)
        with open(os.path.join(run_dir, "progress.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError as exc:
        raise UserError(f"{run_dir} is not a run directory: {exc.filename} is missing.") from None
    except (json.JSONDecodeError, csv.Error) as exc:
        raise UserError(f"{run_dir} has an unreadable config.json or progress.csv: {exc}.") from None
    evals = [r for r in rows if r.get("eval_reward")]
    trains = [r for r in rows if r.get("train_reward")]  # parl2: empty when no episode ended
    return {
        "dir": run_dir,
        "config": config,
        "train_reward": np.array([float(r["train_reward"]) for r in trains]),
        "train_steps": np.array([int(r["steps"]) for r in trains]),
        "eval_steps": np.array([int(r["steps"]) for r in evals]),
        "eval_reward": np.array([float(r["eval_reward"]) for r in evals]),
    }


def load_reference(path=REFERENCE_CSV):
    """{(env family, loss type): (steps array, mean-of-5-seeds reward array)}."""
    curves = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (env_family(row["env"]), row["loss_type"])
            curves[key].append((int(row["steps"]), float(row["eval_reward_mean_of_5_seeds"])))
    return {key: tuple(np.array(v) for v in zip(*sorted(points))) for key, points in curves.items()}


def smooth_at(steps, rewards, grid, window):
    """Mean of the evaluations within +-window/2 steps of each grid point (NaN where none)."""
    out = np.full(len(grid), np.nan)
    for i, g in enumerate(grid):
        near = np.abs(steps - g) <= window / 2
        if near.any():
            out[i] = rewards[near].mean()
    return out


# The flags that make two runs different settings (seed, paths and speed flags do not).
SETTING_FLAGS = ("loss_type", "gamma", "lam", "kl_targ", "clip_epsilon", "beta",
                 "episodes_per_batch")


def setting_of(run):
    """(env id, values of SETTING_FLAGS); a flag missing from an older run's config.json takes
    its default, which is what that run used."""
    from ..run.config import build_parser
    if run["config"].get("algo") == "parl2":  # PARL 2.x's PPO: its resolved config, "parl2"
        config = run["config"]["config"]
        return (run["config"]["env_id"], "parl2", config["gamma"], config["gae_lambda"], None,
                config["clip_param"], None, None)
    defaults = build_parser()
    args = run["config"]["args"]
    return (run["config"]["env_id"],) + tuple(args.get(flag, defaults.get_default(flag))
                                              for flag in SETTING_FLAGS)


# Flags that only matter to some objectives (the others ignore them).
ONLY_FOR = {"kl_targ": ("KLPEN",), "clip_epsilon": ("CLIP",), "beta": ("KLPEN", "KLFIXED")}


def group_by_setting(runs):
    """{setting tuple: [runs]} and a label per setting: the environment, the loss type, and
    those flags that vary between the settings and matter to that loss type."""
    groups = defaultdict(list)
    for run in runs:
        groups[setting_of(run)].append(run)
    varying = [i for i, flag in enumerate(SETTING_FLAGS, start=1)
               if flag != "loss_type" and len({key[i] for key in groups}) > 1]
    labels = {}
    for key in groups:
        loss_type = key[1]
        parts = [key[0], loss_type] + [
            f"{SETTING_FLAGS[i - 1]}={key[i]:g}" for i in varying
            if loss_type in ONLY_FOR.get(SETTING_FLAGS[i - 1], (loss_type,))]
        labels[key] = " ".join(parts)
    return dict(groups), labels


def draw_band(ax, runs, steps_key, values_key, window, colour, label):
    """Mean over runs of the moving average (``window`` steps) of a column, with a min-max band
    over runs when there are several, or the raw points of a single run."""
    last = min(r[steps_key][-1] for r in runs)
    grid = np.arange(0, last + 1, max(window // 5, 1))
    curves = np.array([smooth_at(r[steps_key], r[values_key], grid, window) for r in runs])
    with np.errstate(all="ignore"):
        ax.plot(grid, np.nanmean(curves, axis=0), color=colour, lw=2,
                label=f"{label} ({len(runs)} seed{'s' if len(runs) > 1 else ''})")
        if len(runs) > 1:
            ax.fill_between(grid, np.nanmin(curves, axis=0), np.nanmax(curves, axis=0),
                            color=colour, alpha=0.15)
        else:
            ax.plot(runs[0][steps_key], runs[0][values_key], color=colour, lw=0.5, alpha=0.35)
    return last


def finish_axes(ax, title, window, kind="evaluation"):
    ax.set_title(title)
    ax.set_xlabel("environment steps")
    ax.set_ylabel(f"{kind} reward ({window // 1000}k-step moving average)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)


def save_figure(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")
