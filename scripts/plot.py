"""Evaluation and training reward against env steps, for one or many runs
(`python scripts/plot.py --help`; also mujoco-ppo plot): the command line of
mujoco_ppo/analysis/plot.py."""
import os
import sys

if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
    CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, CHECKOUT)
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("plot.py", checkout=CHECKOUT)
    from mujoco_ppo.analysis.plot import command

    command()
