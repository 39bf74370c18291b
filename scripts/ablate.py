"""Run a grid of train.py runs (environments x objectives x seeds) and aggregate it
(`python scripts/ablate.py --help`; also mujoco-ppo-ablate): the command line of
mujoco_ppo/grid/ablate.py."""
import os
import sys

if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("ablate.py")
    from mujoco_ppo.grid.ablate import command

    command()
