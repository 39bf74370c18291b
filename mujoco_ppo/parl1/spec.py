"""PARL 1.x's PPO (``--algo parl1``, the default) as the rest of the package sees it: the fields
of mujoco_ppo/algorithm_spec.py, registered in mujoco_ppo/algorithms.py. Importing it loads neither
Paddle nor an environment: the tools that only read runs ask it too."""
from ..algorithm_spec import AlgorithmSpec
from ..errors import UserError
from . import checkpoint
from .config import DEFAULTS
from .flags import build_parser, check_run_config
from .objectives import CLIP, KLFIXED, KLPEN, LOSS_TYPES, NONE, TRPO

PROGRESS_COLUMNS = ["iteration", "steps", "episodes", "train_reward", "eval_reward",
                    "policy_loss", "kl", "clip_fraction", "beta", "value_loss", "sps", "wall_time",
                    "sample_time", "policy_time", "value_time", "line_search_failures"]

# A grid's settings: each objective with each value of its parameter (NONE has none)
PARAMETER = {CLIP: "clip_epsilon", KLPEN: "kl_targ", KLFIXED: "beta", NONE: None,
             TRPO: "max_kl"}
# each objective's parameter at its train.py default unless a grid lists values
GRID_AXES = {"loss_type": [CLIP, KLPEN],
             **{name: [getattr(DEFAULTS, name)] for name in PARAMETER.values() if name}}
GRID_STEPS = 1_000_000  # a run's budget in a grid without --steps


def train(argv):
    """`train.py ARGV`; returns the exit status."""
    from .train_loop import main
    return main(argv)


def load_evaluation():
    """evaluate.py's episodes of a checkpoint (evaluate.py imports them while the stop signals
    wait: Paddle loads with them)."""
    from .evaluate import evaluation
    return evaluation


def grid_settings(grid):
    """[(directory name, label, train.py flags)]: each --loss_type with each value of its
    parameter (NONE alone)."""
    found = []
    for loss_type in grid["loss_type"]:
        name = PARAMETER[loss_type]
        for value in grid[name] if name else [None]:
            if name is None:
                found.append((loss_type, loss_type, ["--loss_type", loss_type]))
            else:
                found.append((f"{loss_type}_{name}{value:g}", f"{loss_type} {name}={value:g}",
                              ["--loss_type", loss_type, f"--{name}", repr(value)]))
    return found


def implied_objectives(given):
    """The objectives that the given parameter axes (--kl_targ: KLPEN, --beta: KLFIXED,
    --clip_epsilon: CLIP, --max_kl: TRPO) imply when --loss_type is not given: an axis of one
    objective is an ablation of that objective, not of the default pair. [] otherwise."""
    if "loss_type" in given:
        return []
    return [loss_type for loss_type, name in PARAMETER.items() if name in given]


def complete_grid(grid, given):
    """The grid's budget (GRID_STEPS unless given) and its objectives (those its parameter axes
    imply, where --loss_type is not given); UserError for an unknown objective."""
    if grid["steps"] is None:
        grid["steps"] = GRID_STEPS
    implied = implied_objectives(given)
    if implied:
        grid["loss_type"] = implied
    unknown = [lt for lt in grid["loss_type"] if lt not in LOSS_TYPES]
    if unknown:
        raise UserError(f"unknown loss type {unknown[0]!r}; choose from {', '.join(LOSS_TYPES)}.")


def accept_env(env_id):
    """train.py's refusal of an Atari game, said once for the grid rather than by every run."""
    from ..envs.make import atari_refusal, is_atari

    if is_atari(env_id):
        raise atari_refusal(env_id)


def finish_line(run_dir, steps):
    """A run is finished at the grid's ``steps``: its loop stops at the first iteration that
    reaches them."""
    return steps


def setting_values(config):
    """The flags of config.json; those an older run's lacks take their defaults, which is what
    that run used."""
    return {**vars(build_parser().parse_args([])), **config["args"]}


def run_facts(config):
    """It evaluates one episode at a time (PARL's run_evaluate_episode), after an iteration of
    whole episodes, which may run past --train_total_steps: a run reaches its last step."""
    return {"seed": config["seed"],
            "test_every_steps": setting_values(config)["test_every_steps"],
            "episodes_per_evaluation": 1, "update_steps": 1, "total_steps": None}


SPEC = AlgorithmSpec(
    name="parl1", title="PARL 1.x's PPO",
    train=train, columns=PROGRESS_COLUMNS, checkpointer=checkpoint.checkpointer,
    check_run_config=check_run_config,
    policy_arrays=checkpoint.policy_arrays, load_evaluation=load_evaluation,
    default_env=DEFAULTS.env,
    grid_axes=GRID_AXES,
    grid_shape="has the axes --loss_type and its objectives' parameters",
    complete_grid=complete_grid, grid_settings=grid_settings, accept_env=accept_env,
    one_core_flags=["--num_workers", "1"],  # one sampling worker (one learner thread: every PPO)
    finish_line=finish_line,
    run_facts=run_facts, setting_values=setting_values,
    published=("CLIP", "KLPEN"),  # PARL v1.4's figures; scores are put to CLIP's
    evaluation_lag=0,
)
