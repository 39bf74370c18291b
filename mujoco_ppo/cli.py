"""What every command line of the package shares: the name the user typed for it, a parser whose
errors are one sentence, the value types of its flags, and the one way its main ends."""
import argparse
import math
import os
import shlex
import sys

from .errors import UserError

# How the user started this process's command. A command has its own name (train.py,
# ablate.py), and is also started as `mujoco-ppo train` or `python -m mujoco_ppo train`: its
# messages name what the user typed ("mujoco-ppo train: error: ..."), and the command lines it
# suggests ("continue with: mujoco-ppo train --resume DIR") are ones that run here, also where
# no checkout holds a train.py. A process runs one command; the entry that starts it says how
# (invoked_as), before the command runs.
_invocation = {}


def invoked_as(own_name, name, words):
    """The command ``own_name`` (train.py) runs in this process, typed as ``name`` (what its
    messages call it) and run again by ``words`` (absolute paths among them are shown relative
    to the working directory where that is shorter)."""
    _invocation.clear()
    _invocation.update(own_name=own_name, name=name, words=list(words))


def program(prog):
    """``prog``, a command's own name maybe followed by more words ("train.py --algo parl2"),
    with the name replaced by the one the user typed where that command is the one running."""
    own_name = _invocation.get("own_name")
    if own_name is None or not (prog == own_name or prog.startswith(own_name + " ")):
        return prog
    return _invocation["name"] + prog[len(own_name):]


def command_line(own_name):
    """The start of a shell command line that runs the command ``own_name`` again as the user
    started it; unsaid, ``PYTHON OWN_NAME``, with the interpreter running this one (a bare
    ``python`` may be another, without this package)."""
    words = (_invocation["words"] if _invocation.get("own_name") == own_name
             else [sys.executable, own_name])
    return " ".join(shlex.quote(shortest_path(word) if os.path.isabs(word) else word)
                    for word in words)


def shortest_path(path, start=None):
    """``path`` relative to ``start`` (the working directory) where that is shorter."""
    relative = os.path.relpath(path, start)
    return relative if len(relative) < len(path) else path


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse that reports bad input as one sentence (no usage dump) and exits with status 2;
    its ``prog`` is the name the user typed for the command (``program``)."""

    def __init__(self, *args, prog=None, **kwargs):
        super().__init__(*args, prog=None if prog is None else program(prog), **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}.\n")


def whole_number(text):
    """A whole number, also written as 1e6 or 1_000_000."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(value)


# The bounds of the counts a user can type, each one a machine can honour. Each is checked with
# the other flag checks, before anything is written (config.json's values too, on --resume and
# in evaluate.py), and stated in its flag's help as "at most N".
#
# Steps (--train_total_steps, --test_every_steps, ablate.py --steps) and iterations
# (--checkpoint_every, which a run has no more of than steps): 1e12 steps are 3 years of a run at
# 10,000 steps/s, and far below 2**53 (9e15), past which a step count as a float64 (NumPy,
# TensorBoard's events) is no longer exact.
MAX_STEPS = 10**12
# Episodes sampled in one training iteration (--episodes_per_batch, --actor_num): a batch is
# sampled whole before a stop signal is honoured (the first one lets the iteration finish and
# saves a checkpoint), and its episodes are held in memory; 1,000 episodes of a 1,000-step task
# are 1M steps, minutes of sampling (about 5,000 steps/s, docs/performance.md) and, with
# Humanoid's 377 features, 3 GB of observations. 1e12 episodes made a batch that never ended,
# 1e300 overflowed Python's range().
MAX_BATCH_EPISODES = 1000
# Episodes of one evaluation inside a training run (--eval_episode of PARL 2.x's PPO), also
# played whole before a stop is honoured: 100 whole Atari games can take an hour.
MAX_EVAL_EPISODES = 100
# Episodes that evaluate.py plays (it stops at once on a signal): 10,000 episodes of a
# 1,000-step task are 10M steps, hours of play.
MAX_EVALUATE_EPISODES = 10_000
# Paddle's CPU kernel threads (--learner_threads): threads beyond the cores gain nothing; 256
# start on any machine (4,096 ran here), while OpenMP aborts the process (exit 134, without a
# word) when it cannot create them (100,000 here). A fixed bound rather than the cores: a run's
# config.json, checked again on --resume and by evaluate.py, may come from a larger machine.
MAX_THREADS = 256
# The loops one update runs whole before a stop is honoured: TRPO's conjugate-gradient
# iterations and line-search tries (--cg_iters, --ls_max_tries; defaults 10 and 10, and with
# --ls_backtrack_ratio 0.5 the 1,000th try's step is 2**-1000 of the first, nothing a float32
# weight notices), PARL 2.x's epochs over a rollout (--update_epochs; PARL's 4 and 10).
MAX_UPDATE_LOOPS = 1000
# PARL 2.x's environments (--env_num), stepped in turn in one process or one xparl actor (a
# cluster CPU) each; PARL's configs run 8 (Atari) and 1 (MuJoCo).
MAX_ENVS = 256
# PARL 2.x's rollout, --env_num x --step_nums steps, sampled and learnt from whole before a stop
# is honoured: 2**20 steps are 1,024 times PARL's Atari rollout and 512 times its MuJoCo one.
MAX_ROLLOUT = 2**20
# Runs of a grid at once (ablate.py --jobs), each a train.py process with Paddle loaded (741 and
# 903 MB at their peak, docs/performance.md): 256 of them need 200 GB.
MAX_JOBS = 256
# Bootstrap resamples of every interval (ablate.py --reps): each interval's resamples are held
# as an array, 100,000 x the runs; rliable's own intervals take 2,000 to 50,000.
MAX_RESAMPLES = 100_000


def shown(count):
    """A whole number as a message shows it: 1,000 or, where it is long, 1.00e+300."""
    digits = str(abs(count))
    if len(digits) <= 15:
        return f"{count:,}"
    return f"{'-' if count < 0 else ''}{digits[0]}.{digits[1:3]}e+{len(digits) - 1}"


def at_most(flag, value, most):
    """(ok, message) of a flag check: ``value`` (None: not given) is at most ``most``."""
    if value is None or value <= most:
        return True, ""
    return False, f"{flag} must be at most {shown(most)}, got {shown(value)}"


def add_flag(group, setting, **kwargs):
    """The flag ``--NAME`` of a config's field ``setting`` (a dataclasses.Field whose metadata
    holds its "help" and "shown"; parl1/config.py, parl2/config.py) added to ``group``: the field's
    default, and its help followed by that default, as "shown" words it or as its value (none
    for a switch or a flag unset by default). ``kwargs``: the rest of add_argument's."""
    shown = setting.metadata["shown"]
    if shown is None and setting.default is not None and not isinstance(setting.default, bool):
        shown = "%(default)s"
    help_text = setting.metadata["help"] + (f" (default: {shown})" if shown is not None else "")
    group.add_argument(f"--{setting.name}", default=setting.default, help=help_text, **kwargs)


def on_off(text):
    """true/false, also written as 1/0, yes/no or on/off."""
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def run_command(main, prog, failures=None, argv=None):
    """Exit with ``main(argv)``'s status; a UserError is one line, "PROG: error: SENTENCE", and
    exit status 2, never a traceback. ``failures`` maps further exception classes (tried in
    order) to ``exception -> (sentence, exit status)``, for the commands that end on them."""
    prog = program(prog)
    try:
        sys.exit(main(argv))
    except UserError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except BaseException as exc:
        for kind, describe in (failures or {}).items():
            if isinstance(exc, kind):
                sentence, status = describe(exc)
                print(f"{prog}: {sentence}", file=sys.stderr)
                sys.exit(status)
        raise
