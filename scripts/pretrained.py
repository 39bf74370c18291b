"""The trained policies of results/pretrained, retrained from the committed evidence runs and
exported (`python scripts/pretrained.py --help`): the command line of
mujoco_ppo/evaluation/pretrained_command.py."""
from mujoco_ppo.evaluation.pretrained_command import command

if __name__ == "__main__":
    command()
