"""Frames per second of evaluate.py --video before and after its speed-ups
(`python scripts/video_speed.py --help`): the command line of mujoco_ppo/evaluation/video_speed.py."""
import os
import sys

if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("video_speed.py")
    from mujoco_ppo.evaluation.video_speed import command

    command()
