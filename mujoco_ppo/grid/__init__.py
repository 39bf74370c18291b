"""Grids of runs: the plan (settings, each run's flags and where it stands), the runner of local
and cluster jobs, and the ablate command."""
