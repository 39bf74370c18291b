"""How far each setting's policy moves per batch, from its runs' progress.csv
(`python scripts/step_sizes.py --help`): the command line of mujoco_ppo/analysis/step_sizes.py."""
from mujoco_ppo.analysis.step_sizes import command

if __name__ == "__main__":
    command()
