"""Train PARL 1.x's MuJoCo PPO: python train.py --env HalfCheetah-v2 --loss_type CLIP
or PARL 2.x's PPO:              python train.py --algo parl2 --env BreakoutNoFrameskip-v4

The loops are mujoco_ppo/parl1/train_loop.py (PARL 1.x's) and mujoco_ppo/parl2/train_loop.py
(PARL 2.x's), each beside its model, algorithm and agent; the command line around them, with
its endings, is mujoco_ppo/training.py (also `mujoco-ppo train`).
"""
import os

if __name__ == "__main__":
    from mujoco_ppo.dependencies import require

    # one sentence, not a traceback, where this Python lacks the packages
    require("train.py", checkout=os.path.dirname(os.path.abspath(__file__)))
    from mujoco_ppo.training import command

    command()
