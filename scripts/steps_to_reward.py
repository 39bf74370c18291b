"""The first step at which each run's evaluation reward, as a trailing mean, reaches a level
(`python scripts/steps_to_reward.py --help`; also mujoco-ppo-steps-to-reward): the command line
of mujoco_ppo/analysis/steps_to_reward.py."""
from mujoco_ppo.analysis.steps_to_reward import command

if __name__ == "__main__":
    command()
