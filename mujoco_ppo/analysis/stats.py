"""Statistics across environments from rliable (Agarwal et al. 2021, google-research/rliable):
interquartile mean, mean, median and optimality gap of normalised scores with stratified-bootstrap
intervals, the probability of improvement of each setting over each other, performance profiles
and sample-efficiency curves.

A setting's scores are a matrix, one row a run (seed) and one column an environment (rliable's
layout); the bootstrap draws runs with replacement within each environment (stratified) and takes
percentile intervals. rliable resamples with NumPy's global random stream whatever random_state it
is given, so every call here seeds that stream (``seed``) and gives it back as it was: the same
inputs give the same intervals.
"""
from contextlib import contextmanager

import numpy as np

CONFIDENCE = 0.95
REPS = 2000  # bootstrap resamples; rliable's default for performance profiles
METRICS = ("IQM", "mean", "median", "optimality gap")


@contextmanager
def seeded_global_stream(seed):
    """NumPy's global random stream seeded with ``seed`` inside the block, restored after it."""
    saved = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(saved)


def interquartile_mean(scores):
    """rliable's aggregate_iqm, scipy.stats.trim_mean(scores, 0.25, axis=None), along the first
    axis of ``scores`` flattened to (values, marks): the same sort and cut, without SciPy's
    checks on every call (1-3 ms, thousands of calls per interval)."""
    values = np.sort(scores.reshape(-1, *scores.shape[2:]), axis=0)
    cut = int(0.25 * len(values))
    return values[cut:len(values) - cut].mean(axis=0)


def rliable_library():
    """rliable's library module, its note on every interval ("Calculating estimates for ...")
    silenced: absl logs it at INFO on stderr."""
    from absl import logging
    from rliable import library
    logging.set_verbosity(logging.WARNING)
    return library


def four_metrics(scores):
    """[IQM, mean, median, optimality gap] of a runs x environments matrix (rliable's metrics)."""
    from rliable import metrics
    return np.array([interquartile_mean(scores), metrics.aggregate_mean(scores),
                     metrics.aggregate_median(scores), metrics.aggregate_optimality_gap(scores)])


def mean_only(scores):
    from rliable import metrics
    return np.array([metrics.aggregate_mean(scores)])


def mean_estimates(matrices, reps=REPS, seed=0):
    """{key: (mean, low, high)}: rliable's aggregate_mean with its stratified-bootstrap interval."""
    library = rliable_library()
    with seeded_global_stream(seed):
        points, intervals = library.get_interval_estimates(
            matrices, mean_only, reps=reps, confidence_interval_size=CONFIDENCE)
    return {key: (float(points[key][0]), float(intervals[key][0, 0]), float(intervals[key][1, 0]))
            for key in matrices}


def aggregate_estimates(matrices, reps=REPS, seed=0):
    """{setting: {metric: (point, low, high)}} for METRICS, 95% stratified-bootstrap intervals."""
    library = rliable_library()
    with seeded_global_stream(seed):
        points, intervals = library.get_interval_estimates(
            matrices, four_metrics, reps=reps, confidence_interval_size=CONFIDENCE)
    return {setting: {name: (float(points[setting][i]), float(intervals[setting][0, i]),
                             float(intervals[setting][1, i])) for i, name in enumerate(METRICS)}
            for setting in matrices}


def improvement_probability(scores_x, scores_y):
    """P(X > Y) + P(X = Y) / 2 of a run of X and a run of Y on the same environment, averaged over
    environments: rliable's probability of improvement (its Mann-Whitney U over n_x n_y), counted
    over all pairs of runs at once so that thousands of resamples take seconds."""
    x, y = scores_x[:, None, :], scores_y[None, :, :]
    per_environment = (x > y).mean(axis=(0, 1)) + 0.5 * (x == y).mean(axis=(0, 1))
    return float(per_environment.mean())


def improvement_matrix(matrices, reps=REPS, seed=0):
    """{(X, Y): (point, low, high)} for every ordered pair of settings, X != Y. The bootstrap is
    rliable's, each setting's runs drawn independently within each environment; (Y, X) is
    1 - (X, Y), its interval mirrored."""
    library = rliable_library()
    settings = list(matrices)
    pairs = {f"{i},{j}": [matrices[x], matrices[y]] for i, x in enumerate(settings)
             for j, y in enumerate(settings) if i < j}
    found = {}
    if pairs:
        with seeded_global_stream(seed):
            points, intervals = library.get_interval_estimates(
                pairs, improvement_probability, reps=reps, confidence_interval_size=CONFIDENCE)
        for key in pairs:
            i, j = map(int, key.split(","))
            point, (low, high) = float(points[key]), (float(v) for v in intervals[key].ravel())
            found[settings[i], settings[j]] = (point, low, high)
            found[settings[j], settings[i]] = (1 - point, 1 - high, 1 - low)
    return found


def performance_profiles(matrices, taus, reps=REPS, seed=0):
    """{setting: (fraction of runs with a normalised score above each tau, low, high)}, rliable's
    score distributions with their 95% stratified-bootstrap bands."""
    library = rliable_library()
    with seeded_global_stream(seed):
        profiles, bands = library.create_performance_profile(
            matrices, np.asarray(taus, dtype=float), custom_profile_func=score_distribution,
            reps=reps, confidence_interval_size=CONFIDENCE)
    return {setting: (profiles[setting], bands[setting][0], bands[setting][1])
            for setting in matrices}


def score_distribution(scores, taus):
    """rliable's score distribution (its run_score_deviation at each tau), all taus at once."""
    return (scores.reshape(-1, 1) > np.asarray(taus)[None, :]).mean(axis=0)


def sample_efficiency(arrays, reps=REPS, seed=0):
    """{setting: (IQM at each mark, low, high)} of runs x environments x marks arrays of
    normalised scores: rliable's stratified bootstrap of the IQM (its aggregate_iqm at each mark)."""
    library = rliable_library()
    with seeded_global_stream(seed):
        points, intervals = library.get_interval_estimates(
            arrays, interquartile_mean, reps=reps, confidence_interval_size=CONFIDENCE)
    return {setting: (points[setting], intervals[setting][0], intervals[setting][1])
            for setting in arrays}
