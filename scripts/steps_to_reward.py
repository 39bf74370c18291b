"""The first step at which each run's evaluation reward, as a trailing mean, reaches a level
(`python scripts/steps_to_reward.py --help`; also mujoco-ppo steps-to-reward): the command line
of mujoco_ppo/analysis/steps_to_reward.py."""
import os
import sys

if __name__ == "__main__":
    # this checkout's mujoco_ppo, also where none is installed (or another checkout's is)
    CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, CHECKOUT)
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("steps_to_reward.py", checkout=CHECKOUT)
    from mujoco_ppo.analysis.steps_to_reward import command

    command()
