"""How far each setting's policy moves per batch, from its runs' progress.csv
(`python scripts/step_sizes.py --help`; also mujoco-ppo step-sizes): the command line of
mujoco_ppo/analysis/step_sizes.py."""
import os
import sys

if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
    CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, CHECKOUT)
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("step_sizes.py", checkout=CHECKOUT)
    from mujoco_ppo.analysis.step_sizes import command

    command()
