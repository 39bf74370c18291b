"""Reading runs back and running grids of them: runs and PARL's reference (results.py), curves
(curves.py, plot.py), a grid's tables (aggregate.py), the grid itself (grid.py, grid_runner.py,
ablate.py), the comparison with PARL (compare.py, parl_comparison.py), steps to a reward
(steps_to_reward.py) and the digitiser of published figures (digitise.py)."""
