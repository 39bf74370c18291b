"""What a PPO of this package is to everything around it: the fields of its spec. Each PPO fills
one in its own folder (parl1/spec.py, parl2/spec.py); mujoco_ppo/algorithms.py registers them by
their --algo name, and every tool that reads, runs, evaluates or compares runs asks it instead
of telling the PPOs apart itself. Here rather than beside the registry, so that a PPO's folder
can name the class without importing the registry, which imports that folder."""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class AlgorithmSpec:
    name: str  # --algo's value; config.json's "algo" field in its runs (but the default's)
    title: str  # how sentences name it: "PARL 1.x's PPO"

    # a run: train.py, its files and its checkpoints
    train: Callable  # train.py's ARGV -> exit status (Paddle loads inside)
    columns: list  # progress.csv's header
    checkpointer: Callable  # run directory -> Checkpointer that checks its checkpoints
    check_run_config: Callable  # (config.json, its path) -> UserError naming a bad field

    # evaluation (evaluate.py)
    policy_arrays: Callable  # (checkpoint's arrays, state) -> (the arrays evaluation reads, info)
    load_evaluation: Callable  # () -> (args, checkpoint dir, config, arrays, info) -> a context
    #                           manager of (environment, one episode's player); imports Paddle

    # a grid (ablate.py run)
    default_env: str  # train.py's --env default (a grid without --env: the default PPO's)
    grid_axes: dict  # its own axes, with their defaults ({}: one setting per environment)
    grid_shape: str  # what its grid is, said where another PPO's axis is given to it
    complete_grid: Callable  # (grid, keys given) -> its defaults filled in, its axes checked
    grid_settings: Callable  # grid -> [(directory, label, train.py flags)] of one environment
    accept_env: Callable  # env id -> UserError where train.py would refuse it (said at once)
    one_core_flags: list  # train.py flags that hold a run of the grid to one core
    finish_line: Callable  # (run directory, the grid's steps) -> the step it is finished at

    # its results read back (analysis/, comparison/)
    run_facts: Callable  # config.json -> {seed, test_every_steps, episodes_per_evaluation,
    #                     update_steps (an evaluation ends one), total_steps (its budget, or None)}
    setting_values: Callable  # config.json -> {name: value} of what tells its runs' settings
    #                          apart (analysis/results.py's SETTING_FLAGS; a name absent: none)
    published: tuple  # its curves in analysis/reference; the first is what scores are put to
    evaluation_lag: int  # steps its loop counts past the multiple an evaluation was due at
