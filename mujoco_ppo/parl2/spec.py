"""PARL 2.x's PPO (``--algo parl2``) as the rest of the package sees it: the fields of
mujoco_ppo/algorithm_spec.py, registered in mujoco_ppo/algorithms.py. Importing it loads neither Paddle
nor an environment: the tools that only read runs ask it too."""
import math

from ..algorithm_spec import AlgorithmSpec
from ..errors import UserError
from ..run.settings import read_run_config
from .config import DEFAULTS, check_run_config

PROGRESS_COLUMNS = ["iteration", "steps", "episodes", "train_reward", "eval_reward",
                    "value_loss", "action_loss", "entropy", "lr", "sps", "wall_time",
                    "sample_time", "learn_time", "eval_time"]


def train(argv):
    """`train.py --algo parl2 ARGV`; returns the exit status."""
    from .train_loop import main
    return main(argv)


def checkpointer(run_dir):
    """The run's Checkpointer (checkpoint.py, imported here: Gymnasium and MuJoCo load with its
    environments' states, which a tool that only reads progress.csv does without)."""
    from .checkpoint import checkpointer
    return checkpointer(run_dir)


def policy_arrays(arrays, state):
    """checkpoint.py's (imported here for the reason checkpointer() says)."""
    from .checkpoint import policy_arrays
    return policy_arrays(arrays, state)


def load_evaluation():
    """evaluate.py's episodes of a checkpoint (evaluate.py imports them while the stop signals
    wait: Paddle and PARL load with them)."""
    from .evaluate import evaluation
    return evaluation


def grid_settings(grid):
    """One setting per environment, its flags its config's (--train_args changes them)."""
    return [("parl2", "parl2", [])]


def complete_grid(grid, given):
    """Nothing to fill in: without --steps each run takes its config's budget."""


def accept_env(env_id):
    """Every id train.py --algo parl2 makes: Atari's too, which importing env_utils registers."""
    from . import env_utils  # noqa: F401


def finish_line(run_dir, steps):
    """The last whole rollout within ``steps`` (None: within its config's train_total_steps),
    as the loop runs train_total_steps // (env_num x step_nums) updates; ``steps`` (or never)
    where the run has no readable config.json of this PPO (not started, or damaged: its resume
    says how)."""
    try:
        saved, path, _ = read_run_config(run_dir)
        check_run_config(saved, path)
    except UserError:
        return steps or math.inf
    config = saved["config"]
    total = steps or config["train_total_steps"]
    return total // config["batch_size"] * config["batch_size"]


def setting_values(config):
    """Its resolved config's values under the names of PARL 1.x's flags that mean the same,
    and the loss type "parl2"."""
    resolved = config["config"]
    return {"loss_type": "parl2", "gamma": resolved["gamma"], "lam": resolved["gae_lambda"],
            "clip_epsilon": resolved["clip_param"]}


def run_facts(config):
    """Its seed is a flag; it evaluates its config's eval_episode episodes at a time, at the end
    of an update of batch_size steps, within train_total_steps."""
    return {"seed": config["args"]["seed"],
            "test_every_steps": config["config"]["test_every_steps"],
            "episodes_per_evaluation": config["config"]["eval_episode"],
            "update_steps": config["config"]["batch_size"],
            "total_steps": config["config"]["train_total_steps"]}


SPEC = AlgorithmSpec(
    name="parl2", title="PARL 2.x's PPO",
    train=train, columns=PROGRESS_COLUMNS, checkpointer=checkpointer,
    check_run_config=check_run_config,
    policy_arrays=policy_arrays, load_evaluation=load_evaluation,
    default_env=DEFAULTS.env,
    grid_axes={},
    grid_shape="has one setting per environment (its flags go in --train_args)",
    complete_grid=complete_grid, grid_settings=grid_settings, accept_env=accept_env,
    one_core_flags=[],  # its environments step in the learner's process
    finish_line=finish_line,
    run_facts=run_facts, setting_values=setting_values,
    published=("parl2",),  # PARL-experiments' curves of PARL 2.x's PPO
    evaluation_lag=1,  # its rule for an evaluation being due counts the step after the rollout
)
