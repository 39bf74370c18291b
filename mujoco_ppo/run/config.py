"""Every flag of train.py in one place: PARL's eight, with PARL's defaults, then this package's."""
import argparse
import json
import math
import os
from contextlib import contextmanager

from ..core.objectives import LOSS_TYPES
from ..errors import UserError
from .run_log import open_regular, refuse_irregular
from .schema import NUMBER, check


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse that reports bad input as one sentence (no usage dump) and exits with status 2."""

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


def on_off(text):
    """true/false, also written as 1/0, yes/no or on/off."""
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def _loss_type(text):
    if text.upper() not in LOSS_TYPES:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(LOSS_TYPES)}")
    return text.upper()


def split_algo(argv):
    """(``--algo`` value, the other arguments): parl1 (PARL 1.x's PPO, these flags; the
    default) or parl2 (PARL 2.x's PPO, mujoco_ppo/parl2/config.py's flags). Without --algo,
    ``--resume DIR`` continues the algorithm that DIR's config.json names."""
    pre = OneLineErrorParser(prog="train.py", add_help=False, allow_abbrev=False)
    pre.add_argument("--algo", choices=("parl1", "parl2"), default=None)
    known, rest = pre.parse_known_args(argv)
    if known.algo is None:
        probe = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
        probe.add_argument("--resume")
        run_dir = probe.parse_known_args(rest)[0].resume
        if run_dir:
            refuse_irregular(os.path.join(run_dir, "config.json"))  # a FIFO would block here
        try:
            saved = read_json(os.path.join(run_dir, "config.json")) if run_dir else None
        except (OSError, UserError):
            saved = None  # no run to resume, or not readable: PARL 1.x's checks report it
        if isinstance(saved, dict) and saved.get("algo") == "parl2":
            known.algo = "parl2"  # whose own resume checks the rest of the file
    return known.algo or "parl1", rest


def build_parser():
    p = OneLineErrorParser(prog="train.py", description="PARL 1.x MuJoCo PPO on Paddle 3 and Gymnasium.")
    parl = p.add_argument_group("PARL's flags (same names and defaults as examples/PPO/train.py)")
    parl.add_argument("--env", default="HalfCheetah-v2",
                      help="Gymnasium id; -v2/-v3 MuJoCo ids run as -v4 (default: %(default)s)")
    parl.add_argument("--gamma", type=float, default=0.995,
                      help="discount factor, in (0, 1] (default: %(default)s)")
    parl.add_argument("--lam", type=float, default=0.98,
                      help="GAE lambda, in [0, 1] (default: %(default)s)")
    parl.add_argument("--kl_targ", type=float, default=0.003,
                      help="KL target of the adaptive penalty, KLPEN only (default: %(default)s)")
    parl.add_argument("--episodes_per_batch", type=whole_number, default=5,
                      help="whole episodes per training batch (default: %(default)s)")
    parl.add_argument("--loss_type", type=_loss_type, default="CLIP",
                      help="surrogate objective: CLIP or KLPEN (PARL's), or KLFIXED (KL penalty "
                           "with beta fixed at --beta) or NONE (the plain ratio objective, no "
                           "clip and no penalty), or TRPO (one natural-gradient step within "
                           "--max_kl) (default: %(default)s)")
    parl.add_argument("--train_total_steps", type=whole_number, default=int(1e7),
                      help="stop once this many env steps are trained on (default: 1e7)")
    parl.add_argument("--test_every_steps", type=whole_number, default=int(1e4),
                      help="evaluate one deterministic episode each time the step count "
                           "crosses a multiple of this (default: 1e4)")
    ours = p.add_argument_group("this package's flags")
    ours.add_argument("--algo", choices=("parl1", "parl2"), default="parl1",
                      help="parl1: this PPO (PARL 1.x's); parl2: PARL 2.x's PPO, with its own "
                           "flags (train.py --algo parl2 --help) (default: %(default)s)")
    ours.add_argument("--clip_epsilon", type=float, default=0.2,
                      help="clip range of the CLIP objective, PARL's 0.2 (default: %(default)s)")
    ours.add_argument("--beta", type=float, default=1.0,
                      help="initial KL coefficient of KLPEN (PARL's 1.0), or the fixed one of "
                           "KLFIXED (default: %(default)s)")
    trpo = p.add_argument_group("TRPO's flags (--loss_type TRPO only)")
    trpo.add_argument("--max_kl", type=float, default=0.01,
                      help="KL radius delta: the step's mean KL(old || new) is at most this "
                           "(default: %(default)s)")
    trpo.add_argument("--cg_iters", type=whole_number, default=10,
                      help="conjugate-gradient iterations solving F x = g (default: %(default)s)")
    trpo.add_argument("--cg_damping", type=float, default=0.1,
                      help="damping added to the Fisher matrix, F + damping * I "
                           "(default: %(default)s)")
    trpo.add_argument("--ls_backtrack_ratio", type=float, default=0.5,
                      help="line search: each try scales the step by this factor "
                           "(default: %(default)s)")
    trpo.add_argument("--ls_max_tries", type=whole_number, default=10,
                      help="line search: step sizes tried before the update is skipped "
                           "(default: %(default)s)")
    ours.add_argument("--seed", type=whole_number, default=None,
                      help="seed of Paddle, NumPy and the environments; the same seed on the "
                           "same machine gives the same run (default: drawn at random, recorded "
                           "in config.json)")
    ours.add_argument("--num_workers", type=whole_number, default=None,
                      help="environments sampling a batch's episodes in parallel, one per "
                           "process, at most --episodes_per_batch; 1 is PARL's serial loop "
                           "(default: the fewest workers, one to four per CPU core, that share "
                           "--episodes_per_batch evenly, else one per core)")
    ours.add_argument("--learner_threads", type=whole_number, default=None,
                      help="threads of Paddle's CPU kernels in policy_learn and value_learn "
                           "(default: the number of CPU cores)")
    ours.add_argument("--overlap_value", action="store_true",
                      help="sample the next batch while the value net learns this one (same "
                           "results; pays only with a core to spare, see the README's speed section)")
    ours.add_argument("--output_dir", default=None,
                      help="where the log, config.json and progress.csv go "
                           "(default: runs/<env>_<loss_type>_seed<seed>_<time>)")
    ours.add_argument("--overwrite", action="store_true",
                      help="allow --output_dir to hold an earlier run, whose files are replaced")
    ours.add_argument("--checkpoint_every", type=whole_number, default=20,
                      help="iterations between checkpoints; one is also saved at the end and "
                           "on SIGINT/SIGTERM (default: %(default)s)")
    ours.add_argument("--xparl_addr", metavar="HOST:PORT", default=None,
                      help="sample on the xparl cluster whose master is at HOST:PORT instead of "
                           "local workers (see the README's 'Sampling on an xparl cluster')")
    ours.add_argument("--actor_num", type=whole_number, default=None,
                      help="xparl actors, one CPU of the cluster each, sharing a batch's episodes "
                           "(default: --episodes_per_batch)")
    ours.add_argument("--xparl_timeout", type=float, default=300.0,
                      help="seconds the xparl actors have for one batch before the run stops "
                           "with an error, at most 1e6 (default: %(default)s)")
    ours.add_argument("--worker_timeout", type=float, default=300.0,
                      help="seconds a local sampling worker has for its share of a batch before "
                           "the run stops with an error, at most 1e6 (default: %(default)s)")
    ours.add_argument("--resume", metavar="DIR", default=None,
                      help="continue the run in DIR from its newest intact checkpoint, with its "
                           "settings; only --train_total_steps, --checkpoint_every, "
                           "--learner_threads, --overlap_value, --worker_timeout and, for a run "
                           "on xparl, --xparl_addr and --xparl_timeout may change")
    return p


def validate(args):
    """Raise UserError naming the first flag whose value cannot work."""
    raise_first_failed([
        (0.0 < args.gamma <= 1.0, f"--gamma must be in (0, 1], got {args.gamma}"),
        (0.0 <= args.lam <= 1.0, f"--lam must be in [0, 1], got {args.lam}"),
        (args.kl_targ > 0.0 and math.isfinite(args.kl_targ),
         f"--kl_targ must be a positive number, got {args.kl_targ}"),
        (0.0 < args.clip_epsilon < 1.0 and math.isfinite(args.clip_epsilon),
         f"--clip_epsilon must be in (0, 1), got {args.clip_epsilon}"),
        (args.beta >= 0.0 and math.isfinite(args.beta),
         f"--beta must be a non-negative number, got {args.beta}"),
        (args.max_kl > 0.0 and math.isfinite(args.max_kl),
         f"--max_kl must be a positive number, got {args.max_kl}"),
        (args.cg_iters >= 1, f"--cg_iters must be at least 1, got {args.cg_iters}"),
        (args.cg_damping >= 0.0 and math.isfinite(args.cg_damping),
         f"--cg_damping must be a non-negative number, got {args.cg_damping}"),
        (0.0 < args.ls_backtrack_ratio < 1.0,
         f"--ls_backtrack_ratio must be in (0, 1), got {args.ls_backtrack_ratio}"),
        (args.ls_max_tries >= 1, f"--ls_max_tries must be at least 1, got {args.ls_max_tries}"),
        (args.episodes_per_batch >= 1,
         f"--episodes_per_batch must be at least 1, got {args.episodes_per_batch}"),
        (args.train_total_steps >= 1,
         f"--train_total_steps must be positive, got {args.train_total_steps}"),
        (args.test_every_steps >= 1,
         f"--test_every_steps must be positive, got {args.test_every_steps}"),
        (args.num_workers is None or args.num_workers >= 1,
         f"--num_workers must be at least 1, got {args.num_workers}"),
        (args.actor_num is None or args.xparl_addr is not None,
         "--actor_num needs --xparl_addr (local sampling is set with --num_workers)"),
        (args.actor_num is None or args.actor_num >= 1,
         f"--actor_num must be at least 1, got {args.actor_num}"),
        (0.0 < args.worker_timeout <= MAX_TIMEOUT_S,
         f"--worker_timeout must be a positive number of seconds, at most "
         f"{MAX_TIMEOUT_S:.0f}, got {args.worker_timeout}"),
        *run_flag_checks(args),
    ])


# Python's waits (a lock's, a queue's) refuse a timeout above threading.TIMEOUT_MAX (292 years);
# a round bound far below it, and far above any batch's time
MAX_TIMEOUT_S = 1e6  # --xparl_timeout and --worker_timeout


def run_flag_checks(args):
    """(ok, message) of the flags that both PPOs (this one and mujoco_ppo/parl2) have: the
    seed, the learner's threads, checkpoints, --resume and the xparl cluster."""
    return [
        (args.seed is None or 0 <= args.seed < 2**32,
         f"--seed must be in [0, 2**32), got {args.seed}"),
        (args.learner_threads is None or args.learner_threads >= 1,
         f"--learner_threads must be at least 1, got {args.learner_threads}"),
        (args.checkpoint_every >= 1,
         f"--checkpoint_every must be at least 1, got {args.checkpoint_every}"),
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


def parse_args(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    validate(args)
    if args.resume is not None:
        args = _resumed_args(parser, args, argv)
        validate(args)  # a config.json edited by hand
    if args.num_workers is None:
        args.num_workers = default_num_workers(os.cpu_count() or 1, args.episodes_per_batch)
    if args.xparl_addr is not None and args.actor_num is None:
        args.actor_num = args.episodes_per_batch
    if args.xparl_addr is None:
        check_workers_fit(args.num_workers, args.episodes_per_batch, available_memory())
    return args


# Resident size of one sampling worker process: VmRSS of a spawned EpisodeSampler child holding
# HalfCheetah-v4, read from /proc/PID/status right after it started (69.5 MB: 32.6 MB private,
# 36.9 MB of shared libraries counted in full), Python 3.11, mujoco 4.0, Gymnasium 1.4.
WORKER_RESIDENT_BYTES = 70 * 2**20


def available_memory():
    """MemAvailable of /proc/meminfo in bytes, or None where there is no such file."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_workers_fit(workers, episodes, memory):
    """UserError, before any worker is spawned, for more workers than a batch has episodes (the
    extra ones would never run one) or more than ``memory`` bytes can hold."""
    if workers > episodes:
        raise UserError(f"--num_workers {workers} is more than --episodes_per_batch {episodes}; "
                        f"a worker runs whole episodes, so at most {episodes} can work.")
    # worker 0 is this process: the others are new processes
    if memory is not None and (workers - 1) * WORKER_RESIDENT_BYTES > memory:
        raise UserError(f"--num_workers {workers} needs about "
                        f"{(workers - 1) * WORKER_RESIDENT_BYTES / 2**30:.1f} GB "
                        f"({WORKER_RESIDENT_BYTES // 2**20} MB per worker) and this machine has "
                        f"{memory / 2**30:.1f} GB available; at most "
                        f"{1 + memory // WORKER_RESIDENT_BYTES} workers fit.")


RESUMABLE_CHANGES = ("train_total_steps", "checkpoint_every", "learner_threads", "overlap_value",
                     "worker_timeout", "resume",
                     "xparl_addr", "xparl_timeout")


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


def config_schema(parser):
    """config.json as train.py writes it for PARL 1.x's PPO."""
    return {"args": flags_schema(parser), "seed": int, "env_id": str, "obs_dim": int,
            "act_dim": int, "discrete?": bool, "policy_lr": NUMBER, "value_lr": NUMBER,
            "versions": dict, "command": [str]}


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


def load_run_config(run_dir, parser=None):
    """config.json of the run in ``run_dir``, of either PPO (parl2's says "algo": "parl2"),
    checked against what this version writes: every field's type, and the settings' values as
    train.py checks its flags. UserError naming the file and the field otherwise. Every reader
    of a run's config.json (resume, evaluate.py, the analysis tools) goes through here."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.isdir(run_dir):
        what = "is a file, not a run directory" if os.path.exists(run_dir) else "does not exist"
        raise UserError(f"{run_dir} {what}.")
    try:
        saved = read_json(path)
    except FileNotFoundError:
        raise UserError(f"{run_dir} has no config.json: it is not a run directory.") from None
    algo = saved.get("algo") if isinstance(saved, dict) else None
    if algo not in (None, "parl2"):
        raise UserError(f"{path}: field 'algo' should be \"parl2\" or absent (PARL 1.x's PPO), "
                        f"not {algo!r:.40}.")
    if algo == "parl2":
        from ..parl2.config import check_run_config  # parl2's flags: its config imports these
        check_run_config(saved, path)
        return saved
    parser = parser or build_parser()
    check(saved, config_schema(parser), path)
    with values_of(path):
        validate(argparse.Namespace(**{**vars(parser.parse_args([])), **saved["args"]}))
    return saved


@contextmanager
def values_of(path):
    """A flag check's UserError, said of the file ``path`` whose settings failed it."""
    try:
        yield
    except UserError as exc:
        raise UserError(f"{path}: {str(exc).rstrip('.')}.") from None


def _resumed_args(parser, args, argv):
    """The settings of the run in args.resume, with the flags a resume may change; UserError
    naming every other flag given with a value that differs from the run's."""
    try:
        saved = load_run_config(args.resume, parser)
    except UserError as exc:
        raise UserError(f"cannot resume: {exc}") from None
    if saved.get("algo") == "parl2":
        raise UserError(f"{args.resume} holds a run of PARL 2.x's PPO; resume it with --algo "
                        f"parl2, or without --algo.")
    run_args = saved["args"]
    explicit = vars(_explicit_parser(parser).parse_args(argv))
    differ = [f"--{name} {value} (the run has {run_args.get(name)})"
              for name, value in sorted(explicit.items())
              if name not in RESUMABLE_CHANGES and value != run_args.get(name)
              and not (name == "seed" and value == saved.get("seed"))]
    if differ:
        raise UserError(f"--resume keeps the run's settings, but these differ: {'; '.join(differ)}.")
    if explicit.get("xparl_addr") is not None and run_args.get("xparl_addr") is None:
        raise UserError(f"--resume keeps where the run samples, and {args.resume} sampled with "
                        f"local workers: drop --xparl_addr.")
    # flags newer than the run's config.json take their defaults
    resumed = argparse.Namespace(**{**vars(parser.parse_args([])), **run_args,
                                    **{k: explicit[k] for k in explicit if k in RESUMABLE_CHANGES}})
    resumed.seed, resumed.output_dir, resumed.resume = saved["seed"], args.resume, args.resume
    return resumed


def _explicit_parser(parser):
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


WORKERS_PER_CORE = 4  # the default's bound: a few processes per core share it well


def default_num_workers(cores, episodes):
    """The fewest workers, at least one per core and at most four per core (and one per
    episode), that share the episodes evenly: 5 episodes on 2 cores take 5 workers (3 + 2
    would leave a core idle for a whole episode), 10 episodes on 2 cores take 2. Where no
    count in that range divides the episodes (a prime 1009 on 2 cores), one per core."""
    fewest = min(cores, episodes)
    even = [w for w in range(fewest, min(episodes, WORKERS_PER_CORE * cores) + 1)
            if episodes % w == 0]
    return even[0] if even else fewest
