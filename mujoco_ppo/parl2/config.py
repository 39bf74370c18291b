"""Flags of `train.py --algo parl2`, named as in PARL 2.x's examples/PPO, and the three configs
whose values they default to: PARL's atari_config.py and mujoco_config.py, and a small config for
discrete classic-control tasks (CartPole-v1) that PARL's example does not have.

Which config applies is decided by the environment (see ``env_utils.env_kind``): image
observations with discrete actions -> Atari, continuous actions -> MuJoCo, flat observations with
discrete actions -> classic control. A flag given on the command line overrides the config.
"""
import argparse

from ..cli import (
    MAX_ENVS,
    MAX_EVAL_EPISODES,
    MAX_ROLLOUT,
    MAX_STEPS,
    MAX_UPDATE_LOOPS,
    OneLineErrorParser,
    on_off,
    shown,
    whole_number,
)
from ..errors import UserError
from ..run.schema import NUMBER, check
from ..run.settings import (
    PHYSICS_SCHEMA,
    flags_schema,
    raise_first_failed,
    read_run_config,
    resumed_args,
    resuming,
    run_flag_checks,
    values_of,
)

# PARL's examples/PPO/atari_config.py (the PPO paper's Atari settings).
ATARI_CONFIG = dict(env_num=8, step_nums=128, num_minibatches=4, update_epochs=4,
                    train_total_steps=int(1e7), eval_episode=3, test_every_steps=int(5e3),
                    initial_lr=2.5e-4, lr_decay=True, clip_param=0.1, entropy_coef=0.01)
# PARL's examples/PPO/mujoco_config.py (the PPO paper's MuJoCo settings).
MUJOCO_CONFIG = dict(env_num=1, step_nums=2048, num_minibatches=32, update_epochs=10,
                     train_total_steps=int(1e6), eval_episode=3, test_every_steps=int(5e3),
                     initial_lr=3e-4, lr_decay=True, clip_param=0.2, entropy_coef=0.0)
# This package's: cleanrl's ppo.py CartPole settings (4 envs x 128 steps, 4 minibatches,
# 4 epochs, lr 2.5e-4 decayed, clip 0.2, entropy 0.01), with 200k steps.
CLASSIC_CONFIG = dict(env_num=4, step_nums=128, num_minibatches=4, update_epochs=4,
                      train_total_steps=int(2e5), eval_episode=3, test_every_steps=int(5e3),
                      initial_lr=2.5e-4, lr_decay=True, clip_param=0.2, entropy_coef=0.01)
CONFIGS = {"atari": ATARI_CONFIG, "mujoco": MUJOCO_CONFIG, "classic": CLASSIC_CONFIG}
# parl.algorithms.PPO's own defaults, which PARL's configs leave commented out (and Adam's
# epsilon, 1e-5, which is no flag here either).
PPO_DEFAULTS = dict(value_loss_coef=0.5, max_grad_norm=0.5, gamma=0.99, gae_lambda=0.95)
# The bounds of the counts (mujoco_ppo/cli.py says why); num_minibatches divides the rollout.
COUNT_BOUNDS = {"env_num": MAX_ENVS, "step_nums": MAX_ROLLOUT, "num_minibatches": MAX_ROLLOUT,
                "update_epochs": MAX_UPDATE_LOOPS, "train_total_steps": MAX_STEPS,
                "test_every_steps": MAX_STEPS, "eval_episode": MAX_EVAL_EPISODES}
# Flags that --resume may change; any other must equal the run's.
RESUMABLE = ("train_total_steps", "checkpoint_every", "learner_threads", "resume", "xparl_addr",
             "xparl_timeout")


def build_parser():
    p = OneLineErrorParser(prog="train.py --algo parl2",
                           description="PARL 2.x's PPO (parl.algorithms.PPO) on Paddle 3 and "
                                       "Gymnasium. Unset flags take the environment's config.")
    parl = p.add_argument_group("PARL's flags (examples/PPO/train.py and its configs)")
    parl.add_argument("--env", default="BreakoutNoFrameskip-v4",
                      help="Gymnasium id: Atari (BreakoutNoFrameskip-v4, ALE/Breakout-v5), MuJoCo "
                           "(HalfCheetah-v4; -v2: Gym's own in .venv-v2, else -v4) or discrete classic control "
                           "(CartPole-v1) (default: %(default)s)")
    parl.add_argument("--seed", type=whole_number, default=None,
                      help="seed of Paddle, NumPy and the environments (default: random, "
                           "recorded in config.json)")
    parl.add_argument("--env_num", type=whole_number,
                      help="environments sampled in parallel, at most 256")
    parl.add_argument("--step_nums", type=whole_number,
                      help="steps per environment in one rollout (T in the PPO paper); the "
                           "rollout, --env_num x --step_nums, is at most 2**20 (1,048,576) steps")
    parl.add_argument("--num_minibatches", type=whole_number,
                      help="minibatches a rollout is split into, per epoch (it divides the "
                           "rollout)")
    parl.add_argument("--update_epochs", type=whole_number,
                      help="epochs over each rollout (K in the PPO paper), at most 1,000")
    parl.add_argument("--train_total_steps", type=whole_number,
                      help="environment steps to train for (all environments together), at "
                           "most 1e12")
    parl.add_argument("--test_every_steps", type=whole_number,
                      help="evaluate each time the step count crosses a multiple of this, at "
                           "most 1e12")
    parl.add_argument("--eval_episode", type=whole_number,
                      help="deterministic episodes per evaluation (Atari: whole games), at most "
                           "100")
    parl.add_argument("--initial_lr", type=float, help="Adam's learning rate at the start")
    parl.add_argument("--lr_decay", type=on_off,
                      help="true: decay the learning rate linearly to 0 over the run")
    parl.add_argument("--clip_param", type=float, help="clip range of ratio and value")
    parl.add_argument("--entropy_coef", type=float, help="entropy bonus coefficient (c2)")
    parl.add_argument("--value_loss_coef", type=float, default=PPO_DEFAULTS["value_loss_coef"],
                      help="value loss coefficient (c1) (default: %(default)s)")
    parl.add_argument("--max_grad_norm", type=float, default=PPO_DEFAULTS["max_grad_norm"],
                      help="gradients are clipped to this global norm (default: %(default)s)")
    parl.add_argument("--gamma", type=float, default=PPO_DEFAULTS["gamma"],
                      help="discount factor, in (0, 1] (default: %(default)s)")
    parl.add_argument("--gae_lambda", type=float, default=PPO_DEFAULTS["gae_lambda"],
                      help="GAE lambda, in [0, 1] (default: %(default)s)")
    parl.add_argument("--xparl_addr", default=None, metavar="HOST:PORT",
                      help="step the --env_num environments on the xparl cluster whose master is "
                           "there, one actor each (default: in this process)")
    ours = p.add_argument_group("this package's flags")
    ours.add_argument("--return_reset", choices=("episode_end", "termination"),
                      default="episode_end",
                      help="MuJoCo: when the discounted return whose deviation scales the rewards "
                           "restarts from 0: at every episode end, time limits included (PARL's "
                           "VecNormalizeEnv), or at termination only (Gymnasium's "
                           "NormalizeReward) (default: %(default)s)")
    ours.add_argument("--xparl_timeout", type=float, default=300,
                      help="seconds the actors have for one call; past it the run stops with a "
                           "message; at most 1e6 (default: %(default)s)")
    ours.add_argument("--learner_threads", type=whole_number, default=None,
                      help="threads of Paddle's CPU kernels, at most 256 (default: the number "
                           "of CPU cores)")
    ours.add_argument("--output_dir", default=None,
                      help="where the run's files go (default: runs/parl2_<env>_seed<seed>_<time>)")
    ours.add_argument("--overwrite", action="store_true",
                      help="allow --output_dir to hold an earlier run")
    ours.add_argument("--checkpoint_every", type=whole_number, default=20,
                      help="updates between checkpoints, at most 1e12 (default: %(default)s)")
    ours.add_argument("--resume", default=None, metavar="DIR",
                      help="continue the run in DIR from its last checkpoint")
    return p


def parse_args(argv):
    """Parsed flags; config-dependent ones stay None until ``apply_config``. With ``--resume
    DIR`` the run's own flags from DIR/config.json, where only RESUMABLE ones may change."""
    parser = build_parser()
    args = parser.parse_args(argv)
    raise_first_failed(run_flag_checks(args))  # as the first PPO's, before anything is made
    if args.resume is not None:
        args = _resumed_args(parser, argv, args.resume)
    return args


def _resumed_args(parser, argv, run_dir):
    with resuming():
        saved, path, algo = read_run_config(run_dir)
        if algo == "parl2":
            check_run_config(saved, path)
    if algo != "parl2":
        raise UserError(f"{run_dir} holds a PARL 1.x run; resume it without --algo parl2.")
    # runs made before --return_reset existed normalised rewards with Gymnasium's rule
    saved["args"].setdefault("return_reset", "termination")
    ran_with = {**vars(parser.parse_args([])), **saved["args"], **saved["config"]}
    return resumed_args(parser, argv, run_dir, saved, RESUMABLE, ran_with)[0]


def run_config_schema():
    """config.json as train_loop.py writes it: the flags (the seed drawn if none was given), and
    the resolved config that apply_config returned."""
    resolved = {name: bool if isinstance(value, bool) else int if isinstance(value, int) else NUMBER
                for name, value in {**MUJOCO_CONFIG, **PPO_DEFAULTS}.items()}
    return {"algo": str, "args": flags_schema(build_parser(), required=("seed",)),
            "config": {**resolved, "kind": str, "batch_size": int, "num_updates": int},
            "env_id": str, "versions": dict, "command?": [str], "physics?": PHYSICS_SCHEMA}


def check_run_config(saved, path):
    """UserError naming the field of a parl2 config.json (``saved``, read from ``path``) whose type
    differs from what train_loop.py writes, or whose value its flags' checks refuse."""
    check(saved, run_config_schema(), path)
    config = saved["config"]
    if config["kind"] not in CONFIGS:
        raise UserError(f"{path}: field 'config.kind' should be one of {', '.join(CONFIGS)}, "
                        f"not {config['kind']!r:.40}.")
    with values_of(path):
        apply_config(argparse.Namespace(**{**vars(build_parser().parse_args([])), **saved["args"],
                                           **config}), config["kind"])


def apply_config(args, kind):
    """Fill unset flags from the config of the environment's kind, then check every value.
    Returns the config dict (flags plus batch_size and num_updates), as PARL's train.py builds."""
    config = dict(CONFIGS[kind])
    config.update({k: v for k, v in vars(args).items()
                   if k in PPO_DEFAULTS or (k in CONFIGS[kind] and v is not None)})
    config["kind"] = kind
    for name in ("env_num", "step_nums", "num_minibatches", "update_epochs",
                 "train_total_steps", "test_every_steps", "eval_episode"):
        if config[name] < 1:
            raise UserError(f"--{name} must be at least 1 (got {config[name]}).")
        if config[name] > COUNT_BOUNDS[name]:
            raise UserError(f"--{name} must be at most {shown(COUNT_BOUNDS[name])} (got "
                            f"{shown(config[name])}).")
    for name in ("initial_lr", "clip_param", "max_grad_norm"):
        if not config[name] > 0:
            raise UserError(f"--{name} must be positive (got {config[name]}).")
    for name in ("entropy_coef", "value_loss_coef"):
        if not config[name] >= 0:
            raise UserError(f"--{name} must be at least 0 (got {config[name]}).")
    if not 0 < config["gamma"] <= 1:
        raise UserError(f"--gamma must be in (0, 1] (got {config['gamma']}).")
    if not 0 <= config["gae_lambda"] <= 1:
        raise UserError(f"--gae_lambda must be in [0, 1] (got {config['gae_lambda']}).")
    config["batch_size"] = config["env_num"] * config["step_nums"]
    if config["batch_size"] > MAX_ROLLOUT:
        raise UserError(f"a rollout of --env_num {config['env_num']} x --step_nums "
                        f"{shown(config['step_nums'])} steps is more than the {shown(MAX_ROLLOUT)} "
                        f"steps a rollout may have (it is sampled and learnt from whole before a "
                        f"stop signal is honoured).")
    if config["batch_size"] % config["num_minibatches"]:
        raise UserError(f"--num_minibatches ({config['num_minibatches']}) must divide the "
                        f"rollout of --env_num x --step_nums = {config['batch_size']} steps.")
    config["num_updates"] = config["train_total_steps"] // config["batch_size"]
    if config["num_updates"] < 1:
        raise UserError(f"--train_total_steps ({config['train_total_steps']}) is less than one "
                        f"rollout of {config['batch_size']} steps.")
    return config
