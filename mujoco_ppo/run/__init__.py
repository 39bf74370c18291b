"""A run's bookkeeping: its flags (config.py), its files (run_log.py), its checkpoints
(checkpoint.py), and the TrainingRun that train.py's loop drives (training_run.py)."""
