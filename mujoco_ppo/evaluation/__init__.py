"""Evaluating a saved run: loading it (loading.py), the player that plays each PPO's episodes
(parl1/evaluate.py, parl2/evaluate.py) and records the first (player.py, over envs/player.py; it
and video.py import nothing of the package but errors and run/run_log.py's check of a file),
and the command line (command.py)."""
