"""The statistics (analysis/stats.py) pinned to rliable on fixed inputs, the wording of small
tables, the smoothing rule, and ablate.py report on a synthetic grid."""
import csv
import re
import shutil

import numpy as np
import pytest
from rliable import library, metrics

from synthetic_runs import every, write_run

from mujoco_ppo.analysis import stats
from mujoco_ppo.analysis.curves import fitted_window, smoothing_text
from mujoco_ppo.analysis.report import due_steps, efficiency_arrays, report
from mujoco_ppo.analysis.tables import RANGE_SENTENCE

pytestmark = pytest.mark.unit

SCORES = {"a": np.random.default_rng(3).normal(1.0, 0.4, size=(5, 2)),
          "b": np.random.default_rng(4).normal(0.8, 0.3, size=(5, 2))}


def rliable_four(scores):
    return np.array([metrics.aggregate_iqm(scores), metrics.aggregate_mean(scores),
                     metrics.aggregate_median(scores), metrics.aggregate_optimality_gap(scores)])


def test_point_estimates_equal_rliables_and_intervals_agree_within_monte_carlo_error():
    ours = stats.aggregate_estimates(SCORES, reps=2000, seed=0)
    np.random.seed(11)  # another stream: the intervals differ by Monte-Carlo error only
    points, intervals = library.get_interval_estimates(SCORES, rliable_four, reps=2000)
    for setting in SCORES:
        for i, name in enumerate(stats.METRICS):
            point, low, high = ours[setting][name]
            assert point == pytest.approx(points[setting][i], abs=1e-12)
            assert low == pytest.approx(intervals[setting][0, i], abs=0.05)
            assert high == pytest.approx(intervals[setting][1, i], abs=0.05)
            assert low <= point <= high


def test_the_same_seed_gives_the_same_intervals_and_leaves_the_global_stream_alone():
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    first = stats.aggregate_estimates(SCORES, reps=300, seed=2)
    assert (np.random.get_state()[1] == before).all()
    assert stats.aggregate_estimates(SCORES, reps=300, seed=2) == first


def test_iqm_is_rliables_on_odd_and_even_counts():
    for shape in ((4, 1), (5, 3), (7, 2)):
        scores = np.random.default_rng(shape[0]).normal(size=shape)
        assert stats.interquartile_mean(scores) == pytest.approx(metrics.aggregate_iqm(scores))
    per_mark = np.random.default_rng(0).normal(size=(5, 3, 4))
    assert stats.interquartile_mean(per_mark) == pytest.approx(
        [metrics.aggregate_iqm(per_mark[..., m]) for m in range(4)])


def test_probability_of_improvement_by_hand_and_as_rliable():
    # task 1: X (3, 1) against Y (2, 2): P(X > Y) = 2/4, no ties -> 0.5
    # task 2: X (5, 2) against Y (2, 0): 5>2, 5>0, 2=2, 2>0 -> (3 + 0.5) / 4 = 0.875
    x, y = np.array([[3.0, 5.0], [1.0, 2.0]]), np.array([[2.0, 2.0], [2.0, 0.0]])
    assert stats.improvement_probability(x, y) == pytest.approx((0.5 + 0.875) / 2)
    assert stats.improvement_probability(x, y) == pytest.approx(
        metrics.probability_of_improvement(x, y))
    found = stats.improvement_matrix({"X": x, "Y": y}, reps=200)
    assert found["X", "Y"][0] == pytest.approx(0.6875)
    assert found["Y", "X"][0] == pytest.approx(0.3125)
    low, high = found["X", "Y"][1:]
    assert found["Y", "X"][1:] == pytest.approx((1 - high, 1 - low))


def test_performance_profile_is_rliables_score_distribution():
    taus = np.linspace(0, 2, 9)
    ours = stats.performance_profiles(SCORES, taus, reps=200)
    points, _ = library.create_performance_profile(SCORES, taus, reps=10)
    for setting in SCORES:
        assert ours[setting][0] == pytest.approx(points[setting])


def test_smoothing_is_never_longer_than_a_tenth_of_the_shortest_run():
    runs = [{"last_step": 30000}, {"last_step": 1000000}]
    assert fitted_window(50000, runs) == 3000
    assert fitted_window(50000, [{"last_step": 1000000}]) == 50000
    assert fitted_window(0, runs) == 0
    caption = smoothing_text(3000, 10000, asked=50000, shortest=30000, band=False)
    assert "--smooth 50,000 shrunk to a tenth of the shortest run, 30,000 steps" in caption
    assert "band" not in caption


def small_grid(root, seeds, last=30000, loss_types=("CLIP", "KLPEN")):
    """A grid of one environment: each loss type over ``seeds``, evaluations every 10k steps."""
    for i, loss_type in enumerate(loss_types):
        for seed in seeds:
            steps, _ = every(last, 5000, lambda s: 0.0)
            evals = {s: 100.0 * (i + 1) + s / 1000 + 10 * seed for s in steps if s % 10000 == 0}
            write_run(root / "runs" / "HalfCheetah-v4" / loss_type / f"seed{seed}", steps, evals,
                      seed=seed, loss_type=loss_type)
    (root / "random_policy.json").write_text('{"HalfCheetah-v4": -250.0}')
    return root


def test_two_seeds_give_a_range_and_the_table_says_why(tmp_path):
    grid = small_grid(tmp_path / "grid", seeds=(0, 1))
    report(str(grid), ["report", str(grid)], reps=200)
    summary = (grid / "summary.md").read_text()
    clip = next(line for line in summary.splitlines() if line.startswith("| HalfCheetah-v4 | CLIP"))
    # final score: the 30k evaluation alone (steps >= 27k): 130 and 140
    assert "2 seeds × 1 evaluation episode each (fewer than 5)" in clip
    assert "range [130, 140]" in clip and "CI" not in clip
    assert RANGE_SENTENCE in summary
    across = next(line for line in summary.splitlines() if line.startswith("| KLPEN |"))
    assert "[" not in across.split("|")[3]  # the IQM cell: no interval with 2 seeds
    page = (grid / "report.md").read_text()
    for name in ("report_profile.png", "report_sample_efficiency.png",
                 "curves_HalfCheetah-v4.png", "python scripts/ablate.py report"):
        assert name in page
    for png in grid.glob("*.png"):
        assert png.read_bytes()[:4] == b"\x89PNG"
    assert "shrunk to a tenth of the shortest run, 30,000 steps" in page  # --smooth 50k > 30k
    # Hostile case: the page gave P(CLIP > KLPEN) = 0.00 and 1.00 the other way, with no interval
    # and no caveat, from 2 x 2 runs
    assert "No probability of improvement: CLIP (2 seeds) and KLPEN (2 seeds) have fewer than 3 " \
        "seeds; with fewer than 3 seeds there is no interval" in page
    assert "P(row > column)" not in page and "report_improvement.png" not in page
    assert not (grid / "report_improvement.png").exists()


def test_three_seeds_give_a_ci_and_one_seed_no_interval(tmp_path):
    grid = small_grid(tmp_path / "three", seeds=(0, 1, 2), last=100000)
    report(str(grid), ["report", str(grid)], reps=200)
    clip = next(line for line in (grid / "summary.md").read_text().splitlines()
                if line.startswith("| HalfCheetah-v4 | CLIP"))
    # steps >= 90k: the evaluations at 90k and 100k
    assert "3 seeds × 2 evaluation episodes each (fewer than 5)" in clip and "| CI [" in clip
    one = small_grid(tmp_path / "one", seeds=(0,), loss_types=("CLIP",))
    report(str(one), ["report", str(one)], reps=200)
    summary = (one / "summary.md").read_text()
    assert "1 seed: none" in summary and "| CLIP | 1 seed × 1 | 1.00 |" in summary


def test_a_setting_with_fewer_than_3_seeds_has_no_probability_of_improvement(tmp_path):
    grid = small_grid(tmp_path / "mixed", seeds=(0, 1, 2), loss_types=("CLIP", "KLPEN", "NONE"))
    for seed in (0, 1, 2):  # KLPEN keeps 2 seeds
        if seed == 2:
            shutil.rmtree(grid / "runs" / "HalfCheetah-v4" / "KLPEN" / f"seed{seed}")
    report(str(grid), ["report", str(grid)], reps=200)
    page = (grid / "report.md").read_text()
    table = [line for line in page.splitlines() if line.startswith("| ")]
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1:] for line in table}
    assert rows["CLIP"][0] == "—" and rows["CLIP"][1] == "—"  # itself; KLPEN (2 seeds)
    assert re.fullmatch(r"0\.00 \[0\.00, 0\.00\] \|", rows["CLIP"][2])  # NONE is better
    assert all(cell.strip(" |") == "—" for cell in rows["KLPEN"])
    assert "KLPEN (2 seeds) has none (— in the table): with fewer than 3 seeds" in page
    assert "report_improvement.png" in page


def test_sample_efficiency_reads_each_mark_from_the_evaluations_due_at_or_before_it(tmp_path):
    """Hostile case: evaluations are due when the step count crosses a multiple of 10k and are
    made at the end of that iteration (10,009 to 10,226 steps on HalfCheetah), so the window
    (0, 10k] held only the first iteration's evaluation, of the untrained policy, for every
    setting, and each later mark the evaluations of a spacing before it."""
    steps = list(range(1100, 30801, 1100))  # iterations of 1,100 steps, evaluations as PARL's
    evals, due = {}, 0
    for step in steps:
        if step // 10000 >= due:
            due = step // 10000 + 1
            evals[step] = 100.0 + step / 100  # the later, the better
    assert sorted(evals) == [1100, 11000, 20900, 30800]
    run = {"last_step": steps[-1], "test_every_steps": 10000, "config": {},
           "eval_steps": np.array(sorted(evals)), "eval_reward": np.array([evals[s] for s in sorted(evals)])}
    scored = {"rows": [{"setting": "CLIP", "env": "HalfCheetah-v4", "normalised_runs": [1.0],
                        "runs": [run]}],
              "matrices": {"CLIP": np.zeros((1, 1))}, "scales": {"HalfCheetah-v4": (0.0, 1.0, None)}}
    arrays, marks, made_by, spacing = efficiency_arrays(scored)
    assert list(marks) == [10000, 20000, 30000] and spacing == 10000
    assert list(arrays["CLIP"][0, 0]) == [210.0, 309.0, 408.0]  # not 111 (untrained) at 10k
    assert list(made_by) == [11000, 20900, 30800]  # each point drawn where its evaluation was made
    # PARL 2.x's loop counts the step after the rollout: an evaluation at 9,999 is due at 10,000
    parl2 = dict(run, config={"algo": "parl2"}, eval_steps=np.array([999, 9999, 20479]))
    assert list(due_steps(parl2)) == [0, 10000, 20000]

    grid = small_grid(tmp_path / "grid", seeds=(0, 1, 2))  # evaluations exactly on the marks
    report(str(grid), ["report", str(grid)], reps=200)
    with open(grid / "report_sample_efficiency.csv", newline="") as f:
        first = next(csv.DictReader(f))
    assert first["step"] == "10000"
    assert "each point drawn at the step by which every run had made its evaluations (10,000 for " \
        "the mark 10,000)" in (grid / "report.md").read_text()


def test_reference_normalisation_is_the_published_curve_at_the_runs_length(tmp_path):
    """PARL v1.4's CLIP on HalfCheetah: 1,168 at 250k and 1,523 at 500k steps, so 1,239 at 300k."""
    grid = tmp_path / "grid"
    steps, evals = every(300000, 10000, lambda s: 989.0)
    write_run(grid / "runs" / "HalfCheetah-v4" / "CLIP" / "seed0", steps, evals)
    (grid / "random_policy.json").write_text('{"HalfCheetah-v4": -250.0}')
    report(str(grid), ["report", str(grid), "--normalise", "reference"], normalise="reference",
           reps=200)
    summary = (grid / "summary.md").read_text()
    assert "HalfCheetah-v4 -250.0 and 1,239.0 (PARL v1.4 published CLIP at 300,000 steps)" in summary
    assert f"| {(989 + 250) / (1239 + 250):.2f} |" in summary  # (score - random) / (one - random)
    assert "One setting: no pair to compare." in (grid / "report.md").read_text()


def test_settings_side_by_side_give_rliables_intervals_within_monte_carlo_error():
    """shared_bootstrap resamples every column on its own, as rliable's bootstrap of each matrix
    (and of each pair, for the probability of improvement) alone does."""
    ours = stats.improvement_matrix(SCORES, reps=1000, seed=0)["a", "b"]
    np.random.seed(7)
    points, intervals = library.get_interval_estimates(
        {"ab": [SCORES["a"], SCORES["b"]]}, metrics.probability_of_improvement, reps=1000)
    assert ours[0] == pytest.approx(points["ab"])
    assert ours[1:] == pytest.approx(intervals["ab"].ravel(), abs=0.06)
    alone = stats.aggregate_estimates({"a": SCORES["a"]}, reps=2000, seed=3)["a"]["IQM"]
    together = stats.aggregate_estimates(SCORES, reps=2000, seed=3)["a"]["IQM"]
    assert alone[0] == together[0] and alone[1:] == pytest.approx(together[1:], abs=0.05)


def test_a_column_mean_is_rliables_aggregate_mean_of_that_column():
    columns = {i: SCORES["a"][:, i:i + 1] for i in range(2)}
    found = stats.mean_estimates(columns, reps=500)
    for i, column in columns.items():
        assert found[i][0] == pytest.approx(metrics.aggregate_mean(column))
        assert found[i][1] <= found[i][0] <= found[i][2]
