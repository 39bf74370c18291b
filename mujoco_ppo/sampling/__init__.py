"""Environments and sampling for PARL 1.x's PPO: creating environments (envs.py), running whole
episodes (episodes.py), and a batch's episodes spread over local worker processes
(local_workers.py); mujoco_ppo/xparl/ runs them on the actors of an xparl cluster."""
