"""Evaluation and training reward against env steps, for one or many runs
(`python scripts/plot.py --help`; also mujoco-ppo-plot): the command line of
mujoco_ppo/analysis/plot.py."""
from mujoco_ppo.analysis.plot import command

if __name__ == "__main__":
    command()
