"""Small runs written by the tests themselves, in the files train.py writes (config.json, progress.csv)."""
import csv
import json
import os

from mujoco_ppo.run.run_log import PROGRESS_COLUMNS


def write_run(folder, steps, eval_rewards, env_id="HalfCheetah-v4", loss_type="CLIP", seed=0,
              test_every_steps=10000, train_rewards=None, **flags):
    """A run with one progress.csv row per entry of ``steps``; ``eval_rewards`` maps a step to
    the evaluation reward logged at that row (other rows have none)."""
    os.makedirs(folder, exist_ok=True)
    args = {"env": env_id, "loss_type": loss_type, "seed": seed,
            "test_every_steps": test_every_steps, **flags}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"env_id": env_id, "seed": seed, "args": args}, f)
    with open(os.path.join(folder, "progress.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=PROGRESS_COLUMNS, restval="0")
        writer.writeheader()
        for i, step in enumerate(steps):
            writer.writerow({"iteration": i + 1, "steps": step,
                             "train_reward": (train_rewards or {}).get(step, step / 1000),
                             "eval_reward": eval_rewards.get(step, "")})
    return str(folder)


def every(last, interval, reward):
    """Rows every ``interval`` steps to ``last``, each with an evaluation reward(step)."""
    steps = list(range(interval, last + 1, interval))
    return steps, {s: reward(s) for s in steps}
