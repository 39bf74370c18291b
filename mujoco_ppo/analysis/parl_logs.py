"""PARL's side of a comparison: the text logs of its examples/PPO/train.py and its published
curves, digitised (reference/). Every reader refuses what it cannot read with one sentence."""
import argparse
import csv
import os
import re
from collections import defaultdict

import numpy as np

from ..cli import whole_number
from ..errors import UserError
from .results import env_family, finite_number

# PARL's logger (parl/utils/logger.py): "[%(asctime)s %(threadName)s @%(filename)s:%(lineno)d] msg",
# asctime as %m-%d %H:%M:%S, in terminal colours (termcolor) that a redirected log keeps.
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
EVAL_LINE = re.compile(r"Steps (\d+), Evaluate reward: (\S*)")
TRAIN_LINE = re.compile(r"Steps (\d+), Train reward: ([^,\s]+),")

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


def check_parl_env(name):
    """UserError, with the closest known ids, unless ``name`` is a task Gymnasium knows in some
    version (PARL ran Gym's -v2 MuJoCo tasks; Gymnasium registers their -v4 and -v5)."""
    import difflib

    import gymnasium as gym

    known = set(gym.registry)
    if name in known or env_family(name) in {env_family(i) for i in known}:
        return
    # a -v2 id beside each -v4 one: the ids PARL's logs name
    candidates = known | {re.sub(r"-v4$", "-v2", i) for i in known if i.endswith("-v4")}
    close = difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6)
    hint = f"; closest known ids: {', '.join(close)}" if close else ""
    raise UserError(f"--parl_env: unknown environment id {name!r}{hint}.")


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
                reward = finite_number(match[2].rstrip(","))
            except ValueError:
                raise UserError(f"{path} line {number}: the evaluate reward {match[2]!r} is not a "
                                f"finite number.") from None
            evals.append((_step_count(path, number, match[1]), reward))
        match = TRAIN_LINE.search(line)
        if match:
            try:
                trains.append((_step_count(path, number, match[1]), finite_number(match[2])))
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
