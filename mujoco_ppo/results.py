"""Reading finished or running runs back: config.json, progress.csv, and PARL's reference curves."""
import csv
import json
import os
import re
from collections import defaultdict

import numpy as np

from .errors import UserError

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
    return {
        "dir": run_dir,
        "config": config,
        "steps": np.array([int(r["steps"]) for r in rows]),
        "train_reward": np.array([float(r["train_reward"]) for r in rows]),
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
