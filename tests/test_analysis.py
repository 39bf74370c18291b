"""plot.py, compare_parl.py and ablate.py aggregate on small runs and PARL logs written by the test:
the CSV series each figure writes, the tables, and one sentence with exit 2 for every bad input."""
import csv
import json
import os

import numpy as np
import pytest

from helpers import ROOT, assert_no_traceback, assert_one_sentence, compare_table, run_python
from synthetic_runs import every, write_parl2_run, write_run

from mujoco_ppo.analysis.aggregate import random_policy_score
from mujoco_ppo.analysis.curves import setting_curve, trailing_mean
from mujoco_ppo.analysis.results import load_run
from mujoco_ppo.analysis.scores import final_score

PLOT = os.path.join(ROOT, "scripts", "plot.py")
COMPARE = os.path.join(ROOT, "scripts", "compare_parl.py")
ABLATE = os.path.join(ROOT, "scripts", "ablate.py")


def read_series(path, panel=None):
    """{setting: [row dicts]} of a series CSV, numbers as floats."""
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if panel is None or row["panel"] == panel:
                out.setdefault(row["setting"], []).append(
                    {k: (v if k in ("panel", "setting") else float(v)) for k, v in row.items()})
    return out


def evaluations(last, reward, interval=10000):
    """Rows every 5,000 steps to ``last``, an evaluation at each multiple of ``interval``."""
    steps, rewards = every(last, 5000, reward)
    return steps, {s: r for s, r in rewards.items() if s % interval == 0}


@pytest.mark.unit
def test_trailing_mean_is_the_mean_of_the_points_in_the_window():
    steps = np.array([10, 20, 30, 60, 70])
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    # window 25: (s-25, s] holds 10 | 10,20 | 10,20,30 | 60 (the gap is not bridged) | 60,70
    assert trailing_mean(steps, values, 25).tolist() == [1.0, 1.5, 2.0, 10.0, 15.0]
    assert trailing_mean(steps, values, 0).tolist() == values.tolist()


@pytest.mark.unit
def test_setting_curve_counts_only_the_runs_that_have_a_point():
    long = (np.array([10, 20, 30]), np.array([1.0, 2.0, 3.0]))
    short = (np.array([11, 21]), np.array([5.0, 7.0]))
    curve = setting_curve([long, short], bin_steps=10)
    assert curve["seeds"].tolist() == [2, 2, 1]
    assert curve["mean"].tolist() == [3.0, 4.5, 3.0]
    assert curve["low"].tolist() == [1.0, 2.0, 3.0] and curve["high"].tolist() == [5.0, 7.0, 3.0]
    assert curve["step"].tolist() == [10, 20, 30]  # round(10.5) = 10, round(20.5) = 20 (to even)


@pytest.mark.e2e
def test_plot_each_run_reaches_its_own_last_step_and_the_band_is_numpys(tmp_path):
    reward = {0: lambda s: s / 100, 1: lambda s: s / 50, 2: lambda s: 3 * s / 100}
    lasts = {0: 30000, 1: 60000, 2: 50000}
    dirs = [write_run(tmp_path / f"clip{seed}", *evaluations(lasts[seed], reward[seed]), seed=seed)
            for seed in (0, 1, 2)]
    dirs.append(write_run(tmp_path / "klpen", *evaluations(20000, lambda s: 7.0), seed=3,
                          loss_type="KLPEN"))
    png = tmp_path / "curves.png"
    proc = run_python(PLOT, *dirs, "--out", png, "--smooth", 0)
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    series = read_series(tmp_path / "curves.csv", "HalfCheetah-v4 evaluation")
    clip, klpen = series["CLIP"], series["KLPEN"]
    assert clip[0]["step"] == 10000 and clip[-1]["step"] == 60000  # the longest run's end
    assert klpen[0]["step"] == 10000 and klpen[-1]["step"] == 20000
    assert [r["seeds"] for r in clip] == [3, 3, 3, 2, 2, 1]
    for row in clip:
        values = [reward[seed](row["step"]) for seed in (0, 1, 2) if row["step"] <= lasts[seed]]
        assert row["mean"] == pytest.approx(np.mean(values))
        assert (row["low"], row["high"]) == pytest.approx((np.min(values), np.max(values)))
    training = read_series(tmp_path / "curves.csv", "HalfCheetah-v4 training")["CLIP"]
    assert training[0]["step"] >= 5000 and training[-1]["step"] > 55000


@pytest.mark.e2e
def test_plot_smoothing_never_starts_before_the_first_evaluation(tmp_path):
    steps, evals = evaluations(300000, lambda s: s / 1000)  # a tenth: 30k, the whole window
    del evals[40000], evals[50000], evals[60000]  # a gap
    folder = write_run(tmp_path / "run", steps, evals)
    proc = run_python(PLOT, folder, "--out", tmp_path / "p.png", "--smooth", 30000)
    assert proc.returncode == 0, proc.stderr
    rows = read_series(tmp_path / "p.csv", "HalfCheetah-v4 evaluation")["CLIP"]
    assert [r["step"] for r in rows] == sorted(evals)  # no point before 10k, none inside the gap
    by_step = {r["step"]: r["mean"] for r in rows}
    assert by_step[30000] == pytest.approx(np.mean([10, 20, 30]))
    assert by_step[70000] == 70.0  # after the gap only 70k itself is within 30k
    assert by_step[90000] == pytest.approx(np.mean([70, 80, 90]))


@pytest.mark.e2e
def test_a_torn_last_row_is_left_out_with_a_note(tmp_path):
    folder = write_run(tmp_path / "run", *evaluations(30000, lambda s: 1.0))
    with open(os.path.join(folder, "progress.csv"), "a") as f:
        f.write("7,35000,35,1.5,")  # the run was writing this row
    assert load_run(folder)["last_step"] == 30000
    proc = run_python(PLOT, folder, "--out", tmp_path / "p.png")
    assert proc.returncode == 0 and "last row" in proc.stderr and "left out" in proc.stderr


@pytest.mark.e2e
def test_two_runs_with_one_seed_are_shown_as_such(tmp_path):
    a = write_run(tmp_path / "a", *evaluations(20000, lambda s: 1.0), seed=3)
    b = write_run(tmp_path / "b", *evaluations(20000, lambda s: 3.0), seed=3)
    proc = run_python(PLOT, a, b, a, "--out", tmp_path / "p.png")
    assert proc.returncode == 0, proc.stderr
    assert "given twice" in proc.stderr and "2 runs but seed 3 more than once" in proc.stderr
    rows = read_series(tmp_path / "p.csv", "HalfCheetah-v4 evaluation")["CLIP"]
    assert [r["seeds"] for r in rows] == [2, 2]


PARL_LINES = [f"[02-14 11:07:{i:02d} MainThread @train.py:180] Steps {i * 10000}, Evaluate reward: "
              f"{1000.0 + 10 * i}" for i in range(1, 8)]
TRAIN_LINE = ("[02-14 11:07:00 MainThread @train.py:175] Steps 10000, Train reward: 12.5, "
              "Policy loss: -0.01, KL: 0.002, Value loss: 0.3")
ARGV = ("\x1b[32m[02-14 11:06:52 MainThread @logger.py:224]\x1b[0m "  # PARL's colours, kept in a file
        "Argv: train.py --env Hopper-v2 --loss_type KLPEN")


@pytest.mark.e2e
@pytest.mark.parametrize("with_argv", [True, False])
def test_a_parl_log_gives_the_series_it_holds(tmp_path, with_argv):
    log = tmp_path / "parl.log"
    log.write_text("\n".join(([ARGV] if with_argv else []) + [TRAIN_LINE] + PARL_LINES) + "\n")
    flags = [] if with_argv else ["--parl_env", "Hopper-v2", "--parl_loss_type", "KLPEN"]
    proc = run_python(COMPARE, "--parl_log", log, *flags, "--smooth", 0, "--out",
                      tmp_path / "c.png")
    assert proc.returncode == 0, proc.stderr
    series = read_series(tmp_path / "c.csv")
    logged = series["your PARL logs KLPEN"]
    assert [(r["step"], r["mean"], r["seeds"]) for r in logged] == \
        [(i * 10000, 1000.0 + 10 * i, 1) for i in range(1, 8)]
    assert "published KLPEN" not in series  # Hopper's published curve starts at 500k
    rows = [line for line in proc.stdout.splitlines() if line.startswith("Hopper")]
    # 25, 50 and 100% of the log's 70k steps; nothing published before 500k
    assert [row.split()[2] for row in rows] == ["17k", "35k", "70k"]
    assert "1,055 (1 seed)" in rows[-1] and "our runs" not in proc.stdout
    assert rows[-1].endswith("no verdict: PARL's published curve starts at 500k")
    assert "starts at 500k" in proc.stderr


@pytest.mark.e2e
def test_several_parl_logs_become_a_mean_and_compare_with_the_published_curve(tmp_path):
    logs = []
    for seed, offset in enumerate((0.0, 100.0)):
        log = tmp_path / f"parl{seed}.log"
        log.write_text(ARGV.replace("Hopper-v2", "HalfCheetah-v2").replace("KLPEN", "CLIP") + "\n" + "".join(
            f"[02-14 11:07:00 MainThread @train.py:180] Steps {s}, Evaluate reward: {1500.0 + offset}\n"
            for s in range(10000, 600001, 10000)))
        logs += ["--parl_log", log]
    proc = run_python(COMPARE, *logs, "--out", tmp_path / "c.png", "--smooth", 0)
    assert proc.returncode == 0, proc.stderr
    series = read_series(tmp_path / "c.csv")
    assert {(r["mean"], r["low"], r["high"], r["seeds"]) for r in series["your PARL logs CLIP"]} == \
        {(1550.0, 1500.0, 1600.0, 2)}
    published = series["published CLIP"]
    # drawn to the logs' last step, 600k, interpolated there between its 500k and 750k points
    assert [r["step"] for r in published] == [250000, 500000, 600000]
    row = next(line for line in proc.stdout.splitlines() if "500k" in line)
    assert "1,550 [1,500, 1,600]" in row and "1,523" in row and "published inside the logs' band" in row


@pytest.mark.e2e
def test_the_table_says_why_a_mark_has_no_value(tmp_path):
    folder = write_run(tmp_path / "run", *evaluations(50000, lambda s: 5.0))
    proc = run_python(COMPARE, folder, "--out", tmp_path / "c.png", "--at", "20k", "0.5M")
    assert proc.returncode == 0, proc.stderr
    early, late = (line for line in proc.stdout.splitlines() if line.startswith("HalfCheetah"))
    assert early.endswith("no verdict: PARL's published curve starts at 250k")
    assert "500k" in late and "— (our runs end at 50k)" in late
    assert late.endswith("no verdict: our runs end at 50k")


EXAMPLE = os.path.join(os.path.dirname(ROOT), "shared", "reference", "parl2_example")
PARL2_RUNS = [os.path.join(ROOT, "results", "parl2", "runs", "HalfCheetah-v4", "parl2", f"seed{i}")
              for i in range(3)]


@pytest.mark.unit
@pytest.mark.parametrize("log", ["HalfCheetah-v4_seed1.log",
                                 "HalfCheetah-v4_seed1.events.out.tfevents"])
def test_parl2_examples_own_log_against_our_parl2_runs(tmp_path, capsys, log):
    """PARL 2.x's example's text log (whose evaluation lines carry no step) and its event file,
    beside our three parl2 seeds: read as PARL 2.x, compared with PARL-experiments' curve, with a
    value and a verdict at every mark (the log stopped at 999,424, its last whole update, and
    reaches 1M as our runs do)."""
    read, rows = compare_table(capsys, *PARL2_RUNS, "--parl_log", os.path.join(EXAMPLE, log),
                               "--parl_env", "HalfCheetah-v4", "--parl_loss_type", "CLIP",
                               "--at", "300k", "500k", "1M", "--out", tmp_path / "c.png")
    assert len(read) == 1 and read[0].endswith(
        "HalfCheetah-v4 (--parl_env), group parl2; 200 evaluations, at steps 2,048 to 995,328")
    assert ": PARL 2.x, " in read[0]
    assert [row[:3] for row in rows] == [["HalfCheetah", "parl2", m] for m in ("300k", "500k", "1M")]
    assert [row[4] for row in rows] == ["959 (1 seed)", "1,550 (1 seed)", "1,579 (1 seed)"]
    assert [row[5] for row in rows] == ["1,243 [769, 1,761]", "2,009 [1,287, 2,731]",
                                        "2,774 [1,804, 3,745]"]  # PARL-experiments'
    assert all(" our band" in row[6] for row in rows)
    series = read_series(tmp_path / "c.csv")
    assert [(r["step"], round(r["mean"])) for r in series["table your PARL logs parl2"]] == \
        [(300000, 959), (500000, 1550), (1000000, 1579)]
    assert series["published parl2"][-1]["step"] == 1000000


@pytest.mark.unit
def test_a_short_runs_lines_meet_the_tables_values_at_its_marks(tmp_path, capsys):
    """A 50k run drawn with a 50k trailing mean ended its line on the mean of all its
    evaluations (300), the table on those in the second half (400); the marks were not drawn."""
    run = write_run(tmp_path / "run", *evaluations(50000, lambda s: s / 100), env_id="Hopper-v4",
                    loss_type="KLPEN")
    _, rows = compare_table(capsys, run, "--out", tmp_path / "c.png")
    assert [row[2:4] for row in rows] == [["12k", "100 (1 seed)"], ["25k", "200 (1 seed)"],
                                          ["50k", "400 (1 seed)"]]
    series = read_series(tmp_path / "c.csv")
    assert {r["step"]: r["mean"] for r in series["ours KLPEN"]}[50000] == 400
    assert [(r["step"], r["mean"]) for r in series["table ours KLPEN"]] == \
        [(12000, 100), (25000, 200), (50000, 400)]


@pytest.mark.unit
def test_a_published_value_the_table_prints_is_drawn(tmp_path, capsys):
    """At 300k PARL v1.4's curve is interpolated between its 250k and 500k points: the figure
    drew only the 250k one."""
    run = write_run(tmp_path / "run", *evaluations(300000, lambda s: 1800.0))
    _, rows = compare_table(capsys, run, "--at", "300k", "--out", tmp_path / "c.png")
    assert rows[0][4] == "1,239"  # 1,168 + (1,523 - 1,168) / 5
    published = read_series(tmp_path / "c.csv")["published CLIP"]
    assert [(r["step"], round(r["mean"])) for r in published] == [(250000, 1168), (300000, 1239)]


@pytest.mark.unit
def test_every_no_verdict_gives_its_true_reason(tmp_path, capsys):
    """A mark without an evaluation in its window said the runs ended (at 10k, after the mark);
    a parl2 CartPole run that ran all its updates (4,608 steps of 5,000) showed its untrained
    evaluation at step 512 as its value at 5k."""
    early = write_run(tmp_path / "early", [5000, 10000], {10000: 5.0})
    _, rows = compare_table(capsys, early, "--at", "5k", "10k", "20k", "--out", tmp_path / "c.png")
    assert rows[0][3] == "— (our runs have no evaluation in (2.5k, 5k])"
    assert rows[0][-1] == ("no verdict: our runs have no evaluation in (2.5k, 5k]; PARL's "
                           "published curve starts at 250k")
    assert rows[1][3] == "5 (1 seed)" and rows[2][3] == "— (our runs end at 10k)"
    cartpole = write_parl2_run(tmp_path / "cartpole", list(range(512, 4609, 512)), {512: 20.0},
                               env_id="CartPole-v1", kind="classic", train_total_steps=5000)
    _, rows = compare_table(capsys, cartpole, "--out", tmp_path / "c.png")
    assert [row[2] for row in rows] == ["1.2k", "2.5k", "5k"]
    assert rows[2][3:] == ["— (our runs have no evaluation in (2.5k, 5k])",
                           "— (none for CartPole parl2)",
                           "no verdict: our runs have no evaluation in (2.5k, 5k]; no published "
                           "curve for CartPole parl2"]


@pytest.mark.unit
def test_logs_with_and_without_an_argv_line_are_read_side_by_side(tmp_path, capsys):
    """Each log's own Argv: line wins; --parl_env and --parl_loss_type fill in the others (they
    were refused as contradicting the first)."""
    named, unnamed = tmp_path / "named.log", tmp_path / "unnamed.log"
    named.write_text("\n".join([ARGV] + PARL_LINES) + "\n")
    unnamed.write_text("\n".join(PARL_LINES) + "\n")
    read, rows = compare_table(capsys, "--parl_log", named, "--parl_log", unnamed, "--parl_env",
                               "HalfCheetah-v2", "--parl_loss_type", "CLIP", "--smooth", 0,
                               "--out", tmp_path / "c.png")
    assert read[0].startswith(f"{named}: PARL 1.x, text log of PARL's examples/PPO/train.py; "
                              f"Hopper-v2 (its Argv: line), group KLPEN; 7 evaluations")
    assert read[1].startswith(f"{unnamed}: PARL 1.x, text log of PARL's examples/PPO/train.py; "
                              "HalfCheetah-v2 (--parl_env, --parl_loss_type), group CLIP")
    assert {tuple(row[:2]) for row in rows} == {("HalfCheetah", "CLIP"), ("Hopper", "KLPEN")}


@pytest.mark.unit
def test_the_legend_names_a_seed_band_only_where_one_is_drawn(tmp_path, capsys):
    """One seed beside PARL-experiments' banded curve: its band is not a band of our seeds."""
    import matplotlib.pyplot as plt

    steps = list(range(2048, 999425, 2048))
    run = write_parl2_run(tmp_path / "parl2", steps, {s: 2000.0 for s in steps[::10]},
                          train_total_steps=1000000)
    compare_table(capsys, run, "--out", tmp_path / "c.png")
    legend = plt.figure(plt.get_fignums()[-1]).axes[0].get_legend()
    labels = [text.get_text() for text in legend.get_texts()]
    assert "band: min–max over seeds" not in labels
    assert "parl2: its seeds' band" in labels
    assert "the table at its marks: ours parl2, mean [min, max]" in labels


@pytest.mark.unit
def test_runs_of_one_task_on_other_physics_are_drawn_and_tabled_apart(tmp_path, capsys):
    """Hostile case: runs of Gym's own HalfCheetah-v2 (mujoco-py) and of Gymnasium's -v4 were one
    group, their seeds averaged together under the first run's id."""
    from mujoco_ppo.comparison.compare import main
    literal = write_run(tmp_path / "v2", *evaluations(500000, lambda s: 1000.0),
                        env_id="HalfCheetah-v2")
    v4 = write_run(tmp_path / "v4", *evaluations(500000, lambda s: 2000.0))
    main([v4, literal, "--smooth", "0", "--out", str(tmp_path / "c.png")])
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()
            if "  500k  " in line}
    assert "1,000 (1 seed)" in rows["HalfCheetah-v2"] and "2,000 (1 seed)" in rows["HalfCheetah-v4"]
    series = read_series(tmp_path / "c.csv")
    assert {r["mean"] for r in series["ours CLIP (HalfCheetah-v2)"]} == {1000.0}
    assert {r["mean"] for r in series["ours CLIP (HalfCheetah-v4)"]} == {2000.0}


@pytest.mark.e2e
def test_both_generations_against_both_published_curves(tmp_path):
    """A first-PPO run (CLIP) and a PARL 2.x run in one panel: each beside its own published curve
    (v1.4's CLIP; PARL-experiments' parl2, with its seed band), in the figure's CSV and the table;
    the parl2 run, which ran all its updates, counts as reaching its 1M budget."""
    first = write_run(tmp_path / "clip", *evaluations(1000000, lambda s: 1800.0, interval=50000))
    # parl2 stops at the last whole rollout within its budget: 488 rollouts of 2,048 = 999,424
    steps = list(range(2048, 999425, 2048))
    second = write_parl2_run(tmp_path / "parl2", steps,
                             {s: 2000.0 for s in steps[::10] + steps[-1:]},
                             train_total_steps=1000000)
    proc = run_python(COMPARE, first, second, "--smooth", 0, "--out", tmp_path / "c.png")
    assert proc.returncode == 0, proc.stderr
    published = {tuple(row[::2][:2]): row for row in csv.reader(open(
        os.path.join(ROOT, "mujoco_ppo", "analysis", "reference", "parl_experiments_ppo_paddle.csv")))}
    low, high = (float(v) for v in published[("HalfCheetah-v4", "1000000")][4:6])
    rows = {line.split()[1]: line for line in proc.stdout.splitlines()
            if line.startswith("HalfCheetah") and "  1M  " in line}
    assert f"[{low:,.0f}, {high:,.0f}]" in rows["parl2"] and "2,000 (1 seed)" in rows["parl2"]
    assert "published above our single seed" in rows["parl2"]  # 2,760 > 2,000 + 22
    assert "1,848" in rows["CLIP"]  # v1.4's digitised CLIP mean at 1M
    assert "published inside our single seed" in rows["CLIP"]  # within 1,800 +- 60
    series = read_series(tmp_path / "c.csv", "HalfCheetah")
    assert {"ours CLIP", "ours parl2", "published CLIP", "published parl2"} <= set(series)
    band = {r["step"]: (r["low"], r["high"]) for r in series["published parl2"]}
    assert band[1000000.0] == (low, high)


@pytest.mark.e2e
def test_random_policy_is_drawn_as_the_tasks_uniform_random_return(tmp_path):
    folder = write_run(tmp_path / "run", *evaluations(50000, lambda s: 300.0), env_id="CartPole-v1")
    proc = run_python(COMPARE, folder, "--random_policy", "--out", tmp_path / "c.png")
    assert proc.returncode == 0, proc.stderr
    score = random_policy_score("CartPole-v1")
    assert 10 < score < 50  # uniform actions topple the pole in about 22 steps
    row = next(line for line in proc.stdout.splitlines() if line.split()[:2] == ["CartPole", "random"])
    assert f"{score:,.1f} (CartPole-v1, 10 episodes)" in row
    line = read_series(tmp_path / "c.csv", "CartPole")["random policy"]
    assert [(r["step"], r["mean"]) for r in line] == [(0.0, pytest.approx(score, abs=1e-3)),
                                                      (50000.0, pytest.approx(score, abs=1e-3))]


@pytest.mark.unit
def test_digitiser_reads_back_a_drawn_curve_and_band():
    """scripts/digitise_parl_experiments.py on a panel drawn like PARL-experiments' (black frame,
    grey gridlines, pink band, 3-pixel red line; the y axis not starting at the frame, as on
    Breakout's): the mean and the band come back to within a pixel's worth of reward, through the
    gridlines."""
    from mujoco_ppo.comparison.digitise import digitise

    pixels = np.full((480, 770, 3), 255, np.uint8)
    x0, x1, y0, y1 = 68, 754, 38, 409  # the frame; axes 0..5e6 steps, -500..7,500 reward
    to_y = lambda reward: y1 - (reward + 500) / 8000 * (y1 - y0)  # noqa: E731
    mean = lambda step: 1000 + step / 2000  # noqa: E731  1,000 at 0, 3,500 at 5M
    for reward in (2000, 4000, 6000):  # 5-pixel horizontal gridlines
        pixels[round(to_y(reward)) - 2:round(to_y(reward)) + 3, x0:x1] = 228
    for x in range(x0, x1 + 1):
        step = (x - x0) / (x1 - x0) * 5e6
        top, bottom = round(to_y(mean(step) + 800)), round(to_y(mean(step) - 500))
        gridline = abs(step / 1e6 - round(step / 1e6)) * (x1 - x0) / 5 < 2  # 4 pixels a 1M
        if gridline:
            pixels[y0:y1, x] = 228
        pixels[top:bottom + 1, x] = (228, 199, 199) if gridline else (250, 209, 210)
        centre = round(to_y(mean(step)))
        pixels[centre - 1:centre + 2, x] = (214, 39, 40)
    pixels[y0:y1 + 1, [x0, x1]] = 0
    pixels[[y0, y1], x0:x1 + 1] = 0
    rows = {row[0]: row[1:] for row in digitise(pixels, (0, 0, 770, 480), 5e6, (2000, 4000, 6000),
                                                 500000)}
    assert sorted(rows) == list(range(500000, 5000001, 500000))
    for step, (got_mean, low, high) in rows.items():
        assert abs(got_mean - mean(step)) <= 22, (step, got_mean)
        assert abs(low - (mean(step) - 500)) <= 22 and abs(high - (mean(step) + 800)) <= 22, step


@pytest.mark.unit
def test_final_score_uses_each_runs_own_last_tenth(tmp_path):
    short = load_run(write_run(tmp_path / "a", *evaluations(50000, lambda s: s / 1000)))
    long = load_run(write_run(tmp_path / "b", *evaluations(200000, lambda s: s / 1000)))
    assert final_score(short) == 50.0  # steps >= 45k: the 50k evaluation
    assert final_score(long) == pytest.approx(np.mean([180, 190, 200]))  # steps >= 180k


@pytest.mark.e2e
def test_aggregate_says_one_seed_and_writes_the_curves_csv(tmp_path):
    grid = tmp_path / "grid"
    for seed in (0, 1, 2):
        write_run(grid / "runs" / "HalfCheetah-v2" / "CLIP" / f"seed{seed}",
                  *evaluations(100000, lambda s, seed=seed: s / 100 + 10 * seed), seed=seed)
    write_run(grid / "runs" / "HalfCheetah-v2" / "KLPEN" / "seed0",
              *evaluations(50000, lambda s: 2000.0), loss_type="KLPEN")
    write_run(grid / "runs" / "HalfCheetah-v2" / "KLPEN" / "seed1", [], {}, loss_type="KLPEN", seed=1)
    (grid / "random_policy.json").write_text('{"HalfCheetah-v4": -250.0}')
    proc = run_python(ABLATE, "aggregate", grid, "--smooth", 0)
    assert proc.returncode == 0, proc.stderr
    assert "left out" in proc.stderr and "seed1" in proc.stderr  # the header-only run
    summary = (grid / "summary.md").read_text()
    clip = next(line for line in summary.splitlines() if "| CLIP |" in line and "HalfCheetah" in line)
    scores = [np.mean([900 + 10 * seed, 1000 + 10 * seed]) for seed in (0, 1, 2)]
    assert f"{np.mean(scores):,.0f} ± {np.std(scores, ddof=1):,.0f}" in clip and "| 100,000 |" in clip
    klpen = next(line for line in summary.splitlines() if "| KLPEN |" in line and "HalfCheetah" in line)
    assert "| 1 seed × 1 evaluation episode each (fewer than 5) |" in klpen
    assert "| 2,000 | 1 seed: none |" in klpen and "±" not in klpen and "| 50,000 |" in klpen
    rows = read_series(grid / "curves_HalfCheetah-v4.csv")
    assert rows["CLIP"][-1]["step"] == 100000 and rows["KLPEN"][-1]["step"] == 50000
    assert (grid / "curves_HalfCheetah-v4.png").read_bytes()[:4] == b"\x89PNG"


def write_header_only(folder):
    write_run(folder, [], {})


def write_torn_middle(folder):
    write_run(folder, *evaluations(30000, lambda s: 1.0))
    path = os.path.join(folder, "progress.csv")
    lines = open(path).read().splitlines()
    lines[2] = lines[2][:10]
    open(path, "w").write("\n".join(lines) + "\n")


def write_no_evaluation(folder):
    write_run(folder, [5000, 10000], {})


def write_no_progress(folder):
    write_run(folder, *evaluations(20000, lambda s: 1.0))
    os.remove(os.path.join(folder, "progress.csv"))


def write_fifo_progress(folder):
    write_no_progress(folder)
    os.mkfifo(os.path.join(folder, "progress.csv"))  # opening it would wait for a writer


@pytest.mark.e2e
@pytest.mark.parametrize("make, phrase", [
    (os.makedirs, "not a run directory: config.json and progress.csv are missing"),
    (write_no_progress, "progress.csv is missing"),
    (write_header_only, "no finished iteration yet"),
    (write_torn_middle, "line 3 is not a complete row"),
    (write_no_evaluation, "no evaluation yet (10,000 steps trained)"),
    (write_fifo_progress, "progress.csv is a FIFO, not a regular file"),
])
def test_bad_runs_are_one_sentence_and_exit_2(tmp_path, make, phrase):
    folder = str(tmp_path / "run")
    make(folder)
    for script in (PLOT, COMPARE):
        proc = run_python(script, folder, "--out", tmp_path / "x.png", timeout=120)
        assert_one_sentence(proc, 2, phrase)
    assert not (tmp_path / "x.png").exists()


@pytest.mark.e2e
@pytest.mark.parametrize("log_text, flags, phrase", [
    ("\n".join([ARGV, PARL_LINES[0], PARL_LINES[1].replace("1020.0", "e")]), [],
     "line 3: the evaluation reward 'e' is not a finite number"),
    ("\n".join(PARL_LINES), [], "no 'Argv:' line"),
    ("\n".join(PARL_LINES), ["--parl_env", "Hopper-v2"], "no 'Argv:' line"),
    ("\n".join([ARGV.replace("KLPEN", "PPO2")] + PARL_LINES), [], "loss type 'PPO2'"),
    ("\n".join([ARGV, TRAIN_LINE]), [], "has no evaluation lines: neither PARL 1.x's 'Steps N, "),
    ("\n".join([ARGV] + PARL_LINES), ["--smooth", -1], "--smooth must be 0"),
    ("\n".join([ARGV] + PARL_LINES), ["--window", 0], "--window must be a whole number of steps"),
    ("\n".join([ARGV] + PARL_LINES), ["--window", "1e300"], "from 1 to 1e+12, got 1e+300"),
    ("\n".join([ARGV] + PARL_LINES), ["--until", "1e300"], "from 1 to 1e+12, got 1e+300"),
    ("\n".join([ARGV] + PARL_LINES), ["--smooth", "1e300"], "up to 1e+12, got 1e+300"),
    ("\n".join([ARGV] + PARL_LINES), ["--at", "1e300"], "from 1 to 1e+12"),
    ("\n".join([ARGV] + PARL_LINES), ["--out", "/nonexistent/dir/c.png"], "does not exist"),
    ("\n".join([ARGV] + PARL_LINES), ["--parl_loss_type", "PPO"], "invalid choice"),
])
def test_bad_parl_logs_and_flags_are_one_sentence_and_exit_2(tmp_path, log_text, flags, phrase):
    log = tmp_path / "parl.log"
    log.write_text(log_text + "\n")
    args = [COMPARE, "--parl_log", log, *flags]
    if "--out" not in flags:
        args += ["--out", tmp_path / "c.png"]
    proc = run_python(*args)
    assert_one_sentence(proc, 2, phrase)


def fifo(path):
    os.mkfifo(path)


def damaged_event_file(path):
    data = open(os.path.join(EXAMPLE, "HalfCheetah-v4_seed1.events.out.tfevents"), "rb").read()
    path.write_bytes(data[:30020] + bytes([data[30020] ^ 0xFF]) + data[30021:])


def huge_rewards(path):
    path.write_text("\n".join([ARGV] + [line.rsplit(" ", 1)[0] + " 1e308"
                                        for line in PARL_LINES]) + "\n")


@pytest.mark.e2e
@pytest.mark.parametrize("make, flags, phrase", [
    (fifo, [], "is a FIFO, not a regular file"),  # opening it would wait for a writer
    (os.makedirs, [], "is a directory, not a regular file"),
    (damaged_event_file, ["--parl_env", "HalfCheetah-v4"], "is damaged at byte 29,997"),
    (damaged_event_file, [], "is a TensorBoard event file, which does not name its task"),
    (huge_rewards, [], "line 2: the evaluation reward '1e308' is not a finite number within"),
])
def test_a_parl_log_that_cannot_be_read_is_one_sentence(tmp_path, make, flags, phrase):
    log = tmp_path / "parl.log"
    make(log)
    proc = run_python(COMPARE, "--parl_log", log, *flags, "--out", tmp_path / "c.png",
                      timeout=60)
    assert_one_sentence(proc, 2, phrase)


@pytest.mark.unit
def test_reference_curves_that_are_no_regular_file_are_refused(tmp_path):
    from mujoco_ppo.analysis.parl_published import load_reference
    from mujoco_ppo.errors import UserError

    os.mkfifo(tmp_path / "curves.csv")
    with pytest.raises(UserError, match="curves.csv are a FIFO, not a regular file"):
        load_reference([str(tmp_path / "curves.csv")])


@pytest.mark.e2e
@pytest.mark.parametrize("args, phrase", [
    ([COMPARE], "give run directories of ours, --parl_log files, or both"),
    ([PLOT, "/nonexistent/run"], "/nonexistent/run does not exist"),
    ([PLOT, "RUN", "--smooth", "-5"], "--smooth must be 0"),
    ([PLOT, "RUN", "--smooth", "x"], "'x' is not a number"),
    ([PLOT, "RUN", "--out", "/nonexistent/dir/p.png"], "does not exist"),
    ([PLOT, "RUN", "--out", "curves.pdf"], "--out must name a .png file"),
    ([ABLATE, "aggregate", "/nonexistent/grid"], "/nonexistent/grid does not exist"),
    ([ABLATE, "aggregate", "EMPTY"], "no run with an evaluation under"),
    ([ABLATE, "aggregate", "EMPTY", "--smooth", "-1"], "--smooth must be 0"),
    ([PLOT, "RUN", "--out", "RUN/progress.csv/p.png"], "progress.csv is not a directory"),
])
def test_bad_arguments_are_one_sentence_and_exit_2(tmp_path, args, phrase):
    folder = write_run(tmp_path / "run", *evaluations(20000, lambda s: 1.0))
    os.makedirs(tmp_path / "empty" / "runs")
    args = [str(a).replace("RUN", folder).replace("EMPTY", str(tmp_path / "empty")) for a in args]
    proc = run_python(*args)
    assert_one_sentence(proc, 2, phrase)


@pytest.mark.e2e
def test_until_shows_runs_as_they_were_at_that_step(tmp_path):
    folder = write_run(tmp_path / "run", *evaluations(80000, lambda s: s / 1000))
    proc = run_python(COMPARE, folder, "--until", 50000, "--smooth", 0, "--out", tmp_path / "c.png")
    assert proc.returncode == 0, proc.stderr
    rows = read_series(tmp_path / "c.csv")["ours CLIP"]
    assert [r["step"] for r in rows] == [10000, 20000, 30000, 40000, 50000]
    marks = [line.split()[2] for line in proc.stdout.splitlines() if line.startswith("HalfCheetah")]
    assert marks == ["12k", "25k", "50k"]  # the marks of the run cut at 50k


@pytest.mark.e2e
def test_aggregate_that_cannot_write_its_table_is_one_sentence(tmp_path):
    grid = tmp_path / "grid"
    write_run(grid / "runs" / "HalfCheetah-v2" / "CLIP" / "seed0", *evaluations(20000, lambda s: 1.0))
    (grid / "random_policy.json").write_text('{"HalfCheetah-v4": -250.0}')
    os.makedirs(grid / "summary.md")  # in the way of the table
    proc = run_python(ABLATE, "aggregate", grid)
    assert proc.returncode == 2 and "cannot write" in proc.stderr and "summary.md" in proc.stderr
    assert_no_traceback(proc.stderr)
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not [name for name in os.listdir(grid) if ".tmp" in name]  # no half-written file left


@pytest.mark.e2e
def test_many_settings_become_a_grid_of_readable_panels(tmp_path):
    import struct
    targets = [0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05]
    dirs = [write_run(tmp_path / f"kl{t}", *evaluations(30000, lambda s, t=t: 1000 * t),
                      loss_type="KLPEN", kl_targ=t) for t in targets]
    proc = run_python(PLOT, *dirs, "--out", tmp_path / "p.png")
    assert proc.returncode == 0, proc.stderr
    width, height = struct.unpack(">II", (tmp_path / "p.png").read_bytes()[16:24])
    assert (width, height) == (1300, 940)  # 2 x 2 panels: settings 1-6 and 7-8, evaluation and training
    series = read_series(tmp_path / "p.csv", "HalfCheetah-v4 evaluation")
    assert sorted(series) == sorted(f"KLPEN kl_targ={t:g}" for t in targets)
    assert all([r["mean"] for r in rows] == [1000 * float(name.split("=")[1])] * 3
               for name, rows in series.items())


@pytest.mark.e2e
def test_steps_to_reward_is_the_first_trailing_mean_at_the_level(tmp_path):
    # evaluations 0, 100, 200, ... at 10k, 20k, 30k, ...; the 30k trailing mean (s - 30k, s]
    # first reaches 400 at 60k: (300 + 400 + 500) / 3 (at 50k it is (200 + 300 + 400) / 3)
    steps, evals = every(100000, 10000, lambda s: (s // 10000 - 1) * 100)
    a = write_run(tmp_path / "a", steps, evals, seed=0)
    b = write_run(tmp_path / "b", steps, {s: 0.0 for s in steps}, seed=1)
    proc = run_python(STEPS_TO_REWARD, a, b, "--reward", 400, "--smooth", 30000, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "seed 0: 60,000" in lines[0] and "seed 1: not reached by 100,000" in lines[1]
    assert lines[2].endswith("1 of 2 seeds reached 400, median step 60,000")


STEPS_TO_REWARD = os.path.join(ROOT, "scripts", "steps_to_reward.py")


@pytest.mark.e2e
def test_both_generations_of_one_task_are_plotted_counted_and_aggregated(tmp_path):
    """A parl1 CLIP run and a parl2 run of HalfCheetah-v4: parl2 has no episodes_per_batch and
    its own gamma and lambda, and is labelled parl2; the parl1 setting keeps its plain label."""
    grid = tmp_path / "grid"
    clip = write_run(grid / "runs" / "HalfCheetah-v4" / "CLIP" / "seed0",
                     *evaluations(30000, lambda s: 1000.0))
    steps = list(range(2048, 30721, 2048))
    parl2 = write_parl2_run(grid / "runs" / "HalfCheetah-v4" / "parl2" / "seed1", steps,
                            {s: 2000.0 for s in steps}, seed=1, train_total_steps=30720)
    proc = run_python(PLOT, clip, parl2, "--out", tmp_path / "p.png", "--smooth", 0)
    assert proc.returncode == 0, proc.stderr
    assert set(read_series(tmp_path / "p.csv", "HalfCheetah-v4 evaluation")) == {"CLIP", "parl2"}
    proc = run_python(STEPS_TO_REWARD, clip, parl2, "--reward", 1500, "--smooth", 0)
    assert proc.returncode == 0, proc.stderr
    assert "HalfCheetah-v4 CLIP, seed 0: not reached by 30,000" in proc.stdout
    assert "HalfCheetah-v4 parl2, seed 1: 2,048" in proc.stdout
    (grid / "random_policy.json").write_text('{"HalfCheetah-v4": -250.0}')
    proc = run_python(ABLATE, "aggregate", grid, "--smooth", 0)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split(" | ")[1]: line for line in (grid / "summary.md").read_text().splitlines()
            if line.startswith("| HalfCheetah-v4 |")}
    assert set(rows) == {"CLIP", "parl2"}
    assert rows["parl2"].endswith("| 1.00 |") and rows["CLIP"].endswith(f"| {1250 / 2250:.2f} |")


@pytest.mark.e2e
def test_a_normalised_score_no_setting_can_have_is_said_to_be_undefined(tmp_path):
    """The best final reward equals the random policy's (a grid too short to learn): the
    normalised score (score - random) / (best - random) is undefined, and the table says so."""
    grid = tmp_path / "grid"
    write_run(grid / "runs" / "CartPole-v1" / "CLIP" / "seed0", *evaluations(20000, lambda s: 22.0),
              env_id="CartPole-v1")
    write_run(grid / "runs" / "HalfCheetah-v4" / "CLIP" / "seed0",
              *evaluations(20000, lambda s: 500.0))
    (grid / "random_policy.json").write_text('{"CartPole-v1": 22.0, "HalfCheetah-v4": -250.0}')
    proc = run_python(ABLATE, "aggregate", grid, "--smooth", 0)
    assert proc.returncode == 0, proc.stderr
    summary = (grid / "summary.md").read_text()
    behind = "1 seed × 1 evaluation episode each (fewer than 5)"
    assert f"| CartPole-v1 | CLIP | {behind} | 20,000 | 22 | 1 seed: none | undefined |" in summary
    assert f"| HalfCheetah-v4 | CLIP | {behind} | 20,000 | 500 | 1 seed: none | 1.00 |" in summary
    assert "Across 1 environment, normalised scores" in summary
    assert "Normalised score undefined (left out of the statistics across environments): " \
           "CartPole-v1 (best setting, CLIP 22.0, random 22.0)" in summary
    with open(grid / "summary.csv", newline="") as f:
        assert [row["normalised"] for row in csv.DictReader(f)] == ["", "1.0"]


@pytest.mark.e2e
def test_the_random_policy_of_a_parl_log_runs_its_v2_task_as_v4(tmp_path):
    log = tmp_path / "parl.log"
    log.write_text("\n".join([ARGV.replace("Hopper-v2", "InvertedPendulum-v2")] + PARL_LINES) + "\n")
    proc = run_python(COMPARE, "--parl_log", log, "--random_policy", "--out", tmp_path / "c.png")
    assert proc.returncode == 0, proc.stderr
    score = random_policy_score("InvertedPendulum-v4")
    row = next(line for line in proc.stdout.splitlines() if line.split()[1] == "random")
    assert f"{score:,.1f} (InvertedPendulum-v4, 10 episodes)" in row  # the id that ran
    log.write_text("\n".join(PARL_LINES) + "\n")
    assert_one_sentence(run_python(COMPARE, "--parl_log", log, "--parl_env", "Foo-v0",
                                   "--parl_loss_type", "CLIP", "--random_policy", "--out",
                                   tmp_path / "c.png"), 2, "unknown environment id 'Foo-v0'")


@pytest.mark.e2e
@pytest.mark.parametrize("argv, steps, phrase", [
    ("--test_every_steps abc", 10000, "--test_every_steps 'abc' (its Argv: line), which is not a"),
    ("--test_every_steps 1e400", 10000, "--test_every_steps '1e400'"),
    ("--test_every_steps=0", 10000, "--test_every_steps '0'"),
    ("", 99999999999999999999999, "line 2: the step count 99999999999999999999999 is beyond 2**63 - 1"),
])
def test_a_parl_log_with_impossible_numbers_is_one_sentence(tmp_path, argv, steps, phrase):
    log = tmp_path / "parl.log"
    log.write_text(f"{ARGV} {argv}\n{PARL_LINES[0].replace('Steps 10000', f'Steps {steps}')}\n")
    assert_one_sentence(run_python(COMPARE, "--parl_log", log, "--out", tmp_path / "c.png"), 2,
                        phrase)
    assert not (tmp_path / "c.png").exists()


@pytest.mark.e2e
def test_the_table_of_a_very_long_log_has_at_most_twenty_three_marks(tmp_path):
    """A log that reaches 2**63 - 1 steps: its marks are 0.5M and every 461,168,601,843M, and
    its quarter, half and whole length."""
    log = tmp_path / "parl.log"
    log.write_text(f"{ARGV}\n{PARL_LINES[0]}\n"
                   f"{PARL_LINES[1].replace('Steps 20000', f'Steps {2**63 - 1}')}\n")
    proc = run_python(COMPARE, "--parl_log", log, "--out", tmp_path / "c.png", "--smooth", 0)
    assert proc.returncode == 0, proc.stderr
    marks = [line.split()[2] for line in proc.stdout.splitlines() if line.startswith("Hopper")]
    # and 25, 50 and 100% of the log's length, rounded down to two significant figures
    assert len(marks) == 23 and marks[:2] == ["500k", f"{461168601843:g}M"]
    assert {"2.3e+12M", "4.6e+12M", "9.2e+12M"} <= set(marks)


def args_a_list(config):
    config["args"] = [config["args"]]


def env_id_a_number(config):
    config["env_id"] = 5


def interval_a_string(config):
    config["args"]["test_every_steps"] = "abc"


def interval_zero(config):
    config["args"]["test_every_steps"] = 0


def parl2_without_config(config):
    config.update(algo="parl2")


@pytest.mark.e2e
@pytest.mark.parametrize("damage, phrase", [
    (args_a_list, "config.json: field 'args' should be an object"),
    (env_id_a_number, "config.json: field 'env_id' should be a string, not 5"),
    (interval_a_string, "field 'args.test_every_steps' should be a whole number, not 'abc'"),
    (interval_zero, "config.json: --test_every_steps must be positive, got 0"),
    (parl2_without_config, "config.json: field 'config' is missing"),
    (None, "config.json is unreadable (JSONDecodeError"),
])
def test_a_damaged_config_json_is_one_sentence_naming_the_field(tmp_path, damage, phrase):
    """Every reader of a run (plot.py, compare_parl.py, steps_to_reward.py; ablate.py aggregate
    leaves the run out, saying why) checks its config.json as resume does."""
    folder = write_run(tmp_path / "grid" / "runs" / "HalfCheetah-v4" / "CLIP" / "seed0",
                       *evaluations(20000, lambda s: 1.0))
    path = os.path.join(folder, "config.json")
    with open(path) as f:
        config = json.load(f)
    if damage:
        damage(config)
        with open(path, "w") as f:
            json.dump(config, f)
    else:
        with open(path, "w") as f:
            f.write('{"args": ')
    for args in ([PLOT, folder, "--out", tmp_path / "x.png"],
                 [COMPARE, folder, "--out", tmp_path / "x.png"],
                 [STEPS_TO_REWARD, folder, "--reward", 1]):
        assert_one_sentence(run_python(*args), 2, phrase)
    assert not (tmp_path / "x.png").exists()
    proc = run_python(ABLATE, "aggregate", tmp_path / "grid")
    assert proc.returncode == 2 and f"left out: {path}" in proc.stderr and phrase in proc.stderr
    assert_no_traceback(proc.stderr)


@pytest.mark.e2e
@pytest.mark.parametrize("content, phrase", [
    ("{not json", "random_policy.json is unreadable (JSONDecodeError"),
    ("[-250.0]", "random_policy.json: its content should be an object"),
    ('{"HalfCheetah-v4": "abc"}', "field 'HalfCheetah-v4' should be a number, not 'abc'"),
    ('{"HalfCheetah-v4": NaN}', "field 'HalfCheetah-v4' should be a finite number, not nan"),
])
def test_a_damaged_random_policy_json_is_one_sentence_and_kept(tmp_path, content, phrase):
    grid = tmp_path / "grid"
    write_run(grid / "runs" / "HalfCheetah-v4" / "CLIP" / "seed0", *evaluations(20000, lambda s: 1.0))
    (grid / "random_policy.json").write_text(content)
    proc = run_python(ABLATE, "aggregate", grid)
    assert_one_sentence(proc, 2, phrase)
    assert "delete it to measure the random policy again" in proc.stderr
    assert (grid / "random_policy.json").read_text() == content
    assert not (grid / "summary.md").exists()


@pytest.mark.e2e
def test_steps_to_reward_refuses_a_reward_that_is_not_finite(tmp_path):
    folder = write_run(tmp_path / "run", *evaluations(20000, lambda s: 1.0))
    for reward in ("nan", "inf", "-inf"):
        assert_one_sentence(run_python(STEPS_TO_REWARD, folder, f"--reward={reward}"), 2,
                            "--reward must be a finite number")


@pytest.mark.e2e
def test_every_tool_reads_smooth_alike(tmp_path):
    """--smooth 1e5 is 100,000 steps in each tool; -1 is refused by each in the same words."""
    steps, evals = every(1000000, 10000, lambda s: float(s >= 950000))  # a tenth: 100k
    folder = write_run(tmp_path / "grid" / "runs" / "HalfCheetah-v4" / "CLIP" / "seed0", steps, evals)
    proc = run_python(STEPS_TO_REWARD, folder, "--reward", 0.5, "--smooth", "1e5")
    assert proc.returncode == 0, proc.stderr
    assert "seed 0: 990,000" in proc.stdout  # (890k, 990k] holds 5 ones among 10 evaluations
    proc = run_python(PLOT, folder, "--out", tmp_path / "p.png", "--smooth", "1e5")
    assert proc.returncode == 0, proc.stderr
    rows = read_series(tmp_path / "p.csv", "HalfCheetah-v4 evaluation")["CLIP"]
    assert rows[-1]["mean"] == pytest.approx(0.6)  # (900k, 1M]: 6 of 10
    (tmp_path / "grid" / "random_policy.json").write_text('{"HalfCheetah-v4": -250.0}')
    for args in ([PLOT, folder, "--out", tmp_path / "p.png"], [STEPS_TO_REWARD, folder, "--reward", 1],
                 [COMPARE, folder, "--out", tmp_path / "p.png"], [ABLATE, "aggregate", tmp_path / "grid"]):
        assert_one_sentence(run_python(*args, "--smooth", -1), 2,
                            "--smooth must be 0 (no smoothing)")


V2_PHYSICS = os.path.join(ROOT, "scripts", "v2_physics.py")
V2_PYTHON = os.path.join(ROOT, ".venv-v2", "bin", "python")


@pytest.mark.e2e
def test_v2_physics_without_the_v2_stack_is_one_sentence_and_exit_2(tmp_path):
    proc = run_python(V2_PHYSICS, "--v2_python", tmp_path / "no-venv" / "python", "--out",
                      tmp_path / "out")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "make install-v2" in proc.stderr
    assert not os.path.exists(tmp_path / "out")


@pytest.mark.e2e
@pytest.mark.skipif(not os.access(V2_PYTHON, os.X_OK),
                    reason="no .venv-v2 (`make install-v2` creates it; it needs gcc and root or "
                           "Debian's libosmesa6-dev libglew-dev patchelf)")
def test_v2_physics_finds_the_masses_behind_halfcheetahs_one_step_difference(tmp_path):
    proc = run_python(V2_PHYSICS, "--tasks", "HalfCheetah", "--states", 4, "--max_steps", 20,
                      "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "constants_diff.csv", newline="") as f:
        differing = {(row["group"], row["field"]) for row in csv.DictReader(f)}
    assert ("body", "mass") in differing and ("opt", "timestep") not in differing
    with open(tmp_path / "one_step.json") as f:
        one_step = json.load(f)["one_step"]["HalfCheetah"]
    assert one_step["as they are"]["obs_rel_diff"]["median"] > 1e-4
    assert one_step["-v4 with -v2's masses and inertias"]["obs_max_abs_diff"]["max"] < 1e-9
    assert os.path.getsize(tmp_path / "one_step.png") > 0
