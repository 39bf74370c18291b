"""Evaluate a saved policy: deterministic episodes of a run's checkpoint, optionally recorded
into a video (`python evaluate.py --help`; also mujoco-ppo evaluate). The command line of
mujoco_ppo/evaluation/command.py."""
import os

if __name__ == "__main__":
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("evaluate.py", checkout=os.path.dirname(os.path.abspath(__file__)))
    from mujoco_ppo.evaluation.command import command

    command()
