"""Run a grid of train.py runs (environments x objectives x seeds) and aggregate it
(`python scripts/ablate.py --help`; also mujoco-ppo ablate): the command line of
mujoco_ppo/grid/ablate.py."""
import os
import sys

if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is); the
    # runs the grid starts use the same one (run/launch.py)
    CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, CHECKOUT)
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("ablate.py", checkout=CHECKOUT)
    from mujoco_ppo.cli import invoked_as
    from mujoco_ppo.grid.ablate import command

    # what the grid's closing line tells to run next: this script, by the path typed
    invoked_as("ablate.py", "ablate.py", [sys.executable, os.path.abspath(__file__)])
    command()
