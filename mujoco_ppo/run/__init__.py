"""The one run harness both PPOs use: the run (training_run.py: directory, counters, files,
checkpoints, ending), its files (run_log.py, train_log.py), its checkpoint store (checkpoint.py),
stop signals (signals.py), the sentences a run ends with (run_ending.py), and config.json's
reader and resume merging (settings.py)."""
