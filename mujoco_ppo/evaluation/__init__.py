"""Evaluating a saved run: loading it (loading.py), each PPO's policy and environment (parl1.py,
parl2.py), the one player that runs episodes and records the first (player.py, also the loop of
parl2's training-time evaluation; it and video.py import nothing of the package but errors and
run/run_log.py's check of a file), and the command line (command.py)."""
