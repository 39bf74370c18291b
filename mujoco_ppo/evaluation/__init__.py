"""Evaluating a saved run (evaluate.py): loading it, each PPO's policy and environment, the
returns of the one player, the video, and the exported pretrained policies.

The player and video.py import nothing of the package but errors and run/run_log.py's check of a
file."""
