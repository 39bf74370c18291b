"""The one run harness both PPOs use: a run's directory, counters, files, checkpoint store, stop
signals and the sentence it ends with, and config.json's reader and resume merging."""
