"""The flags of `train.py` for PARL 1.x's PPO: PARL's eight, with PARL's defaults, then this
package's (their defaults and help: config.py); their checks, config.json's schema, and
--resume."""
import argparse
import math
import os

from ..cli import (
    MAX_BATCH_EPISODES,
    MAX_STEPS,
    MAX_UPDATE_LOOPS,
    OneLineErrorParser,
    add_flag,
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
from .config import SETTINGS
from .objectives import LOSS_TYPES
from .workers import check_workers_fit, default_num_workers


def _loss_type(text):
    if text.upper() not in LOSS_TYPES:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(LOSS_TYPES)}")
    return text.upper()


# A declarative list of flags: one function, however long, reads as the --help it makes. Their
# defaults and help are config.py's; how each is parsed, and its group, are said here.
def build_parser():
    p = OneLineErrorParser(prog="train.py", description="PARL 1.x MuJoCo PPO on Paddle 3 and Gymnasium.")
    parl = p.add_argument_group("PARL's flags (same names and defaults as examples/PPO/train.py)")
    add_flag(parl, SETTINGS["env"])
    add_flag(parl, SETTINGS["gamma"], type=float)
    add_flag(parl, SETTINGS["lam"], type=float)
    add_flag(parl, SETTINGS["kl_targ"], type=float)
    add_flag(parl, SETTINGS["episodes_per_batch"], type=whole_number)
    add_flag(parl, SETTINGS["loss_type"], type=_loss_type)
    add_flag(parl, SETTINGS["train_total_steps"], type=whole_number)
    add_flag(parl, SETTINGS["test_every_steps"], type=whole_number)
    ours = p.add_argument_group("this package's flags")
    add_flag(ours, SETTINGS["algo"], choices=("parl1", "parl2"))
    add_flag(ours, SETTINGS["clip_epsilon"], type=float)
    add_flag(ours, SETTINGS["beta"], type=float)
    trpo = p.add_argument_group("TRPO's flags (--loss_type TRPO only)")
    add_flag(trpo, SETTINGS["max_kl"], type=float)
    add_flag(trpo, SETTINGS["cg_iters"], type=whole_number)
    add_flag(trpo, SETTINGS["cg_damping"], type=float)
    add_flag(trpo, SETTINGS["ls_backtrack_ratio"], type=float)
    add_flag(trpo, SETTINGS["ls_max_tries"], type=whole_number)
    add_flag(ours, SETTINGS["seed"], type=whole_number)
    add_flag(ours, SETTINGS["num_workers"], type=whole_number)
    add_flag(ours, SETTINGS["learner_threads"], type=whole_number)
    add_flag(ours, SETTINGS["overlap_value"], action="store_true")
    add_flag(ours, SETTINGS["output_dir"])
    add_flag(ours, SETTINGS["overwrite"], action="store_true")
    add_flag(ours, SETTINGS["checkpoint_every"], type=whole_number)
    add_flag(ours, SETTINGS["xparl_addr"], metavar="HOST:PORT")
    add_flag(ours, SETTINGS["actor_num"], type=whole_number)
    add_flag(ours, SETTINGS["xparl_timeout"], type=float)
    add_flag(ours, SETTINGS["worker_timeout"], type=float)
    add_flag(ours, SETTINGS["resume"], metavar="DIR")
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
