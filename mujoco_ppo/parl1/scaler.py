"""Scaler: running observation statistics for centring and scaling (pat-coady/trpo's Scaler).

The statistics are exact, not exponentially smoothed: after each batch the mean and variance
equal those of every observation seen so far (pooled-variance update). The last column is the
time-step feature, which the scaler tracks but never shifts or scales.

    offset = mean,   scale = 1 / (sqrt(var) + 0.1) / 3      (so +-3 std maps to about +-1)
"""
import numpy as np


class Scaler:
    def __init__(self, obs_dim):
        self.means = np.zeros(obs_dim)
        self.vars = np.zeros(obs_dim)
        self.count = 0

    def update(self, x):
        """Pool the statistics of x [N, obs_dim] into the running ones."""
        n = x.shape[0]
        batch_means = x.mean(axis=0)
        batch_vars = x.var(axis=0)
        if self.count == 0:
            self.means, self.vars = batch_means, batch_vars
        else:
            total = self.count + n
            new_means = (self.count * self.means + n * batch_means) / total
            second_moment = (self.count * (self.vars + np.square(self.means))
                             + n * (batch_vars + np.square(batch_means))) / total
            # E[x^2] - E[x]^2 can come out slightly negative in floating point.
            self.vars = np.maximum(0.0, second_moment - np.square(new_means))
            self.means = new_means
        self.count += n

    def get(self):
        """(scale, offset) to apply as (obs - offset) * scale; the time-step column gets (1, 0)."""
        scale = 1.0 / (np.sqrt(self.vars) + 0.1) / 3.0
        offset = self.means.copy()
        scale[-1], offset[-1] = 1.0, 0.0
        return scale, offset
