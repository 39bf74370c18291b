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
from collections import defaultdict
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


def shared_bootstrap(matrices, statistic, reps=REPS, seed=0):
    """{key: (points, lows, highs)} of ``statistic`` of each key's matrix, 95% intervals.
    Matrices with as many runs go side by side into one of rliable's stratified bootstraps: it draws
    the runs of every column (environment) independently, so each key's resamples are drawn as if
    it were alone, in one loop over resamples instead of one per key (that loop, rliable's own,
    is what an interval costs)."""
    library = rliable_library()
    groups = defaultdict(list)
    for key, matrix in matrices.items():
        groups[(matrix.shape[0], matrix.shape[2:])].append(key)
    found = {}
    with seeded_global_stream(seed):
        for _, keys in sorted(groups.items()):
            edges = np.cumsum([0] + [matrices[key].shape[1] for key in keys])

            def each(scores, edges=edges):
                return np.concatenate([np.atleast_1d(statistic(scores[:, low:high]))
                                       for low, high in zip(edges[:-1], edges[1:])])
            stacked = {"all": np.concatenate([matrices[key] for key in keys], axis=1)}
            points, intervals = library.get_interval_estimates(
                stacked, each, reps=reps, confidence_interval_size=CONFIDENCE)
            sizes = np.cumsum([0] + [np.atleast_1d(statistic(matrices[key])).size for key in keys])
            for key, low, high in zip(keys, sizes[:-1], sizes[1:]):
                found[key] = (points["all"][low:high], intervals["all"][0, low:high],
                              intervals["all"][1, low:high])
    return found


def mean_estimates(columns, reps=REPS, seed=0):
    """{key: (mean, low, high)} of one-column (runs x 1) matrices: rliable's aggregate_mean with its
    stratified-bootstrap interval, which for one column is the mean of its runs; the column means
    of a whole group are taken at once."""
    groups = defaultdict(list)
    for key, column in columns.items():
        groups[len(column)].append(key)
    library = rliable_library()
    found = {}
    with seeded_global_stream(seed):
        for _, keys in sorted(groups.items()):
            stacked = {"all": np.concatenate([columns[key] for key in keys], axis=1)}
            points, intervals = library.get_interval_estimates(
                stacked, lambda scores: scores.mean(axis=0), reps=reps,
                confidence_interval_size=CONFIDENCE)
            found.update({key: (float(points["all"][i]), float(intervals["all"][0, i]),
                                float(intervals["all"][1, i])) for i, key in enumerate(keys)})
    return found


def aggregate_estimates(matrices, reps=REPS, seed=0):
    """{setting: {metric: (point, low, high)}} for METRICS, 95% stratified-bootstrap intervals."""
    found = shared_bootstrap(matrices, four_metrics, reps, seed)
    return {setting: {name: tuple(float(v[i]) for v in found[setting])
                      for i, name in enumerate(METRICS)} for setting in matrices}


def improvement_probability(scores_x, scores_y):
    """P(X > Y) + P(X = Y) / 2 of a run of X and a run of Y on the same environment, averaged over
    environments: rliable's probability of improvement (its Mann-Whitney U over n_x n_y), counted
    over all pairs of runs at once so that thousands of resamples take seconds."""
    x, y = scores_x[:, None, :], scores_y[None, :, :]
    per_environment = (x > y).mean(axis=(0, 1)) + 0.5 * (x == y).mean(axis=(0, 1))
    return float(per_environment.mean())


def improvement_matrix(matrices, reps=REPS, seed=0):
    """{(X, Y): (point, low, high)} for every ordered pair of settings, X != Y. The bootstrap is
    rliable's, each setting's runs drawn independently within each environment: settings with as
    many runs side by side in one (shared_bootstrap), a pair of others in its own. (Y, X) is
    1 - (X, Y), its interval mirrored."""
    settings = list(matrices)
    pairs = [(x, y) for i, x in enumerate(settings) for y in settings[i + 1:]]
    width = matrices[settings[0]].shape[1] if settings else 0
    shared = [(x, y) for x, y in pairs if len(matrices[x]) == len(matrices[y])]
    found = {}
    if shared:
        # all settings of one run count side by side, each pair's probability from its two slices
        by_runs = defaultdict(list)
        for x in settings:
            by_runs[len(matrices[x])].append(x)
        joined = {runs: np.concatenate([matrices[x] for x in group], axis=1)
                  for runs, group in by_runs.items() if len(group) > 1}
        for runs, matrix in joined.items():
            group = by_runs[runs]
            here = [(x, y) for x, y in shared if x in group]

            def all_pairs(scores, group=group, here=here):
                part = {x: scores[:, i * width:(i + 1) * width] for i, x in enumerate(group)}
                return np.array([improvement_probability(part[x], part[y]) for x, y in here])
            estimates = shared_bootstrap({runs: matrix}, all_pairs, reps, seed)[runs]
            found.update({pair: tuple(float(v[k]) for v in estimates)
                          for k, pair in enumerate(here)})
    apart = {f"{x}\t{y}": [matrices[x], matrices[y]] for x, y in pairs if (x, y) not in found}
    if apart:
        library = rliable_library()
        with seeded_global_stream(seed):
            points, intervals = library.get_interval_estimates(
                apart, improvement_probability, reps=reps, confidence_interval_size=CONFIDENCE)
        for key in apart:
            low, high = (float(v) for v in intervals[key].ravel())
            found[tuple(key.split("\t"))] = (float(points[key]), low, high)
    for (x, y), (point, low, high) in list(found.items()):
        found[y, x] = (1 - point, 1 - high, 1 - low)
    return found


def performance_profiles(matrices, taus, reps=REPS, seed=0):
    """{setting: (fraction of runs with a normalised score above each tau, low, high)}: rliable's
    score distributions (create_performance_profile's default) with 95% stratified-bootstrap bands."""
    taus = np.asarray(taus, dtype=float)
    return shared_bootstrap(matrices, lambda scores: score_distribution(scores, taus), reps, seed)


def score_distribution(scores, taus):
    """rliable's score distribution (its run_score_deviation at each tau), all taus at once."""
    return (scores.reshape(-1, 1) > np.asarray(taus)[None, :]).mean(axis=0)


def sample_efficiency(arrays, reps=REPS, seed=0):
    """{setting: (IQM at each mark, low, high)} of runs x environments x marks arrays of
    normalised scores: rliable's stratified bootstrap of the IQM (its aggregate_iqm at each mark)."""
    return shared_bootstrap(arrays, interquartile_mean, reps, seed)
