"""Our runs' evaluation reward against PARL's: your own PARL logs and PARL's published curves
(`python scripts/compare_parl.py --help`; also mujoco-ppo compare): the command line of
mujoco_ppo/comparison/compare.py."""
import os
import sys

if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
    CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, CHECKOUT)
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("compare_parl.py", checkout=CHECKOUT)
    from mujoco_ppo.comparison.compare import command

    command()
