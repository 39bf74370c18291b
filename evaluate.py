"""Evaluate a saved policy: deterministic episodes of a run's checkpoint, optionally recorded
into a video (`python evaluate.py --help`; also mujoco-ppo-evaluate). The command line of
mujoco_ppo/evaluation/command.py."""
from mujoco_ppo.evaluation.command import command

if __name__ == "__main__":
    command()
