"""Runs read back, and what is computed and drawn from them: curves and figures, a grid's tables,
scores, statistics (rliable) and report, step sizes, the steps to a reward."""
