"""A run's settings: the flags both PPOs have and their checks, config.json's one reader, and
how ``--resume`` merges the run's recorded flags with the ones it may change."""
import argparse
import json
import os
from contextlib import contextmanager

from ..cli import MAX_STEPS, MAX_THREADS, OneLineErrorParser, at_most, on_off, whole_number
from ..errors import UserError
from .run_log import open_regular
from .schema import NUMBER

# Python's waits (a lock's, a queue's) refuse a timeout above threading.TIMEOUT_MAX (292 years);
# a round bound far below it, and far above any batch's time
MAX_TIMEOUT_S = 1e6  # --xparl_timeout and --worker_timeout
# config.json's record of the environment's stack (envs/stack.py writes it); runs from before
# it was recorded lack it
OPTIONAL_TEXT = (str, type(None))
PHYSICS_SCHEMA = {"env_id": str, "environments": str, "environments_version": str,
                  "bindings": OPTIONAL_TEXT, "bindings_version": OPTIONAL_TEXT,
                  "mujoco_version": OPTIONAL_TEXT}


def run_flag_checks(args):
    """(ok, message) of the flags that both PPOs have: the seed, the learner's threads,
    checkpoints, --resume and the xparl cluster (their bounds: mujoco_ppo/cli.py)."""
    return [
        (args.seed is None or 0 <= args.seed < 2**32,
         f"--seed must be in [0, 2**32), got {args.seed}"),
        (args.learner_threads is None or args.learner_threads >= 1,
         f"--learner_threads must be at least 1, got {args.learner_threads}"),
        at_most("--learner_threads", args.learner_threads, MAX_THREADS),
        (args.checkpoint_every >= 1,
         f"--checkpoint_every must be at least 1, got {args.checkpoint_every}"),
        at_most("--checkpoint_every", args.checkpoint_every, MAX_STEPS),
        (args.resume != "", "--resume needs the directory of the run to continue, got ''"),
        (args.xparl_addr is None or _is_address(args.xparl_addr),
         f"--xparl_addr must be HOST:PORT (e.g. 127.0.0.1:8010), got {args.xparl_addr!r}"),
        (0.0 < args.xparl_timeout <= MAX_TIMEOUT_S,
         f"--xparl_timeout must be a positive number of seconds, at most {MAX_TIMEOUT_S:.0f} "
         f"({MAX_TIMEOUT_S / 86400:.1f} days), got {args.xparl_timeout}"),
    ]


def raise_first_failed(checks):
    """UserError with the message of the first (ok, message) that is not ok."""
    for ok, message in checks:
        if not ok:
            raise UserError(message)


def _is_address(text):
    host, _, port = text.rpartition(":")
    return bool(host) and ":" not in host and port.isdigit() and 0 < int(port) < 65536


def flags_schema(parser, required=()):
    """The flags of ``parser`` as config.json's "args" holds them: typed, and optional but for
    ``required`` (a run's config.json made before a flag existed lacks it, and the flag takes its
    default)."""
    flags = {}
    for action in parser._actions:
        if not action.option_strings or action.dest == "help":
            continue
        kind = (bool if action.nargs == 0 or action.type is on_off
                else int if action.type is whole_number
                else NUMBER if action.type is float else str)
        if action.dest in required:
            flags[action.dest] = kind
        else:
            flags[f"{action.dest}?"] = kind if action.default is not None else (kind, type(None))
    return flags


def read_json(path):
    """The JSON value in ``path``; UserError naming it if it cannot be read or decoded (a
    missing file raises FileNotFoundError, which callers word for themselves)."""
    try:
        with open_regular(path, "rb") as f:
            return json.loads(f.read().decode())
    except FileNotFoundError:
        raise
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is unreadable ({type(exc).__name__}: {exc}).") from None


def read_run_config(run_dir):
    """(config.json of the run in ``run_dir``, its path, its "algo" field or None), unchecked;
    UserError if ``run_dir`` is no run directory or the file cannot be read. Every reader of a
    run's config.json starts here; which PPO wrote it is mujoco_ppo/algorithms.py's to say
    from the "algo" field, and that PPO checks the rest against what it writes."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.isdir(run_dir):
        what = "is a file, not a run directory" if os.path.exists(run_dir) else "does not exist"
        raise UserError(f"{run_dir} {what}.")
    try:
        saved = read_json(path)
    except FileNotFoundError:
        raise UserError(f"{run_dir} has no config.json: it is not a run directory.") from None
    return saved, path, saved.get("algo") if isinstance(saved, dict) else None


@contextmanager
def values_of(path):
    """A flag check's UserError, said of the file ``path`` whose settings failed it."""
    try:
        yield
    except UserError as exc:
        raise UserError(f"{path}: {str(exc).rstrip('.')}.") from None


@contextmanager
def resuming():
    """A UserError of reading the run to resume, said as why it cannot be resumed."""
    try:
        yield
    except UserError as exc:
        raise UserError(f"cannot resume: {exc}") from None


def resumed_args(parser, argv, run_dir, saved, resumable, ran_with):
    """The flags of the run in ``run_dir`` (``saved``: its checked config.json), with those of
    ``argv`` that a resume may change (``resumable``); UserError naming every other flag given
    with a value that differs from the one the run ran with (``ran_with``: name -> value)."""
    # flags newer than the run's config.json take their defaults
    run_args = {**vars(parser.parse_args([])), **saved["args"]}
    given = vars(explicit_parser(parser).parse_args(argv))
    differ = [f"--{name} {value} (the run has {ran_with.get(name)})"
              for name, value in sorted(given.items())
              if name not in resumable and value != ran_with.get(name)]
    if differ:
        raise UserError(f"--resume keeps the run's settings, but these differ: {'; '.join(differ)}.")
    run_args.update({name: given[name] for name in resumable if name in given},
                    resume=run_dir, output_dir=run_dir)
    return argparse.Namespace(**run_args), given


def explicit_parser(parser):
    """A copy of the parser whose flags have no defaults: it returns only what was given."""
    explicit = OneLineErrorParser(prog=parser.prog, argument_default=argparse.SUPPRESS)
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            kwargs = {"dest": action.dest, "default": argparse.SUPPRESS}
            if action.nargs == 0:
                kwargs["action"] = "store_const"
                kwargs["const"] = action.const
            else:
                kwargs["type"] = action.type
            explicit.add_argument(*action.option_strings, **kwargs)
    return explicit
