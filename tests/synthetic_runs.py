"""Small runs written by the tests themselves, in the files train.py writes (config.json, progress.csv)."""
import csv
import json
import os

from mujoco_ppo.parl1.flags import build_parser
from mujoco_ppo.parl1.spec import PROGRESS_COLUMNS
from mujoco_ppo.parl2 import config as parl2_config
from mujoco_ppo.parl2.spec import PROGRESS_COLUMNS as PARL2_COLUMNS
from mujoco_ppo.run.run_log import package_versions


def write_run(folder, steps, eval_rewards, env_id="HalfCheetah-v4", loss_type="CLIP", seed=0,
              test_every_steps=10000, train_rewards=None, **flags):
    """A run of PARL 1.x's PPO with one progress.csv row per entry of ``steps``; ``eval_rewards``
    maps a step to the evaluation reward logged at that row (other rows have none)."""
    os.makedirs(folder, exist_ok=True)
    args = {**vars(build_parser().parse_args([])), "env": env_id, "loss_type": loss_type,
            "seed": seed, "test_every_steps": test_every_steps, **flags}
    # the network sizes are placeholders: no reader of a run's results looks at them
    write_config(folder, {"args": args, "seed": seed, "env_id": env_id, "obs_dim": 1,
                          "act_dim": 1, "policy_lr": 1e-4, "value_lr": 1e-3,
                          "versions": package_versions(), "command": ["train.py"]})
    write_progress(folder, PROGRESS_COLUMNS, steps, eval_rewards, train_rewards)
    return str(folder)


def write_parl2_run(folder, steps, eval_rewards, env_id="HalfCheetah-v4", kind="mujoco", seed=0,
                    train_rewards=None, **flags):
    """A run of PARL 2.x's PPO (train.py --algo parl2): its config.json as train_loop.py writes
    it, with ``flags`` (e.g. train_total_steps=1000000) over ``kind``'s config."""
    os.makedirs(folder, exist_ok=True)
    args = parl2_config.build_parser().parse_args(
        ["--env", env_id, "--seed", str(seed)]
        + [f"--{name}={value}" for name, value in flags.items()])
    write_config(folder, {"algo": "parl2", "args": vars(args),
                          "config": parl2_config.apply_config(args, kind), "env_id": env_id,
                          "versions": package_versions()})
    write_progress(folder, PARL2_COLUMNS, steps, eval_rewards, train_rewards)
    return str(folder)


def write_config(folder, config):
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)


def write_progress(folder, columns, steps, eval_rewards, train_rewards):
    with open(os.path.join(folder, "progress.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, restval="0")
        writer.writeheader()
        for i, step in enumerate(steps):
            writer.writerow({"iteration": i + 1, "steps": step,
                             "train_reward": (train_rewards or {}).get(step, step / 1000),
                             "eval_reward": eval_rewards.get(step, "")})


def every(last, interval, reward):
    """Rows every ``interval`` steps to ``last``, each with an evaluation reward(step)."""
    steps = list(range(interval, last + 1, interval))
    return steps, {s: reward(s) for s in steps}
