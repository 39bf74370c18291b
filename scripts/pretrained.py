"""The trained policies of results/pretrained, retrained from the committed evidence runs and
exported (`python scripts/pretrained.py --help`): the command line of
mujoco_ppo/evaluation/pretrained_command.py."""
import os
import sys

if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("pretrained.py")
    from mujoco_ppo.evaluation.pretrained_command import command

    command()
