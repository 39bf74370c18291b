"""Flags of `train.py --algo parl2`, named as in PARL 2.x's examples/PPO, with their defaults and
help (Config), and the three configs whose values the unset ones take: PARL's atari_config.py and
mujoco_config.py, and a small config for discrete classic-control tasks (CartPole-v1) that PARL's
example does not have.

Which config applies is decided by the environment (see ``env_utils.env_kind``): image
observations with discrete actions -> Atari, continuous actions -> MuJoCo, flat observations with
discrete actions -> classic control. A flag given on the command line overrides the config.
"""
import argparse
from dataclasses import dataclass, field, fields

from ..cli import (
    MAX_ENVS,
    MAX_EVAL_EPISODES,
    MAX_ROLLOUT,
    MAX_STEPS,
    MAX_UPDATE_LOOPS,
    OneLineErrorParser,
    add_flag,
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

# What a setting is (its field's "part"); every one is a flag
FAMILY = "the environment's config"  # unset: the value of the environment's family (CONFIGS)
PPO = "parl.algorithms.PPO's default"  # PARL's configs leave them commented out
PARL = "PARL's flag"  # examples/PPO/train.py's own
RUN = "flag of the run"  # how and where the run goes


def setting(default, part, help, shown=None):
    """A field of Config: its ``default``, ``part`` and ``help`` (without its default); ``shown``:
    the default in words, where the value would not say it."""
    return field(default=default, metadata={"part": part, "help": help, "shown": shown})


@dataclass(frozen=True)
class Config:
    """Every flag of `train.py --algo parl2`, with its default and help: the one place they are
    written. The flags of part FAMILY are unset (None) by default and take the value of the
    environment's config in CONFIGS (apply_config)."""
    env: str = setting(
        "BreakoutNoFrameskip-v4", PARL,
        "Gymnasium id: Atari (BreakoutNoFrameskip-v4, ALE/Breakout-v5), MuJoCo (HalfCheetah-v4; "
        "-v2: Gym's own in .venv-v2, else -v4) or discrete classic control (CartPole-v1)")
    seed: int | None = setting(
        None, PARL, "seed of Paddle, NumPy and the environments",
        shown="random, recorded in config.json")
    env_num: int | None = setting(None, FAMILY, "environments sampled in parallel, at most 256")
    step_nums: int | None = setting(
        None, FAMILY,
        "steps per environment in one rollout (T in the PPO paper); the rollout, --env_num x "
        "--step_nums, is at most 2**20 (1,048,576) steps")
    num_minibatches: int | None = setting(
        None, FAMILY, "minibatches a rollout is split into, per epoch (it divides the rollout)")
    update_epochs: int | None = setting(
        None, FAMILY, "epochs over each rollout (K in the PPO paper), at most 1,000")
    train_total_steps: int | None = setting(
        None, FAMILY,
        "environment steps to train for (all environments together), at most 1e12")
    test_every_steps: int | None = setting(
        None, FAMILY,
        "evaluate each time the step count crosses a multiple of this, at most 1e12")
    eval_episode: int | None = setting(
        None, FAMILY, "deterministic episodes per evaluation (Atari: whole games), at most 100")
    initial_lr: float | None = setting(None, FAMILY, "Adam's learning rate at the start")
    lr_decay: bool | None = setting(
        None, FAMILY, "true: decay the learning rate linearly to 0 over the run")
    clip_param: float | None = setting(None, FAMILY, "clip range of ratio and value")
    entropy_coef: float | None = setting(None, FAMILY, "entropy bonus coefficient (c2)")
    value_loss_coef: float = setting(0.5, PPO, "value loss coefficient (c1)")
    max_grad_norm: float = setting(0.5, PPO, "gradients are clipped to this global norm")
    gamma: float = setting(0.99, PPO, "discount factor, in (0, 1]")
    gae_lambda: float = setting(0.95, PPO, "GAE lambda, in [0, 1]")
    xparl_addr: str | None = setting(
        None, PARL,
        "step the --env_num environments on the xparl cluster whose master is there, one actor "
        "each", shown="in this process")
    return_reset: str = setting(
        "episode_end", RUN,
        "MuJoCo: when the discounted return whose deviation scales the rewards restarts from 0: "
        "at every episode end, time limits included (PARL's VecNormalizeEnv), or at termination "
        "only (Gymnasium's NormalizeReward)")
    xparl_timeout: float = setting(
        300, RUN,
        "seconds the actors have for one call; past it the run stops with a message; at most 1e6")
    learner_threads: int | None = setting(
        None, RUN, "threads of Paddle's CPU kernels, at most 256", shown="the number of CPU cores")
    output_dir: str | None = setting(
        None, RUN, "where the run's files go", shown="runs/parl2_<env>_seed<seed>_<time>")
    overwrite: bool = setting(False, RUN, "allow --output_dir to hold an earlier run")
    checkpoint_every: int = setting(
        20, RUN, "updates between checkpoints, at most 1e12")
    resume: str | None = setting(
        None, RUN, "continue the run in DIR from its last checkpoint")


DEFAULTS = Config()
SETTINGS = {f.name: f for f in fields(Config)}  # name -> its field (default, help, part, shown)
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
# parl.algorithms.PPO's own defaults, which every config has (and Adam's epsilon, 1e-5, which is
# no flag here either)
PPO_DEFAULTS = {name: f.default for name, f in SETTINGS.items() if f.metadata["part"] == PPO}
# The bounds of the counts (mujoco_ppo/cli.py says why); num_minibatches divides the rollout.
COUNT_BOUNDS = {"env_num": MAX_ENVS, "step_nums": MAX_ROLLOUT, "num_minibatches": MAX_ROLLOUT,
                "update_epochs": MAX_UPDATE_LOOPS, "train_total_steps": MAX_STEPS,
                "test_every_steps": MAX_STEPS, "eval_episode": MAX_EVAL_EPISODES}
# Flags that --resume may change; any other must equal the run's.
RESUMABLE = ("train_total_steps", "checkpoint_every", "learner_threads", "resume", "xparl_addr",
             "xparl_timeout")


# A declarative list of flags, read as the --help it makes. Their defaults and help are
# Config's; how each is parsed, and its group, are said here.
def build_parser():
    p = OneLineErrorParser(prog="train.py --algo parl2",
                           description="PARL 2.x's PPO (parl.algorithms.PPO) on Paddle 3 and "
                                       "Gymnasium. Unset flags take the environment's config.")
    parl = p.add_argument_group("PARL's flags (examples/PPO/train.py and its configs)")
    add_flag(parl, SETTINGS["env"])
    add_flag(parl, SETTINGS["seed"], type=whole_number)
    add_flag(parl, SETTINGS["env_num"], type=whole_number)
    add_flag(parl, SETTINGS["step_nums"], type=whole_number)
    add_flag(parl, SETTINGS["num_minibatches"], type=whole_number)
    add_flag(parl, SETTINGS["update_epochs"], type=whole_number)
    add_flag(parl, SETTINGS["train_total_steps"], type=whole_number)
    add_flag(parl, SETTINGS["test_every_steps"], type=whole_number)
    add_flag(parl, SETTINGS["eval_episode"], type=whole_number)
    add_flag(parl, SETTINGS["initial_lr"], type=float)
    add_flag(parl, SETTINGS["lr_decay"], type=on_off)
    add_flag(parl, SETTINGS["clip_param"], type=float)
    add_flag(parl, SETTINGS["entropy_coef"], type=float)
    add_flag(parl, SETTINGS["value_loss_coef"], type=float)
    add_flag(parl, SETTINGS["max_grad_norm"], type=float)
    add_flag(parl, SETTINGS["gamma"], type=float)
    add_flag(parl, SETTINGS["gae_lambda"], type=float)
    add_flag(parl, SETTINGS["xparl_addr"], metavar="HOST:PORT")
    ours = p.add_argument_group("this package's flags")
    add_flag(ours, SETTINGS["return_reset"], choices=("episode_end", "termination"))
    add_flag(ours, SETTINGS["xparl_timeout"], type=float)
    add_flag(ours, SETTINGS["learner_threads"], type=whole_number)
    add_flag(ours, SETTINGS["output_dir"])
    add_flag(ours, SETTINGS["overwrite"], action="store_true")
    add_flag(ours, SETTINGS["checkpoint_every"], type=whole_number)
    add_flag(ours, SETTINGS["resume"], metavar="DIR")
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
