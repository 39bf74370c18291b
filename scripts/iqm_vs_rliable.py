"""Check aggregate.py's IQM and stratified bootstrap against rliable's, on the same random scores.

Run in a separate virtualenv that has rliable (it is not a requirement of this package):
    python3 -m venv /tmp/rl && /tmp/rl/bin/pip install rliable==1.2.0 "pandas<3"
    /tmp/rl/bin/python scripts/iqm_vs_rliable.py
The point estimates must be equal; the interval ends differ by Monte-Carlo error only, so each side
is printed for several random streams.
"""

import numpy as np
from rliable import library, metrics

from mujoco_ppo.analysis.aggregate import stratified_bootstrap_iqm


def main():
    scores = np.random.default_rng(3).normal(1.0, 0.4, size=(5, 2))  # 5 runs x 2 tasks
    for seed in range(3):
        value, low, high = stratified_bootstrap_iqm([scores[:, 0], scores[:, 1]], seed=seed)
        print(f"ours     stream {seed}: IQM {value:.4f}  95% CI [{low:.4f}, {high:.4f}]")
    for seed in range(3):
        point, interval = library.get_interval_estimates(
            {"x": scores}, lambda s: np.array([metrics.aggregate_iqm(s)]), reps=50000,
            random_state=np.random.RandomState(seed))
        print(f"rliable  stream {seed}: IQM {point['x'][0]:.4f}  95% CI "
              f"[{interval['x'][0, 0]:.4f}, {interval['x'][1, 0]:.4f}]")


if __name__ == "__main__":
    main()
