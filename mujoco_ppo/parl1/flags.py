"""The flags of `train.py` for PARL 1.x's PPO: PARL's eight, with PARL's defaults, then this
package's; their checks, config.json's schema, and --resume."""
import argparse
import math
import os

from ..cli import (
    MAX_BATCH_EPISODES,
    MAX_STEPS,
    MAX_UPDATE_LOOPS,
    OneLineErrorParser,
    at_most,
    shown,
    whole_number,
)
from ..errors import UserError
from ..run.machine import available_memory
from ..run.schema import NUMBER, check
from ..run.settings import (
    MAX_TIMEOUT_S,
    PHYSICS_SCHEMA,
    flags_schema,
    raise_first_failed,
    read_run_config,
    resumed_args,
    resuming,
    run_flag_checks,
    values_of,
)
from .objectives import LOSS_TYPES
from .workers import check_workers_fit, default_num_workers


def _loss_type(text):
    if text.upper() not in LOSS_TYPES:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(LOSS_TYPES)}")
    return text.upper()


# A declarative list of flags: one function, however long, reads as the --help it makes.
def build_parser():
    p = OneLineErrorParser(prog="train.py", description="PARL 1.x MuJoCo PPO on Paddle 3 and Gymnasium.")
    parl = p.add_argument_group("PARL's flags (same names and defaults as examples/PPO/train.py)")
    parl.add_argument("--env", default="HalfCheetah-v2",
                      help="Gymnasium id; -v2/-v3 MuJoCo ids are Gym's own tasks on mujoco-py in "
                           ".venv-v2 (make install-v2), and run as -v4 elsewhere "
                           "(default: %(default)s)")
    parl.add_argument("--gamma", type=float, default=0.995,
                      help="discount factor, in (0, 1] (default: %(default)s)")
    parl.add_argument("--lam", type=float, default=0.98,
                      help="GAE lambda, in [0, 1] (default: %(default)s)")
    parl.add_argument("--kl_targ", type=float, default=0.003,
                      help="KL target of the adaptive penalty, KLPEN only (default: %(default)s)")
    parl.add_argument("--episodes_per_batch", type=whole_number, default=5,
                      help="whole episodes per training batch, at most 1,000 (default: "
                           "%(default)s)")
    parl.add_argument("--loss_type", type=_loss_type, default="CLIP",
                      help="surrogate objective: CLIP or KLPEN (PARL's), or KLFIXED (KL penalty "
                           "with beta fixed at --beta) or NONE (the plain ratio objective, no "
                           "clip and no penalty), or TRPO (one natural-gradient step within "
                           "--max_kl) (default: %(default)s)")
    parl.add_argument("--train_total_steps", type=whole_number, default=int(1e7),
                      help="stop once this many env steps are trained on, at most 1e12 "
                           "(default: 1e7)")
    parl.add_argument("--test_every_steps", type=whole_number, default=int(1e4),
                      help="evaluate one deterministic episode each time the step count "
                           "crosses a multiple of this, at most 1e12 (default: 1e4)")
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
                      help="conjugate-gradient iterations solving F x = g, at most 1,000 "
                           "(default: %(default)s)")
    trpo.add_argument("--cg_damping", type=float, default=0.1,
                      help="damping added to the Fisher matrix, F + damping * I "
                           "(default: %(default)s)")
    trpo.add_argument("--ls_backtrack_ratio", type=float, default=0.5,
                      help="line search: each try scales the step by this factor "
                           "(default: %(default)s)")
    trpo.add_argument("--ls_max_tries", type=whole_number, default=10,
                      help="line search: step sizes tried before the update is skipped, at "
                           "most 1,000 (default: %(default)s)")
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
                      help="threads of Paddle's CPU kernels in policy_learn and value_learn, "
                           "at most 256 (default: the number of CPU cores)")
    ours.add_argument("--overlap_value", action="store_true",
                      help="sample the next batch while the value net learns this one (same "
                           "results; pays only with a core to spare, see docs/performance.md)")
    ours.add_argument("--output_dir", default=None,
                      help="where the log, config.json and progress.csv go "
                           "(default: runs/<env>_<loss_type>_seed<seed>_<time>)")
    ours.add_argument("--overwrite", action="store_true",
                      help="allow --output_dir to hold an earlier run, whose files are replaced")
    ours.add_argument("--checkpoint_every", type=whole_number, default=20,
                      help="iterations between checkpoints, at most 1e12; one is also saved "
                           "at the end and on SIGINT/SIGTERM (default: %(default)s)")
    ours.add_argument("--xparl_addr", metavar="HOST:PORT", default=None,
                      help="sample on the xparl cluster whose master is at HOST:PORT instead of "
                           "local workers (see docs/xparl.md)")
    ours.add_argument("--actor_num", type=whole_number, default=None,
                      help="xparl actors, one CPU of the cluster each, sharing a batch's "
                           "episodes, at most --episodes_per_batch (default: "
                           "--episodes_per_batch)")
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
        at_most("--cg_iters", args.cg_iters, MAX_UPDATE_LOOPS),
        (args.cg_damping >= 0.0 and math.isfinite(args.cg_damping),
         f"--cg_damping must be a non-negative number, got {args.cg_damping}"),
        (0.0 < args.ls_backtrack_ratio < 1.0,
         f"--ls_backtrack_ratio must be in (0, 1), got {args.ls_backtrack_ratio}"),
        (args.ls_max_tries >= 1, f"--ls_max_tries must be at least 1, got {args.ls_max_tries}"),
        at_most("--ls_max_tries", args.ls_max_tries, MAX_UPDATE_LOOPS),
        (args.episodes_per_batch >= 1,
         f"--episodes_per_batch must be at least 1, got {args.episodes_per_batch}"),
        at_most("--episodes_per_batch", args.episodes_per_batch, MAX_BATCH_EPISODES),
        (args.train_total_steps >= 1,
         f"--train_total_steps must be positive, got {args.train_total_steps}"),
        at_most("--train_total_steps", args.train_total_steps, MAX_STEPS),
        (args.test_every_steps >= 1,
         f"--test_every_steps must be positive, got {args.test_every_steps}"),
        at_most("--test_every_steps", args.test_every_steps, MAX_STEPS),
        (args.num_workers is None or args.num_workers >= 1,
         f"--num_workers must be at least 1, got {args.num_workers}"),
        (args.actor_num is None or args.xparl_addr is not None,
         "--actor_num needs --xparl_addr (local sampling is set with --num_workers)"),
        (args.actor_num is None or args.actor_num >= 1,
         f"--actor_num must be at least 1, got {args.actor_num}"),
        (args.actor_num is None or args.actor_num <= args.episodes_per_batch,
         f"--actor_num must be at most --episodes_per_batch {args.episodes_per_batch} (an actor "
         f"runs whole episodes), got {shown(args.actor_num or 0)}"),
        (0.0 < args.worker_timeout <= MAX_TIMEOUT_S,
         f"--worker_timeout must be a positive number of seconds, at most "
         f"{MAX_TIMEOUT_S:.0f}, got {args.worker_timeout}"),
        *run_flag_checks(args),
    ])


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


RESUMABLE_CHANGES = ("train_total_steps", "checkpoint_every", "learner_threads", "overlap_value",
                     "worker_timeout", "resume", "xparl_addr", "xparl_timeout")


def config_schema(parser):
    """config.json as train.py writes it for PARL 1.x's PPO."""
    return {"args": flags_schema(parser), "seed": int, "env_id": str, "obs_dim": int,
            "act_dim": int, "discrete?": bool, "policy_lr": NUMBER, "value_lr": NUMBER,
            "versions": dict, "command": [str], "physics?": PHYSICS_SCHEMA}


def check_run_config(saved, path, parser=None):
    """UserError naming the field of a PARL 1.x config.json (``saved``, read from ``path``)
    whose type differs from what train.py writes, or whose value its flags' checks refuse."""
    parser = parser or build_parser()
    check(saved, config_schema(parser), path)
    with values_of(path):
        validate(argparse.Namespace(**{**vars(parser.parse_args([])), **saved["args"]}))


def _resumed_args(parser, args, argv):
    """The settings of the run in args.resume, with the flags a resume may change; UserError
    naming every other flag given with a value that differs from the run's."""
    with resuming():
        # its runs' config.json has no "algo" field; train.py refused one naming no PPO
        saved, path, algo = read_run_config(args.resume)
        if algo is None:
            check_run_config(saved, path, parser)
    if algo is not None:
        raise UserError(f"{args.resume} holds a run of PARL 2.x's PPO; resume it with --algo "
                        f"parl2, or without --algo.")
    ran_with = {**vars(parser.parse_args([])), **saved["args"], "seed": saved["seed"]}
    resumed, given = resumed_args(parser, argv, args.resume, saved, RESUMABLE_CHANGES, ran_with)
    if given.get("xparl_addr") is not None and saved["args"].get("xparl_addr") is None:
        raise UserError(f"--resume keeps where the run samples, and {args.resume} sampled with "
                        f"local workers: drop --xparl_addr.")
    resumed.seed = saved["seed"]
    return resumed
