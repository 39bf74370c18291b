"""Run a grid of train.py runs (environments x objectives x seeds) and aggregate it
(`python scripts/ablate.py --help`; also mujoco-ppo-ablate): the command line of
mujoco_ppo/analysis/ablate.py."""
from mujoco_ppo.analysis.ablate import command

if __name__ == "__main__":
    command()
