"""compare_parl.py's marks at any budget (a 54k run, a 1M run, --at), its refusal of a misspelt
--parl_env, and ablate.py's objective implied by a parameter axis and its plan: in-process, on
runs that tests/synthetic_runs.py writes."""
import argparse
import re

import pytest

from helpers import compare_table
from synthetic_runs import every, write_run

from mujoco_ppo.comparison.parl_comparison import marks_for, steps_value, window_at
from mujoco_ppo.comparison.parl_logs import check_parl_env
from mujoco_ppo.errors import UserError
from mujoco_ppo.grid.plan import load_grid, plan_text

pytestmark = pytest.mark.unit


def table(capsys, *argv):
    """compare_parl.py's table rows, each split on two or more spaces."""
    return compare_table(capsys, *argv)[1]


def test_a_54k_run_gets_marks_at_a_quarter_half_and_all_of_it_and_a_verdict(tmp_path, capsys):
    run = write_run(tmp_path / "run", *every(54000, 2000, lambda s: s / 100), env_id="Hopper-v4",
                    loss_type="KLPEN", test_every_steps=2000)
    log = tmp_path / "parl.log"
    log.write_text("Argv: train.py --env Hopper-v2 --loss_type KLPEN\n" + "".join(
        f"Steps {s}, Evaluate reward: 300\n" for s in range(5000, 60001, 5000)))
    rows = table(capsys, run, "--parl_log", log, "--out", tmp_path / "c.png", "--smooth", 0)
    assert [row[2] for row in rows] == ["13k", "27k", "54k"]
    # at 13k the window is half the mark, 6.5k: the run's evaluations at 8k, 10k and 12k (mean
    # 100), the log's at 10k
    assert rows[0][3:] == ["100 (1 seed)", "300 (1 seed)", "— (starts at 500k)",
                           "logs' mean above our single seed"]
    # 54k: the window is half the mark, 27k: evaluations at 28k, ..., 54k, mean 410
    assert rows[2][3:5] == ["410 (1 seed)", "300 (1 seed)"]
    assert rows[2][-1] == "logs' mean below our single seed"


def test_a_1m_run_gets_quarter_half_and_whole_against_the_published_curve(tmp_path, capsys):
    run = write_run(tmp_path / "run", *every(1000000, 10000, lambda s: 1200.0), env_id="Hopper-v4")
    rows = table(capsys, run, "--out", tmp_path / "c.png", "--smooth", 0)
    assert [row[2] for row in rows] == ["250k", "500k", "1M"]
    assert rows[0][-1] == "no verdict: PARL's published curve starts at 500k"
    assert rows[2][3:] == ["1,200 (1 seed)", "1,196", "published inside our single seed"]


def test_marks_of_longer_runs_and_the_window():
    assert marks_for(54000, 54000) == [13000, 27000, 54000]
    assert marks_for(1002888, 2000000) == [250000, 500000, 1000000, 2000000]
    assert marks_for(80, 80) == [20, 40, 80]
    assert window_at(13000, 50000) == 6500
    assert window_at(1000000, 50000) == 50000
    assert list(window_at([4000, 200000], 50000)) == [2000, 50000]  # each point of a line


@pytest.mark.parametrize("text, steps", [("5e4", 50000), ("50k", 50000), ("1M", 1000000),
                                         ("1.5m", 1500000), ("50_000", 50000)])
def test_at_takes_steps_written_several_ways(text, steps):
    assert steps_value(text) == steps


@pytest.mark.parametrize("text", ["5x", "0", "1.5", "-3k"])
def test_at_refuses_what_is_not_a_step_count(text):
    with pytest.raises(argparse.ArgumentTypeError):
        steps_value(text)


def test_a_misspelt_parl_env_is_refused_with_the_closest_ids():
    with pytest.raises(UserError) as refusal:
        check_parl_env("Hoper-v2")
    assert str(refusal.value) == ("--parl_env: unknown environment id 'Hoper-v2'; closest "
                                  "known ids: Hopper-v2, Hopper-v5, Hopper-v4.")
    check_parl_env("Hopper-v2")  # PARL's own id: Gymnasium has the task as -v4 and -v5


def grid_of(**flags):
    return load_grid(argparse.Namespace(config=None, **flags))


def test_kl_targ_alone_implies_klpen_and_the_plan_names_every_setting():
    grid = grid_of(env=["Hopper-v4"], kl_targ=[0.003, 0.01], seeds=[0, 1], steps=30000)
    assert grid["loss_type"] == ["KLPEN"]
    assert plan_text(grid) == (
        "plan: 1 environment x 2 settings x 2 seeds = 4 runs, 30,000 steps each\n"
        "  environments: Hopper-v4\n"
        "  settings: KLPEN kl_targ=0.003, KLPEN kl_targ=0.01\n"
        "  seeds: 0, 1")


def test_several_axes_imply_several_objectives_and_loss_type_wins():
    assert grid_of(kl_targ=[0.01], beta=[2.0])["loss_type"] == ["KLPEN", "KLFIXED"]
    assert grid_of(max_kl=[0.02], clip_epsilon=[0.1])["loss_type"] == ["CLIP", "TRPO"]
    assert grid_of(kl_targ=[0.01], loss_type=["CLIP", "KLPEN"])["loss_type"] == ["CLIP", "KLPEN"]
    assert grid_of(seeds=[0])["loss_type"] == ["CLIP", "KLPEN"]  # no axis: the default pair


def test_a_misspelt_grid_env_is_refused_before_any_run(tmp_path):
    """Hostile case: ablate.py run --env Hoper-v4 started six runs that each failed, and ended
    with "see above" while the reason was only in logs/."""
    from mujoco_ppo.grid.ablate import main
    with pytest.raises(UserError) as refusal:
        main(["run", str(tmp_path / "grid"), "--env", "Hopper-v4", "Hoper-v4", "--seeds", "0"])
    assert str(refusal.value).startswith("--env Hoper-v4: unknown environment id 'Hoper-v4'; "
                                         "closest known ids: Hopper-v4, ")
    assert not (tmp_path / "grid").exists()
    with pytest.raises(UserError, match="--env ALE/Breakout-v5: ALE/Breakout-v5 is an Atari "
                                        "game: Atari runs with train.py --algo parl2"):
        grid_of(env=["ALE/Breakout-v5"])
    assert grid_of(algo="parl2", env=["ALE/Breakout-v5", "CartPole-v1"])["env"] == [
        "ALE/Breakout-v5", "CartPole-v1"]


@pytest.mark.parametrize("args, phrase", [
    (["--steps", "1e300"], "steps must be at most 1,000,000,000,000, got 1e+300."),
    (["--jobs", "100000"], "jobs must be at most 256 (each is a train.py process), got 100,000."),
    (["--xparl_addr", "127.0.0.1:8010", "--xparl_timeout", "1e300"],
     "--xparl_timeout must be a positive number of seconds, at most 1000000, got 1e+300."),
])
def test_grid_counts_are_bounded_before_any_run(tmp_path, monkeypatch, args, phrase):
    from mujoco_ppo.grid import ablate
    monkeypatch.setattr(ablate, "run_grid", lambda *a: pytest.fail("the grid ran"))
    with pytest.raises(UserError, match=re.escape(phrase)):
        ablate.main(["run", str(tmp_path / "grid"), "--env", "Hopper-v4", *args])
    assert not (tmp_path / "grid").exists()


@pytest.mark.parametrize("argv, sentence", [
    (["aggregate", "GRID", "--reps", "1e12"], "ablate.py aggregate: error: argument --reps: "
                                              "--reps must be at most 100,000 resamples, got "
                                              "1,000,000,000,000."),
    (["run", "GRID", "--jobs", "x"], "ablate.py run: error: argument --jobs: invalid int value: "
                                     "'x'."),
])
def test_ablate_flag_errors_are_one_sentence(tmp_path, capsys, argv, sentence):
    """Hostile case: ablate.py run's parser printed its whole usage above the error."""
    from mujoco_ppo.grid.ablate import main
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path) if arg == "GRID" else arg for arg in argv])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines() == [sentence]
