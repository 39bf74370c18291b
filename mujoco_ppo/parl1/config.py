"""Every setting of PARL 1.x's PPO, with its default and what it means: the one place they are
written. train.py's parser (flags.py) takes each flag's default and help from here, so config.json
records them; the constructors (MujocoModel, PPO, TRPO, MujocoAgent, build_agent) take theirs from
``DEFAULTS``; docs/algorithm.md's table of defaults is checked against it.

Plain values, importable without Paddle (train.py checks its flags before Paddle loads) and
importing nothing of the package but the loss names, so that the maths modules beside it can take
their defaults from it and still import nothing but each other.
"""
from dataclasses import dataclass, field, fields

from .objectives import CLIP

# What a setting is (its field's "part"): which ones are flags, and which ones the table of
# defaults in docs/algorithm.md lists (all but the run's)
PARL = "PARL's flag"  # examples/PPO/train.py's flags, with PARL's defaults
OBJECTIVES = "flag of an objective"  # PARL's fixed CLIP range and initial beta, and TRPO's
FIXED = "fixed, no flag"  # PARL's fixed values, which no flag changes
RUN = "flag of the run"  # the seed, and how and where the run goes


def setting(default, part, help, shown=None):
    """A field of Config: its ``default``, ``part`` and ``help`` (without its default); ``shown``:
    the default in words, where the value would not say it (one computed at run time, 1e7 rather
    than 10000000)."""
    return field(default=default, metadata={"part": part, "help": help, "shown": shown})


@dataclass(frozen=True)
class Config:
    env: str = setting(
        "HalfCheetah-v2", PARL,
        "Gymnasium id; -v2/-v3 MuJoCo ids are Gym's own tasks on mujoco-py in .venv-v2 (make "
        "install-v2), and run as -v4 elsewhere")
    gamma: float = setting(0.995, PARL, "discount factor, in (0, 1]")
    lam: float = setting(0.98, PARL, "GAE lambda, in [0, 1]")
    kl_targ: float = setting(0.003, PARL, "KL target of the adaptive penalty, KLPEN only")
    episodes_per_batch: int = setting(5, PARL, "whole episodes per training batch, at most 1,000")
    loss_type: str = setting(
        CLIP, PARL,
        "surrogate objective: CLIP or KLPEN (PARL's), or KLFIXED (KL penalty with beta fixed at "
        "--beta) or NONE (the plain ratio objective, no clip and no penalty), or TRPO (one "
        "natural-gradient step within --max_kl)")
    train_total_steps: int = setting(
        int(1e7), PARL, "stop once this many env steps are trained on, at most 1e12", shown="1e7")
    test_every_steps: int = setting(
        int(1e4), PARL,
        "evaluate one deterministic episode each time the step count crosses a multiple of this, "
        "at most 1e12", shown="1e4")

    clip_epsilon: float = setting(
        0.2, OBJECTIVES, "clip range of the CLIP objective, PARL's 0.2")
    beta: float = setting(
        1.0, OBJECTIVES,
        "initial KL coefficient of KLPEN (PARL's 1.0), or the fixed one of KLFIXED")
    max_kl: float = setting(
        0.01, OBJECTIVES, "KL radius delta: the step's mean KL(old || new) is at most this")
    cg_iters: int = setting(
        10, OBJECTIVES, "conjugate-gradient iterations solving F x = g, at most 1,000")
    cg_damping: float = setting(
        0.1, OBJECTIVES, "damping added to the Fisher matrix, F + damping * I")
    ls_backtrack_ratio: float = setting(
        0.5, OBJECTIVES, "line search: each try scales the step by this factor")
    ls_max_tries: int = setting(
        10, OBJECTIVES,
        "line search: step sizes tried before the update is skipped, at most 1,000")

    init_logvar: float = setting(
        -1.0, FIXED, "the Gaussian policy's logvars at the start, one per action dimension")
    policy_learn_times: int = setting(
        20, FIXED, "Adam steps of one policy_learn, each on the whole batch")
    value_learn_times: int = setting(10, FIXED, "epochs of one value_learn")
    value_batch_size: int = setting(256, FIXED, "minibatch size of value_learn")
    warmup_episodes: int = setting(
        5, FIXED, "episodes that initialise the scaler before training, not counted")

    algo: str = setting(
        "parl1", RUN,
        "parl1: this PPO (PARL 1.x's); parl2: PARL 2.x's PPO, with its own flags (train.py "
        "--algo parl2 --help)")
    seed: int | None = setting(
        None, RUN,
        "seed of Paddle, NumPy and the environments; the same seed on the same machine gives the "
        "same run", shown="drawn at random, recorded in config.json")
    num_workers: int | None = setting(
        None, RUN,
        "environments sampling a batch's episodes in parallel, one per process, at most "
        "--episodes_per_batch; 1 is PARL's serial loop",
        shown="the fewest workers, one to four per CPU core, that share --episodes_per_batch "
              "evenly, else one per core")
    learner_threads: int | None = setting(
        None, RUN, "threads of Paddle's CPU kernels in policy_learn and value_learn, at most 256",
        shown="the number of CPU cores")
    overlap_value: bool = setting(
        False, RUN,
        "sample the next batch while the value net learns this one (same results; pays only with "
        "a core to spare, see docs/performance.md)")
    output_dir: str | None = setting(
        None, RUN, "where the log, config.json and progress.csv go",
        shown="runs/<env>_<loss_type>_seed<seed>_<time>")
    overwrite: bool = setting(
        False, RUN, "allow --output_dir to hold an earlier run, whose files are replaced")
    checkpoint_every: int = setting(
        20, RUN,
        "iterations between checkpoints, at most 1e12; one is also saved at the end and on "
        "SIGINT/SIGTERM")
    xparl_addr: str | None = setting(
        None, RUN,
        "sample on the xparl cluster whose master is at HOST:PORT instead of local workers (see "
        "docs/xparl.md)")
    actor_num: int | None = setting(
        None, RUN,
        "xparl actors, one CPU of the cluster each, sharing a batch's episodes, at most "
        "--episodes_per_batch", shown="--episodes_per_batch")
    xparl_timeout: float = setting(
        300.0, RUN,
        "seconds the xparl actors have for one batch before the run stops with an error, at most "
        "1e6")
    worker_timeout: float = setting(
        300.0, RUN,
        "seconds a local sampling worker has for its share of a batch before the run stops with "
        "an error, at most 1e6")
    resume: str | None = setting(
        None, RUN,
        "continue the run in DIR from its newest intact checkpoint, with its settings; only "
        "--train_total_steps, --checkpoint_every, --learner_threads, --overlap_value, "
        "--worker_timeout and, for a run on xparl, --xparl_addr and --xparl_timeout may change")


DEFAULTS = Config()
SETTINGS = {f.name: f for f in fields(Config)}  # name -> its field (default, help, part, shown)


def with_defaults(settings):
    """``settings`` (flags by name, as config.json's "args" holds them), every setting it lacks
    (a run older than the flag) taking its default."""
    return {**{name: getattr(DEFAULTS, name) for name in SETTINGS}, **settings}
