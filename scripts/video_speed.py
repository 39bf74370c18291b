"""Frames per second of evaluate.py --video before and after its speed-ups
(`python scripts/video_speed.py --help`): the command line of mujoco_ppo/evaluation/video_speed.py."""
from mujoco_ppo.evaluation.video_speed import command

if __name__ == "__main__":
    command()
