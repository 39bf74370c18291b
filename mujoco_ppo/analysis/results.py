"""Reading runs back (config.json, progress.csv), PARL's text logs, and PARL's published curves.

Every reader refuses what it cannot read with one sentence (UserError, exit 2 in the tools); a torn
last row of progress.csv (a run writing it right now) is left out with a note on stderr.
"""
import argparse
import csv
import math
import os
import re
import sys
from collections import defaultdict

import numpy as np

from ..errors import UserError
from ..algos import load_run_config
from ..cli import whole_number
from ..parl1.flags import build_parser

_REFERENCE_DIR = os.path.join(os.path.dirname(__file__), "reference")
# PARL's published curves, digitised (reference/README.md): file -> (whose, digitising error by task)
REFERENCES = {
    os.path.join(_REFERENCE_DIR, "parl_v1.4_ppo_reference.csv"):
        ("PARL v1.4 published", {"HalfCheetah": 60.0, "Hopper": 30.0}),
    os.path.join(_REFERENCE_DIR, "parl_experiments_ppo_paddle.csv"):
        ("PARL 2.x published (PARL-experiments)",
         {"HalfCheetah": 22.0, "Hopper": 11.0, "BreakoutNoFrameskip": 1.0}),
}
# PARL 1.4 examples/PPO/train.py: its argparse defaults, which a log's "Argv:" line leaves in force.
PARL_DEFAULTS = {"env": "HalfCheetah-v2", "loss_type": "CLIP", "test_every_steps": 10000}
PARL_LOSS_TYPES = ("CLIP", "KLPEN")


def note(message):
    """A remark that does not stop the tool (stderr, one line)."""
    print(f"note: {message}", file=sys.stderr)


def env_family(env_id):
    """'HalfCheetah-v4' -> 'HalfCheetah': the task, whichever version ran it."""
    return re.sub(r"-v\d+$", "", env_id)


def _number(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _read_progress(path):
    """Rows of progress.csv as dicts of floats (eval_reward None where no evaluation ran, and
    train_reward None where no episode ended: parl2's rollouts can end inside one)."""
    with open(path, newline="") as f:
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
                         "train_reward": _number(row["train_reward"]) if row["train_reward"] else None,
                         "eval_reward": _number(row["eval_reward"]) if row["eval_reward"] else None})
        except ValueError:
            if number != len(lines):
                raise UserError(f"{path} line {number} is not a complete row of numbers.") from None
            note(f"the last row of {path} is incomplete (the run may be writing it); it is left out.")
    return rows


def load_run(run_dir):
    """{'dir', 'config', 'seed', 'train_steps', 'train_reward', 'eval_steps', 'eval_reward',
    'last_step', 'test_every_steps'} of one output directory of train.py with at least one evaluation."""
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


# PARL's logger (parl/utils/logger.py): "[%(asctime)s %(threadName)s @%(filename)s:%(lineno)d] msg",
# asctime as %m-%d %H:%M:%S, in terminal colours (termcolor) that a redirected log keeps.
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
EVAL_LINE = re.compile(r"Steps (\d+), Evaluate reward: (\S*)")
TRAIN_LINE = re.compile(r"Steps (\d+), Train reward: ([^,\s]+),")


def _argv_flag(argv, flag):
    """Value of --flag in a command line ('--flag v' or '--flag=v'), else None."""
    found = re.search(rf"--{flag}(?:=|\s+)(\S+)", argv)
    return found[1] if found else None


def read_parl_log(path, env=None, loss_type=None):
    """One text log of PARL's examples/PPO/train.py as a run-like dict: 'family', 'loss_type',
    'eval_steps', 'eval_reward', 'train_steps', 'train_reward', 'last_step', 'test_every_steps'.

    Task and loss type come from the log's "Argv:" line (PARL's defaults for flags it does not
    give); without that line, from ``env`` and ``loss_type``, else the log is refused."""
    try:
        with open(path, errors="replace") as f:
            text = ANSI_COLOUR.sub("", f.read())
    except OSError as exc:
        raise UserError(f"cannot read the PARL log {path}: {exc.strerror}.") from None
    argv = re.search(r"Argv: (.*)", text)
    if argv:
        found = {flag: _argv_flag(argv[1], flag) or str(PARL_DEFAULTS[flag]) for flag in PARL_DEFAULTS}
        for flag, given, same in (("env", env, env_family), ("loss_type", loss_type, str.upper)):
            if given and same(given) != same(found[flag]):
                raise UserError(f"{path} was run with --{flag} {found[flag]} (its Argv: line), "
                                f"not {given}.")
    elif env and loss_type:
        found = {"env": env, "loss_type": loss_type, "test_every_steps": None}
    else:
        raise UserError(f"{path} has no 'Argv:' line naming its task and loss type; give them with "
                        f"--parl_env and --parl_loss_type.")
    if found["loss_type"].upper() not in PARL_LOSS_TYPES:
        raise UserError(f"{path} has loss type {found['loss_type']!r}; PARL's are CLIP and KLPEN.")
    every = found["test_every_steps"] and _argv_interval(path, found["test_every_steps"])
    evals, trains = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        match = EVAL_LINE.search(line)
        if match:
            try:
                reward = _number(match[2].rstrip(","))
            except ValueError:
                raise UserError(f"{path} line {number}: the evaluate reward {match[2]!r} is not a "
                                f"finite number.") from None
            evals.append((_step_count(path, number, match[1]), reward))
        match = TRAIN_LINE.search(line)
        if match:
            try:
                trains.append((_step_count(path, number, match[1]), _number(match[2])))
            except ValueError:
                pass  # some PARL versions printed an array here; the evaluations are what we compare
    if not evals:
        raise UserError(f"{path} has no 'Steps N, Evaluate reward: R' lines.")
    steps, rewards = (np.array(v) for v in zip(*sorted(evals)))
    return {
        "dir": path, "env": found["env"], "family": env_family(found["env"]),
        "loss_type": found["loss_type"].upper(),
        "eval_steps": steps, "eval_reward": rewards, "seed": None,
        "train_steps": np.array([s for s, _ in trains]), "train_reward": np.array([r for _, r in trains]),
        "last_step": int(max(steps[-1], max((s for s, _ in trains), default=0))),
        "test_every_steps": every or _typical_spacing(steps),
    }


def _argv_interval(path, text):
    """--test_every_steps of a PARL log's Argv: line, a positive whole number; UserError otherwise."""
    try:
        interval = whole_number(text)
    except argparse.ArgumentTypeError:
        interval = 0
    if interval < 1:
        raise UserError(f"{path} was run with --test_every_steps {text!r:.40} (its Argv: line), "
                        f"which is not a positive whole number of steps.")
    return interval


def _step_count(path, number, digits):
    """The step count of a log line; UserError beyond NumPy's int64, in which steps are counted
    (and far beyond any run)."""
    if int(digits) > np.iinfo(np.int64).max:
        raise UserError(f"{path} line {number}: the step count {digits:.30} is beyond 2**63 - 1.")
    return int(digits)


def _typical_spacing(steps):
    """The median gap between evaluations, to two significant figures (10,034 -> 10,000)."""
    if len(steps) < 2:
        return PARL_DEFAULTS["test_every_steps"]
    return max(1, int(float(f"{np.median(np.diff(steps)):.2g}")))


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


def load_reference(paths=tuple(REFERENCES)):
    """{(env family, loss type): curve} from digitised CSVs (columns env, loss_type, steps,
    eval_reward_mean_of_N_seeds, and optionally band_low, band_high); a curve is a dict of
    arrays "steps", "mean", "low", "high" (None without a band) and "seeds", "label", "error"
    (the digitising error; 0 for a file this package does not know)."""
    curves = {}
    for path in paths:
        label, errors = REFERENCES.get(os.path.abspath(path),
                                       (f"published ({os.path.basename(path)})", {}))
        points = defaultdict(list)
        try:
            with open(path, newline="") as f:
                reader = csv.DictReader(f)
                mean_column = next((c for c in reader.fieldnames or []
                                    if re.fullmatch(r"eval_reward_mean_of_\d+_seeds", c)), None)
                if mean_column is None:
                    raise KeyError("no eval_reward_mean_of_N_seeds column")
                banded = "band_low" in reader.fieldnames
                for row in reader:
                    points[(env_family(row["env"]), row["loss_type"])].append(
                        (int(row["steps"]), float(row[mean_column]),
                         *((float(row["band_low"]), float(row["band_high"])) if banded else ())))
        except (OSError, KeyError, ValueError) as exc:
            raise UserError(f"cannot read the reference curves {path} ({exc}).") from None
        seeds = int(re.findall(r"\d+", mean_column)[0])
        for (family, loss_type), rows in points.items():
            columns = [np.array(c) for c in zip(*sorted(rows))]
            curves[(family, loss_type)] = {
                "steps": columns[0], "mean": columns[1],
                "low": columns[2] if banded else None, "high": columns[3] if banded else None,
                "seeds": seeds, "label": label, "error": errors.get(family, 0.0)}
    return curves


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
