"""Reading runs back (config.json, progress.csv); PARL's text logs and published curves are
read by parl_logs.py.

Every reader refuses what it cannot read with one sentence (UserError, exit 2 in the tools); a torn
last row of progress.csv (a run writing it right now) is left out with a note on stderr.
"""
import csv
import math
import os
import re
import sys
from collections import defaultdict

import numpy as np

from ..algos import load_run_config
from ..errors import UserError
from ..parl1.flags import build_parser
from ..run.run_log import open_regular


def note(message):
    """A remark that does not stop the tool (stderr, one line)."""
    print(f"note: {message}", file=sys.stderr)


def env_family(env_id):
    """'HalfCheetah-v4' -> 'HalfCheetah': the task, whichever version ran it."""
    return re.sub(r"-v\d+$", "", env_id)


def finite_number(text):
    """float(text), ValueError unless finite."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _read_progress(path):
    """Rows of progress.csv as dicts of floats (eval_reward None where no evaluation ran, and
    train_reward None where no episode ended: parl2's rollouts can end inside one)."""
    with open_regular(path, newline="") as f:
        lines = list(csv.reader(f))
    header = lines[0] if lines else []
    if not {"steps", "train_reward", "eval_reward"} <= set(header):
        raise UserError(f"{path} has no header with the columns steps, train_reward and eval_reward.")
    rows = []
    for number, fields in enumerate(lines[1:], start=2):
        try:
            if len(fields) != len(header):
                raise ValueError("wrong number of fields")
            row = dict(zip(header, fields))
            rows.append({"steps": int(row["steps"]),
                         "train_reward": finite_number(row["train_reward"]) if row["train_reward"] else None,
                         "eval_reward": finite_number(row["eval_reward"]) if row["eval_reward"] else None})
        except ValueError:
            if number != len(lines):
                raise UserError(f"{path} line {number} is not a complete row of numbers.") from None
            note(f"the last row of {path} is incomplete (the run may be writing it); it is left out.")
    return rows


def load_run(run_dir):
    """{'dir', 'config', 'seed', 'train_steps', 'train_reward', 'eval_steps', 'eval_reward',
    'last_step', 'test_every_steps', 'episodes_per_evaluation'} of one output directory of train.py
    with at least one evaluation. PARL 1.x's PPO evaluates one episode at a time (its
    run_evaluate_episode); PARL 2.x's, its config's eval_episode episodes."""
    if not os.path.isdir(run_dir):
        raise UserError(f"{run_dir} is not a directory." if os.path.exists(run_dir)
                        else f"{run_dir} does not exist.")
    missing = [name for name in ("config.json", "progress.csv")
               if not os.path.exists(os.path.join(run_dir, name))]
    if missing:
        raise UserError(f"{run_dir} is not a run directory: {' and '.join(missing)} "
                        f"{'are' if len(missing) > 1 else 'is'} missing.")
    config = load_run_config(run_dir)
    try:
        rows = _read_progress(os.path.join(run_dir, "progress.csv"))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"{run_dir} has an unreadable progress.csv ({exc}).") from None
    if not rows:
        raise UserError(f"{run_dir} has no finished iteration yet (progress.csv holds only its header).")
    evals = [r for r in rows if r["eval_reward"] is not None]
    if not evals:
        raise UserError(f"{run_dir} has no evaluation yet ({rows[-1]['steps']:,} steps trained).")
    trains = [r for r in rows if r["train_reward"] is not None]  # parl2: no episode ended
    parl2 = config.get("algo") == "parl2"
    return {
        "dir": run_dir,
        "config": config,
        "seed": config["args"]["seed"] if parl2 else config["seed"],
        "train_steps": np.array([r["steps"] for r in trains]),
        "train_reward": np.array([r["train_reward"] for r in trains]),
        "eval_steps": np.array([r["steps"] for r in evals]),
        "eval_reward": np.array([r["eval_reward"] for r in evals]),
        "last_step": rows[-1]["steps"],
        "test_every_steps": (config["config"]["test_every_steps"] if parl2
                             else parl1_flag(config, "test_every_steps")),
        "episodes_per_evaluation": config["config"]["eval_episode"] if parl2 else 1,
    }


def parl1_flag(config, flag):
    """A flag of a PARL 1.x run's config.json; one missing from an older run's takes its default,
    which is what that run used."""
    return config["args"].get(flag, build_parser().get_default(flag))


def load_runs(run_dirs):
    """load_run of each directory, each directory once (the same path given twice is one run)."""
    unique = list(dict.fromkeys(os.path.realpath(d) for d in run_dirs))
    if len(unique) < len(run_dirs):
        note(f"{len(run_dirs) - len(unique)} run directories were given twice; each run counts once.")
    return [load_run(d) for d in unique]


def up_to(run, last_step):
    """The run as it was at ``last_step`` steps: its points after that step left out."""
    if last_step is None or run["last_step"] <= last_step:
        return run
    cut = dict(run, last_step=last_step)
    for kind in ("eval", "train"):
        kept = run[f"{kind}_steps"] <= last_step
        cut[f"{kind}_steps"], cut[f"{kind}_reward"] = run[f"{kind}_steps"][kept], run[f"{kind}_reward"][kept]
    if not len(cut["eval_steps"]):
        raise UserError(f"{run['dir']} has no evaluation in its first {last_step:,} steps.")
    return cut


# The flags that make two runs different settings (seed, paths and speed flags do not).
SETTING_FLAGS = ("loss_type", "gamma", "lam", "kl_targ", "clip_epsilon", "beta",
                 "episodes_per_batch", "max_kl")


def setting_of(run):
    """(env id, values of SETTING_FLAGS); parl2 runs (PARL 2.x's PPO) have the loss type "parl2"
    and None for the flags that do not apply to them."""
    if run["config"].get("algo") == "parl2":  # its resolved config
        config = run["config"]["config"]
        values = {"loss_type": "parl2", "gamma": config["gamma"], "lam": config["gae_lambda"],
                  "clip_epsilon": config["clip_param"]}
        return (run["config"]["env_id"],) + tuple(values.get(flag) for flag in SETTING_FLAGS)
    return (run["config"]["env_id"],) + tuple(parl1_flag(run["config"], flag)
                                              for flag in SETTING_FLAGS)


# Flags that only matter to some objectives (the others ignore them).
ONLY_FOR = {"kl_targ": ("KLPEN",), "clip_epsilon": ("CLIP",), "beta": ("KLPEN", "KLFIXED"),
            "max_kl": ("TRPO",)}


def group_by_setting(runs):
    """{setting tuple: [runs]} and a label per setting: the environment, the loss type, and
    those flags that vary between the settings of that environment and matter to that loss type."""
    groups = defaultdict(list)
    for run in runs:
        groups[setting_of(run)].append(run)
    labels = {}
    for key in groups:
        # parl2 runs are set by other flags than parl1's: each generation's labels name what
        # varies among its own settings
        same_env = [other for other in groups
                    if other[0] == key[0] and (other[1] == "parl2") == (key[1] == "parl2")]
        varying = [i for i, flag in enumerate(SETTING_FLAGS, start=1)
                   if flag != "loss_type" and len({other[i] for other in same_env}) > 1]
        loss_type = key[1]
        parts = [key[0], loss_type] + [
            f"{SETTING_FLAGS[i - 1]}={key[i]:g}" for i in varying
            if loss_type in ONLY_FOR.get(SETTING_FLAGS[i - 1], (loss_type,))]
        labels[key] = " ".join(parts)
    return dict(groups), labels
