"""The environments both PPOs make: ids and refusals, Gym's own -v2 tasks, which physics a run
used, and the one player of episodes."""
