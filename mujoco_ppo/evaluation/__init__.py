"""Evaluating a saved run (evaluate.py): loading it (loading.py), playing the episodes of the
environment and player that each PPO's evaluate.py hands back and recording the first (player.py,
video.py), the exported pretrained policies (pretrained.py), and the command line (command.py).

video.py and the player it plays through (envs/player.py) import nothing of the package but
errors and run/run_log.py's check of a file."""
