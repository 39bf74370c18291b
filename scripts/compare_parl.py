"""Our runs' evaluation reward against PARL's: your own PARL logs and PARL's published curves
(`python scripts/compare_parl.py --help`; also mujoco-ppo-compare): the command line of
mujoco_ppo/analysis/compare.py."""
from mujoco_ppo.analysis.compare import command

if __name__ == "__main__":
    command()
