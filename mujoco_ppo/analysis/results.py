"""Reading runs back (config.json, progress.csv); PARL's logs are read by comparison/parl_logs.py, its
published curves by parl_published.py.

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

from ..algorithms import algorithm_of, load_run_config
from ..errors import UserError
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
    'last_step', 'test_every_steps', 'episodes_per_evaluation', 'update_steps', 'total_steps'} of
    one output directory of train.py with at least one evaluation; the seed, the evaluations'
    schedule and episodes, the steps of an update and the step budget as its PPO's spec reads
    them from config.json (run_facts)."""
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
    facts = algorithm_of(config).run_facts(config)
    return {
        "dir": run_dir,
        "config": config,
        "seed": facts["seed"],
        "train_steps": np.array([r["steps"] for r in trains]),
        "train_reward": np.array([r["train_reward"] for r in trains]),
        "eval_steps": np.array([r["steps"] for r in evals]),
        "eval_reward": np.array([r["eval_reward"] for r in evals]),
        "last_step": rows[-1]["steps"],
        "test_every_steps": facts["test_every_steps"],
        "episodes_per_evaluation": facts["episodes_per_evaluation"],
        "update_steps": facts["update_steps"],
        "total_steps": facts["total_steps"],
    }


def load_runs(run_dirs):
    """load_run of each directory, each directory once (the same path given twice is one run)."""
    unique = list(dict.fromkeys(os.path.realpath(d) for d in run_dirs))
    if len(unique) < len(run_dirs):
        note(f"{len(run_dirs) - len(unique)} run directories were given twice; each run counts once.")
    return [load_run(d) for d in unique]


def up_to(run, last_step):
    """The run as it was at ``last_step`` steps: its points after that step left out, and
    nothing after it counted as reached ("until")."""
    if last_step is None:
        return run
    if run["last_step"] <= last_step:
        return dict(run, until=last_step)
    cut = dict(run, last_step=last_step, until=last_step)
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
    """(env id, values of SETTING_FLAGS) as the run's PPO's spec reads them (setting_values):
    PARL 2.x's runs have the loss type "parl2" and None for the flags that are not its own."""
    values = algorithm_of(run["config"]).setting_values(run["config"])
    return (run["config"]["env_id"],) + tuple(values.get(flag) for flag in SETTING_FLAGS)


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
    # each PPO's runs are set by other flags: its labels name what varies among its own settings
    algo = {key: algorithm_of(members[0]["config"]).name for key, members in groups.items()}
    for key in groups:
        same_env = [other for other in groups if other[0] == key[0] and algo[other] == algo[key]]
        varying = [i for i, flag in enumerate(SETTING_FLAGS, start=1)
                   if flag != "loss_type" and len({other[i] for other in same_env}) > 1]
        loss_type = key[1]
        parts = [key[0], loss_type] + [
            f"{SETTING_FLAGS[i - 1]}={key[i]:g}" for i in varying
            if loss_type in ONLY_FOR.get(SETTING_FLAGS[i - 1], (loss_type,))]
        labels[key] = " ".join(parts)
    return dict(groups), labels
