"""PARL 1.x's PPO (examples/PPO at PARL v1.4): its flags (flags.py), the sizing of its sampling
workers (workers.py), what its checkpoints hold (checkpoint.py) and its training loop
(train_loop.py)."""
