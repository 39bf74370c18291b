"""PARL's logs, read as runs for a comparison. A log's content tells its shape, each read here:

- a text log of PARL 1.x's examples/PPO/train.py, or this package's train.log of PARL 1.x's PPO:
  "Steps N, Evaluate reward: R" lines, each with its step;
- a text log of PARL 2.x's examples/PPO/train.py, or this package's train.log of ``--algo parl2``:
  "Evaluation over: K episodes, Reward: R" lines, without a step, which PARL 2.x's schedule gives
  (parl2_evaluation_step) and the "Training: total steps: N" lines around them confirm;
- a TensorBoard event file of PARL 2.x's example (parl.utils.summary's "eval/episode_reward", at its
  exact step), read with TensorBoard's own reader.

Every reader refuses what it cannot read with one sentence; a torn last line or record (a run
writing it right now) is left out with a note."""
import argparse
import difflib
import re

import numpy as np

from ..analysis.results import env_family, note
from ..cli import whole_number
from ..errors import UserError
from ..parl1.objectives import LOSS_TYPES
from ..parl2.config import CONFIGS as PARL2_CONFIGS
from ..run.run_log import irregular_kind

# PARL's logger (parl/utils/logger.py): "[%(asctime)s %(threadName)s @%(filename)s:%(lineno)d] msg",
# asctime as %m-%d %H:%M:%S, in terminal colours (termcolor) that a redirected log keeps; this
# package's train.log: "[%m-%d %H:%M:%S] msg".
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
PARL_LOGGER = re.compile(r"^\[[^\]]* @[^\]]+:\d+\] ")
PARL1_EVAL = re.compile(r"Steps (\d+), Evaluate reward: (\S*)")
PARL1_TRAIN = re.compile(r"Steps (\d+), Train reward: ([^,\s]+),")
PARL2_EVAL = re.compile(r"Evaluation over: \d+ episodes, Reward: (\S*)")
PARL2_TRAIN = re.compile(r"Training: total steps: (\d+), episode rewards: (\S*)")
# PARL 2.x prints its task (to the terminal only: before its log file opens); this package's
# train.log of --algo parl2 has the line, with the config it took
TASK_LINE = re.compile(r"\] Env: (\S+), seed: [^,\s]*(?:, config: (\w+))?")
# this package's train.log on resuming: the lines after that step, written before a kill, come again
RESUMED = re.compile(r"\] Resumed .* from (?:iteration|update) \d+, step (\d+)")
EVENT_FILE_MARK = b"brain.Event:"  # the file_version of the first record of every event file
EVAL_TAG, TRAIN_TAG = "eval/episode_reward", "train/episode_reward"
# No task's return comes near it, and a mean of a billion such rewards is still a finite float.
REWARD_LIMIT = 1e15

# PARL 1.4 examples/PPO/train.py: its argparse defaults, which a log's "Argv:" line leaves in force.
PARL_DEFAULTS = {"env": "HalfCheetah-v2", "loss_type": "CLIP", "test_every_steps": 10000}
PARL_LOSS_TYPES = ("CLIP", "KLPEN")


def check_parl_env(name):
    """UserError, with the closest known ids, unless ``name`` is a task Gymnasium knows in some
    version (PARL ran Gym's -v2 MuJoCo tasks; Gymnasium registers their -v4 and -v5)."""
    import gymnasium as gym

    known = set(gym.registry)
    if name in known or env_family(name) in {env_family(i) for i in known}:
        return
    # a -v2 id beside each -v4 one: the ids PARL's logs name
    candidates = known | {re.sub(r"-v4$", "-v2", i) for i in known if i.endswith("-v4")}
    close = difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6)
    hint = f"; closest known ids: {', '.join(close)}" if close else ""
    raise UserError(f"--parl_env: unknown environment id {name!r}{hint}.")


def read_parl_log(path, env=None, loss_type=None):
    """One PARL log, of any shape above, as a run-like dict: 'env', 'family', 'loss_type'
    ("parl2" for PARL 2.x's PPO), 'eval_steps', 'eval_reward', 'train_steps', 'train_reward',
    'last_step', 'test_every_steps', 'update_steps' (PARL 2.x's steps of one update, which it
    evaluates only at the end of; 1 for PARL 1.x), and 'shape' and 'task_from', which say what
    was read. ``env`` and ``loss_type`` (--parl_env, --parl_loss_type) are taken only where the
    log does not name its own."""
    content = _contents(path)
    if EVENT_FILE_MARK in content[:64]:
        log = _event_file(path, len(content), env)
    else:
        lines = _complete_lines(path, ANSI_COLOUR.sub("", content.decode(errors="replace")))
        if any(PARL2_EVAL.search(line) for _, line in lines):
            log = _parl2_text_log(path, lines, env)
        elif any(PARL1_EVAL.search(line) for _, line in lines):
            log = _parl1_text_log(path, lines, env, loss_type)
        else:
            raise UserError(f"{path} has no evaluation lines: neither PARL 1.x's 'Steps N, "
                            f"Evaluate reward: R' nor PARL 2.x's 'Evaluation over: K episodes, "
                            f"Reward: R'.")
    return {"dir": path, "family": env_family(log["env"]), "seed": None, **log}


def _contents(path):
    """The bytes of ``path``, once it is known to be a regular file (a FIFO would block)."""
    kind = irregular_kind(path)
    if kind:
        raise UserError(f"the PARL log {path} is {kind}, not a regular file.")
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise UserError(f"cannot read the PARL log {path}: {exc.strerror}.") from None


def _complete_lines(path, text):
    """[(line number, line)]; a last line without its line end is one PARL was still writing
    (its number may be cut short), so it is left out with a note."""
    lines = text.split("\n")
    if lines[-1]:
        note(f"the last line of {path} has no line end (the run may be writing it); it is left "
             f"out.")
    return list(enumerate((line.rstrip("\r") for line in lines[:-1]), start=1))


def _written_by(lines, pattern):
    """Whose log this is, by the prefix of its first line that ``pattern`` finds."""
    first = next(line for _, line in lines if pattern.search(line))
    return "PARL's examples/PPO/train.py" if PARL_LOGGER.match(first) else "this package's train.py"


def _parl1_text_log(path, lines, env, loss_type):
    """A PARL 1.x log. Task and loss type come from its "Argv:" line (PARL's defaults for flags
    it does not give), else from ``env`` and ``loss_type``; PARL's loss types are CLIP and
    KLPEN, this package's train.log may hold its others."""
    writer = _written_by(lines, PARL1_EVAL)
    argv = _argv(lines)
    if argv:
        found = {flag: _argv_flag(argv, flag) or str(PARL_DEFAULTS[flag]) for flag in PARL_DEFAULTS}
        task_from = "its Argv: line"
    elif env and loss_type:
        found, task_from = {"env": env, "loss_type": loss_type}, "--parl_env, --parl_loss_type"
    else:
        raise UserError(f"{path} has no 'Argv:' line naming its task and loss type; give them "
                        f"with --parl_env and --parl_loss_type.")
    allowed = PARL_LOSS_TYPES if writer.startswith("PARL") else LOSS_TYPES
    if found["loss_type"].upper() not in allowed:
        raise UserError(f"{path} has loss type {found['loss_type']!r}; "
                        f"{'PARL' if allowed == PARL_LOSS_TYPES else 'train.py'}'s are "
                        f"{', '.join(allowed)}.")
    evals, trains = [], []
    for number, line in lines:
        resumed = RESUMED.search(line)
        if resumed:
            _forget_after(int(resumed[1]), evals, trains)
        match = PARL1_EVAL.search(line)
        if match:
            evals.append((_step_count(path, number, match[1]),
                          _reward(f"{path} line {number}", match[2].rstrip(","))))
        match = PARL1_TRAIN.search(line)
        if match and _number_or_none(match[2]) is not None:  # some versions printed an array
            trains.append((_step_count(path, number, match[1]), float(match[2])))
    steps, rewards = _evaluations(path, evals)
    every = "test_every_steps" in found and _argv_count(path, "test_every_steps",
                                                         found["test_every_steps"])
    return {
        "env": found["env"], "loss_type": found["loss_type"].upper(),
        "eval_steps": steps, "eval_reward": rewards, **_train_series(trains),
        "last_step": int(max(steps[-1], max((s for s, _ in trains), default=0))),
        "test_every_steps": every or _typical_spacing(steps), "update_steps": 1,
        "shape": f"PARL 1.x, text log of {writer}", "task_from": task_from,
    }


def _parl2_text_log(path, lines, env):
    """A PARL 2.x log. Its task comes from its "Env: …" line, else from ``env``; an evaluation's
    step is parl2_evaluation_step's, and a log whose "Training:" lines say otherwise (run with
    other sizes than the ones assumed) is refused."""
    writer = _written_by(lines, PARL2_EVAL)
    task, task_from, kind = _parl2_task(path, lines, env)
    update, every, sizes = _parl2_sizes(path, lines, task, kind)
    evals, trains, trained = [], [], 0
    for number, line in lines:
        resumed = RESUMED.search(line)
        if resumed:
            _forget_after(int(resumed[1]), evals, trains)
            trained = min(trained, int(resumed[1]))
        match = PARL2_TRAIN.search(line)
        if match:
            trained = _step_count(path, number, match[1])
            if evals and trained <= evals[-1][0]:
                raise _off_schedule(path, number, f"a training episode ends at step {trained:,}, "
                                    f"after the evaluation that falls at step {evals[-1][0]:,}",
                                    sizes)
            if _number_or_none(match[2]) is not None:
                trains.append((trained, float(match[2])))
        match = PARL2_EVAL.search(line)
        if match:
            step = parl2_evaluation_step(evals[-1][0] if evals else None, update, every)
            if trained > step:
                raise _off_schedule(path, number, f"the evaluation falls at step {step:,}, but "
                                    f"training reached step {trained:,} before it", sizes)
            evals.append((step, _reward(f"{path} line {number}", match[1])))
    steps, rewards = _evaluations(path, evals)
    return {
        "env": task, "loss_type": "parl2", "eval_steps": steps, "eval_reward": rewards,
        **_train_series(trains), "last_step": max(int(steps[-1]), -(-trained // update) * update),
        "test_every_steps": every, "update_steps": update,
        "shape": f"PARL 2.x, text log of {writer}", "task_from": task_from,
    }


def parl2_evaluation_step(previous, update, every):
    """The step of PARL 2.x's evaluation after the one at step ``previous`` (None: the first).
    PARL 2.x (examples/PPO/train.py, as this package's --algo parl2) evaluates at the end of an
    update of ``update`` steps once (steps + 1) // ``every`` reaches the multiple due: the first
    update, then the first update end U with (U + 1) // every above (previous + 1) // every."""
    if previous is None:
        return update
    due = (previous + 1) // every + 1
    return max(previous + update, -(-(due * every - 1) // update) * update)


def _parl2_task(path, lines, env):
    """(task, where it comes from, which PARL 2.x config it takes: "mujoco", "atari" or this
    package's "classic")."""
    found = next((TASK_LINE.search(line) for _, line in lines if TASK_LINE.search(line)), None)
    if found:
        task, task_from = found[1], "its Env: line"
    elif env:
        task, task_from = env, "--parl_env"
    else:
        raise UserError(f"{path} does not name its task (PARL 2.x prints 'Env: …' to the terminal "
                        f"only, before its log opens); give it with --parl_env.")
    if found and found[2] in PARL2_CONFIGS:
        return task, task_from, found[2]
    return task, task_from, _parl2_kind(task)


def _parl2_kind(task):
    """The config PARL 2.x's example takes for ``task``: its Atari one for an Atari game (run as
    …NoFrameskip-v4 or ALE/…), else its MuJoCo one."""
    return "atari" if "NoFrameskip" in task or task.startswith("ALE/") else "mujoco"


def _parl2_sizes(path, lines, task, kind):
    """(steps an update, steps between evaluations, where they come from): ``kind``'s config, and
    over it the log's Argv: line's --env_num, --step_nums and --test_every_steps."""
    config = dict(PARL2_CONFIGS[kind])
    argv = _argv(lines)
    given = [flag for flag in ("env_num", "step_nums", "test_every_steps")
             if argv and _argv_flag(argv, flag)]
    for flag in given:
        config[flag] = _argv_count(path, flag, _argv_flag(argv, flag))
    update, every = config["env_num"] * config["step_nums"], config["test_every_steps"]
    sizes = (f"updates of {update:,} steps and an evaluation every {every:,}, as {kind} tasks "
             f"run{' with its Argv: line' if given else ''}")
    return update, every, sizes


def _off_schedule(path, number, what, sizes):
    return UserError(f"{path} line {number}: {what} ({sizes}); the log was run with other "
                     f"sizes.")


def _event_file(path, size, env):
    """A TensorBoard event file of PARL 2.x's example, read with TensorBoard's reader (imported
    here: nothing else needs it). A last record cut short is left out with a note; a record that
    fails its checksum before the end refuses the file."""
    from google.protobuf.message import DecodeError
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.util.tensor_util import make_ndarray

    if not env:
        raise UserError(f"{path} is a TensorBoard event file, which does not name its task; give "
                        f"it with --parl_env.")
    series, tags, read = {EVAL_TAG: [], TRAIN_TAG: []}, set(), 0
    try:
        for record in RawEventFileLoader(str(path)).Load():
            read += len(record) + 16  # TFRecord framing: length, its CRC, the event, its CRC
            event = Event.FromString(record)
            for value in event.summary.value:
                tags.add(value.tag)
                if value.tag in series:
                    number = (value.simple_value if value.HasField("simple_value")
                              else make_ndarray(value.tensor).item())
                    series[value.tag].append((event.step, number))
    except (OSError, DecodeError, ValueError) as exc:  # ValueError: a tensor that is no scalar
        raise UserError(f"cannot read the event file {path} ({exc}).") from None
    if read < size:
        _event_file_tail(path, read, size)
    if not series[EVAL_TAG]:
        raise UserError(f"{path} has no '{EVAL_TAG}' scalars, PARL 2.x's evaluations (its tags: "
                        f"{', '.join(sorted(tags)) or 'none'}; this package's runs are read from "
                        f"their directory).")
    steps, rewards = _evaluations(path, [(step, _reward(f"{path} at step {step:,}", repr(value)))
                                         for step, value in series[EVAL_TAG]])
    update, every, _ = _parl2_sizes(path, [], env, _parl2_kind(env))
    trained = max((step for step, _ in series[TRAIN_TAG]), default=0)
    return {
        "env": env, "loss_type": "parl2", "eval_steps": steps, "eval_reward": rewards,
        **_train_series(sorted((s, r) for s, r in series[TRAIN_TAG] if abs(r) <= REWARD_LIMIT)),
        "last_step": max(int(steps[-1]), -(-trained // update) * update),
        "test_every_steps": every, "update_steps": update,
        "shape": "PARL 2.x, TensorBoard event file of PARL's examples/PPO/train.py",
        "task_from": "--parl_env",
    }


def _event_file_tail(path, read, size):
    """What follows the last record TensorBoard's reader took. A record is framed as its length
    (8 bytes), that length's checksum (4), the event and its checksum (4): one whose framing
    holds but runs past the end of the file was cut short, and is noted; anything else is
    damage."""
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    with open(path, "rb") as f:
        f.seek(read)
        header = f.read(12)
    length, checksum = int.from_bytes(header[:8], "little"), int.from_bytes(header[8:], "little")
    if len(header) < 12 or (masked_crc32c(header[:8]) == checksum
                            and read + 12 + length + 4 > size):
        note(f"the last record of {path} is cut short (the run may be writing it); it is left "
             f"out.")
        return
    raise UserError(f"{path} is damaged at byte {read:,}: the record there fails its checksum.")


def _forget_after(step, *series):
    """Each of ``series`` ([(step, value)]) without its points after ``step`` (a resumed run
    does them again)."""
    for points in series:
        points[:] = [point for point in points if point[0] <= step]


def _evaluations(path, evals):
    """(steps, rewards) of [(step, reward)], in step order; UserError if none is left (a
    resumed run's train.log whose every evaluation was of steps done again)."""
    if not evals:
        raise UserError(f"{path} has no evaluation left once the steps a resumed run did again "
                        f"are left out.")
    steps, rewards = zip(*sorted(evals))
    return np.array(steps, dtype=np.int64), np.array(rewards, dtype=float)


def _train_series(trains):
    return {"train_steps": np.array([s for s, _ in trains], dtype=np.int64),
            "train_reward": np.array([r for _, r in trains], dtype=float)}


def _reward(where, text):
    """An evaluation reward, a finite number within ±REWARD_LIMIT; UserError otherwise."""
    value = _number_or_none(text)
    if value is None:
        raise UserError(f"{where}: the evaluation reward {text!r:.40} is not a finite number "
                        f"within ±{REWARD_LIMIT:.0e}.")
    return value


def _number_or_none(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if abs(value) <= REWARD_LIMIT else None  # NaN fails the comparison too


def _argv(lines):
    """The command line of a log's first "Argv:" line (a resumed run logs one more), or None."""
    return next((found[1] for _, line in lines for found in [re.search(r"Argv: (.*)", line)]
                 if found), None)


def _argv_flag(argv, flag):
    """Value of --flag in a command line ('--flag v' or '--flag=v'), else None."""
    found = re.search(rf"--{flag}(?:=|\s+)(\S+)", argv)
    return found[1] if found else None


def _argv_count(path, flag, text):
    """--flag of a log's Argv: line, a positive whole number; UserError otherwise."""
    try:
        count = whole_number(text)
    except argparse.ArgumentTypeError:
        count = 0
    if count < 1:
        raise UserError(f"{path} was run with --{flag} {text!r:.40} (its Argv: line), which is "
                        f"not a positive whole number.")
    return count


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
